// The chat-template engine piece by piece: whitespace control, Python semantics of values,
// loops and scopes, filters, errors and limits. Byte parity on real templates is the parity test's
// job (tests/parity/jinja_template_parity.py); the expected strings here are jinja2 3.1.6's output.
#include <string>

#include <catch2/catch.hpp>

#include "forensics/jinja/lexer.h"
#include "forensics/jinja/template.h"

namespace {

using forensics::Json;
using forensics::jinja::RenderOptions;
using forensics::jinja::Template;
using forensics::jinja::TemplateError;
using forensics::jinja::TemplateErrorKind;

std::string render(const std::string& source, const Json& context = Json::object(), const RenderOptions& options = {}) {
  return Template::parse(source).render(context, options);
}

// The error a template gives, parsing or rendering; fails the test if there is none.
TemplateError error_of(const std::string& source, const Json& context = Json::object(),
                       const RenderOptions& options = {}) {
  try {
    render(source, context, options);
  } catch (const TemplateError& error) {
    return error;
  }
  FAIL("no error from: " << source);
  throw;
}

}  // namespace

TEST_CASE("jinja: trim_blocks and lstrip_blocks remove the lines that only hold tags", "[jinja]") {
  CHECK(render("a\n  {% if true %}\n  b\n  {% endif %}\nc") == "a\n  b\nc");
  CHECK(render("{# comment #}\nx") == "x");
  CHECK(render("  {%+ if true %}x{% endif %}") == "  x");
  CHECK(render("{% if true +%}\nx{% endif %}") == "\nx");
}

TEST_CASE("jinja: a minus strips all whitespace on its side, newlines included", "[jinja]") {
  CHECK(render("a  \n {{- 'b' -}} \n\n c") == "abc");
  CHECK(render("a\n{%- if true -%}\n  b  \n{%- endif %}") == "ab");
}

TEST_CASE("jinja: one trailing newline of the template is dropped, CRLF becomes LF", "[jinja]") {
  CHECK(render("x\n") == "x");
  CHECK(render("x\n\n") == "x\n");
  CHECK(render("a\r\nb") == "a\nb");
}

TEST_CASE("jinja: the lexer keeps a dict literal's closing braces inside the tag", "[jinja]") {
  CHECK(render("{{ {'a': {'b': 1}} }}") == "{'a': {'b': 1}}");
  const auto tokens = forensics::jinja::tokenize("{{ 'a\\n\\u00e9' }}");
  REQUIRE(tokens.size() == 4);
  CHECK(tokens[1].text == "a\n\xC3\xA9");
}

TEST_CASE("jinja: values print as Python's str() prints them", "[jinja]") {
  CHECK(render("{{ [1, 'x', none, true, 1.5] }}") == "[1, 'x', None, True, 1.5]");
  CHECK(render("{{ (1,) }} {{ ('a', 2) }}") == "(1,) ('a', 2)");
  CHECK(render("{{ [\"it's\", 'say \"hi\"'] }}") == "[\"it's\", 'say \"hi\"']");
  CHECK(render("{{ 1e20 }} {{ 0.1 + 0.2 }} {{ 1.0 }} {{ 1e-5 }} {{ 7 / 2 }} {{ 4 / 2 }}") ==
        "1e+20 0.30000000000000004 1.0 1e-05 3.5 2.0");
  CHECK(render("{{ none }}|{{ undefined_name }}|{{ true }}") == "None||True");
}

TEST_CASE("jinja: arithmetic follows Python", "[jinja]") {
  CHECK(render("{{ 7 // -2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ 'ab' * 2 }} {{ 1 + true }}") ==
        "-4 2 1024 0.5 abab 2");
  CHECK(render("{{ [1] + [2] }} {{ 'a' ~ 1 ~ none }}") == "[1, 2] a1None");
  CHECK(render("{{ 1 == 1.0 }} {{ true == 1 }} {{ {'a': 1, 'b': 2} == {'b': 2, 'a': 1} }} {{ 1 < 2 < 3 }}") ==
        "True True True True");
}

TEST_CASE("jinja: strings count and slice by code point", "[jinja]") {
  const Json context = {{"s", "h\xC3\xA9llo \xF0\x9F\x9A\x80\xE4\xB8\xAD"}};  // "héllo 🚀中"
  CHECK(render("{{ s|length }} {{ s[1] }} {{ s[-2:] }} {{ s[::-1] }}", context) ==
        "8 \xC3\xA9 \xF0\x9F\x9A\x80\xE4\xB8\xAD \xE4\xB8\xAD\xF0\x9F\x9A\x80 oll\xC3\xA9h");
  CHECK(render("{{ s.upper() }}", context) == "H\xC3\x89LLO \xF0\x9F\x9A\x80\xE4\xB8\xAD");
}

TEST_CASE("jinja: missing attributes are undefined, and undefined is empty and falsy", "[jinja]") {
  const Json context = {{"m", {{"role", "user"}}}};
  CHECK(render("[{{ m.content }}]{{ m.content is defined }}{{ not m.content }}{{ m.content|length }}", context) ==
        "[]FalseTrue0");
  CHECK(render("{{ m.get('content', 'none') }} {{ m['role'] }} {{ [1, 2][5] is defined }}", context) ==
        "none user False");
  const TemplateError error = error_of("{{ m.content.text }}", context);
  CHECK(error.kind() == TemplateErrorKind::kRuntime);
  CHECK(std::string(error.what()) == "template line 1: 'dict object' has no attribute 'content'");
}

TEST_CASE("jinja: loops give loop variables, filters, else, break and continue", "[jinja]") {
  CHECK(
      render("{% for x in 'abc' %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }};{% endfor %}") ==
      "12TrueFalse;21FalseFalse;30FalseTrue;");
  CHECK(render("{% for x in [1, 2, 3] %}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }}{{ "
               "loop.cycle('a', 'b') }} {% endfor %}") == "-2a 13b 2-a ");
  CHECK(render("{% for x in range(10) if x is odd %}{{ x }}{% if x > 4 %}{% break %}{% endif %}{% endfor %}") == "135");
  CHECK(render("{% for x in range(4) %}{% if x == 1 %}{% continue %}{% endif %}{{ x }}{% endfor %}") == "023");
  CHECK(render("{% for x in [] %}a{% else %}empty{% endfor %}") == "empty");
  CHECK(render("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}") == "a=1;b=2;");
}

TEST_CASE("jinja: a set inside a loop is local to the iteration, a namespace carries out", "[jinja]") {
  CHECK(render("{% set x = 0 %}{% for i in [1, 2] %}{{ x }}{% set x = x + 1 %}{{ x }}{% endfor %}{{ x }}") == "01010");
  CHECK(render("{% set ns = namespace(n=0) %}{% for i in [1, 2] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}") ==
        "3");
  CHECK(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}") == "5");
  CHECK(render("{% set block %}a {{ 1 + 1 }}{% endset %}[{{ block }}]") == "[a 2]");
  CHECK(error_of("{% set ns = namespace(_x=1) %}").kind() == TemplateErrorKind::kRuntime);
}

TEST_CASE("jinja: macros take defaults and keywords, and call blocks pass caller", "[jinja]") {
  CHECK(render("{% macro m(a, b=2) %}{{ a }}-{{ b }}{% endmacro %}{{ m(1) }} {{ m(1, b=3) }} {{ m(b=4, a=0) }}") ==
        "1-2 1-3 0-4");
  CHECK(render("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}"
               "{% call wrap('b') %}bold{% endcall %}") == "<b>bold</b>");
}

TEST_CASE("jinja: filters chat templates use", "[jinja]") {
  const Json context = {{"messages", {{{"role", "user"}, {"content", " hi "}}, {{"role", "assistant"}}}}};
  CHECK(render("{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|map('trim')|list }}",
               context) == "['hi']");
  CHECK(render("{{ messages|rejectattr('content')|length }} {{ messages|map(attribute='role')|join(', ') }}",
               context) == "1 user, assistant");
  CHECK(render("{{ ['b', 'A', 'a']|sort }} {{ ['b', 'A', 'a']|unique|list }} {{ [3, 1, 2]|max }}") ==
        "['A', 'a', 'b'] ['b', 'A'] 3");
  CHECK(render("{{ 'a\\nb\\n\\nc'|indent(2) }}|{{ 'x'|center(5) }}|{{ '3.7'|int }}{{ 'x'|int }}{{ 2|float }}") ==
        "a\n  b\n\n  c|  x  |302.0");
  CHECK(render("{{ 'hello wORLD'|title }} {{ 'hello wORLD'|capitalize }} {{ '<a&b>'|e }}") ==
        "Hello World Hello world &lt;a&amp;b&gt;");
  CHECK(render("{{ none|default('d') }}{{ undefined_name|d('d') }}{{ ''|default('d', true) }}") == "Nonedd");
}

TEST_CASE("jinja: tojson writes JSON as transformers' json.dumps override does", "[jinja]") {
  const Json context = Json::parse(R"({"x": {"b": [1, 1.0, null, true], "a": "é\"\n\u0001", "f": 1e-05}})");
  CHECK(render("{{ x|tojson }}", context) ==
        "{\"b\": [1, 1.0, null, true], \"a\": \"\xC3\xA9\\\"\\n\\u0001\", \"f\": 1e-05}");
  CHECK(render("{{ x.b|tojson(indent=2) }}", context) == "[\n  1,\n  1.0,\n  null,\n  true\n]");
  CHECK(render("{{ x|tojson(separators=(',', ':'), sort_keys=true) }}", context) ==
        "{\"a\":\"\xC3\xA9\\\"\\n\\u0001\",\"b\":[1,1.0,null,true],\"f\":1e-05}");
  CHECK(render("{{ x.a|tojson(ensure_ascii=true) }}", context) == "\"\\u00e9\\\"\\n\\u0001\"");
}

TEST_CASE("jinja: Python string methods", "[jinja]") {
  CHECK(
      render("{{ 'a</think>b</think>c'.split('</think>')[-1] }} {{ 'aXbXc'.rsplit('X', 1) }} {{ ' a b '.split() }}") ==
      "c ['aXb', 'c'] ['a', 'b']");
  CHECK(render("{{ '\\n\\nx\\n'.lstrip('\\n') }}|{{ 'xxaxx'.strip('x') }}|{{ 'abc'.startswith(('x', 'a')) }}") ==
        "x\n|a|True");
  CHECK(render("{{ 'a-b'.replace('-', '+') }} {{ 'abc'.find('c') }} {{ '{}:{}'.format(1, 'x') }}") == "a+b 2 1:x");
}

TEST_CASE("jinja: raise_exception gives an error carrying the template's message", "[jinja]") {
  const TemplateError error = error_of("line one\n{{ raise_exception('Roles must alternate') }}");
  CHECK(error.kind() == TemplateErrorKind::kRaised);
  CHECK(error.message() == "Roles must alternate");
  CHECK(error.line() == 2);
}

TEST_CASE("jinja: strftime_now formats the clock the options give", "[jinja]") {
  RenderOptions options;
  options.now = std::tm{};
  options.now->tm_year = 124;
  options.now->tm_mon = 8;
  options.now->tm_mday = 26;
  CHECK(render("{{ strftime_now('%Y-%m-%d') }} {{ strftime_now('%d %b %Y') }}", Json::object(), options) ==
        "2024-09-26 26 Sep 2024");
}

TEST_CASE("jinja: an unsupported construct is named with its template line", "[jinja]") {
  const TemplateError filter = error_of("a\n\n{{ text|wordwrap(20) }}");
  CHECK(filter.kind() == TemplateErrorKind::kUnsupported);
  CHECK(std::string(filter.what()) == "template line 3: filter \"wordwrap\" is not supported");
  const TemplateError tag = error_of("{% include 'other.jinja' %}");
  CHECK(std::string(tag.what()) == "template line 1: tag \"include\" is not supported");
  CHECK(error_of("{% for x in y recursive %}{% endfor %}").kind() == TemplateErrorKind::kUnsupported);
  CHECK(error_of("{{ x|no_such_filter }}").kind() == TemplateErrorKind::kSyntax);
  CHECK(std::string(error_of("{% if x %}").what()) ==
        "template line 1: unexpected end of template, expected 'elif' or 'else' or 'endif'");
}

TEST_CASE("jinja: deep nesting is refused instead of overflowing the stack", "[jinja]") {
  const std::string deep = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  CHECK(error_of(deep).kind() == TemplateErrorKind::kLimit);
  std::string blocks;
  for (int i = 0; i < 1000; ++i) blocks += "{% if true %}";
  CHECK(error_of(blocks).kind() == TemplateErrorKind::kLimit);
  const TemplateError recursion = error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  CHECK(recursion.kind() == TemplateErrorKind::kLimit);
}

TEST_CASE("jinja: huge outputs and endless loops are capped", "[jinja]") {
  RenderOptions options;
  options.max_output_bytes = 1 << 20;
  CHECK(error_of("{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}", Json::object(), options).kind() ==
        TemplateErrorKind::kLimit);
  CHECK(
      error_of("{% set ns = namespace(s='x' * 1000) %}{% for i in range(20) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
               Json::object(), options)
          .kind() == TemplateErrorKind::kLimit);
  options.max_steps = 100'000;
  CHECK(
      error_of("{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}", Json::object(), options)
          .kind() == TemplateErrorKind::kLimit);
  CHECK(error_of("{{ range(1000000)|length }}").kind() == TemplateErrorKind::kLimit);
}

TEST_CASE("jinja: raw blocks keep tags as text, with blocks scope their names", "[jinja]") {
  CHECK(render("a {%- raw %}{{ x }}{% endraw %}") == "a{{ x }}");
  CHECK(render("{% raw -%}\n  {% if %}\n{%- endraw %}!") == "{% if %}!");
  CHECK(render("{% set a = 0 %}{% with a = 1, b = 2 %}{{ a }}{{ b }}{% endwith %}{{ a }}{{ b is defined }}") ==
        "120False");
}

TEST_CASE("jinja: case mapping uses Python's multi-character special cases", "[jinja]") {
  const Json context = {{"s",
                         "stra\xC3\x9F"
                         "e \xEF\xAC\x81le"}};  // "straße ﬁle"
  CHECK(render("{{ s.upper() }}|{{ s|title }}|{{ s.title() }}", context) == "STRASSE FILE|Straße FIle|Straße File");
}

TEST_CASE("jinja: integers stay within 64 bits or fail, huge steps end the slice", "[jinja]") {
  CHECK(error_of("{{ 9223372036854775807 + 1 }}").kind() == TemplateErrorKind::kUnsupported);
  CHECK(render("{{ 'abcd'[1::9223372036854775807] }}") == "b");
  CHECK(render("{{ range(9223372036854775806, 9223372036854775807, 4611686018427387904)|list }}") ==
        "[9223372036854775806]");
}
