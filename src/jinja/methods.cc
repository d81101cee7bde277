// The Python methods of str, dict and list that chat templates call (`content.split('</think>')`,
// `message.get('x')`, `tool.items()`). The mutating ones are refused, as jinja2's immutable sandbox
// refuses them; methods Python has and this engine lacks fail naming the method.
#include <algorithm>
#include <set>

#include "interpreter.h"
#include "python_text.h"

namespace forensics::jinja {
namespace {

const std::set<std::string> kPythonStringMethods = {
    "capitalize",   "casefold",   "center",    "count",       "encode",    "endswith",     "expandtabs",   "find",
    "format",       "format_map", "index",     "isalnum",     "isalpha",   "isascii",      "isdecimal",    "isdigit",
    "isidentifier", "islower",    "isnumeric", "isprintable", "isspace",   "istitle",      "isupper",      "join",
    "ljust",        "lower",      "lstrip",    "maketrans",   "partition", "removeprefix", "removesuffix", "replace",
    "rfind",        "rindex",     "rjust",     "rpartition",  "rsplit",    "rstrip",       "split",        "splitlines",
    "startswith",   "strip",      "swapcase",  "title",       "translate", "upper",        "zfill"};
const std::set<std::string> kDictMethods = {"clear", "copy",    "fromkeys",   "get",    "items", "keys",
                                            "pop",   "popitem", "setdefault", "update", "values"};
const std::set<std::string> kListMethods = {"append", "clear", "copy",   "count",   "extend", "index",
                                            "insert", "pop",   "remove", "reverse", "sort"};
const std::set<std::string> kMutatingMethods = {"append", "clear",   "extend", "insert",     "pop",   "popitem",
                                                "remove", "reverse", "sort",   "setdefault", "update"};

using Method = std::function<Value(const CallArgs&)>;

std::optional<std::string> optional_string(const Value& value, const char* method, int line) {
  if (value.is_undefined() || value.is_none()) return std::nullopt;
  if (!value.is_string()) runtime_error(line, std::string(method) + " arg must be None or str");
  return value.as_string();
}

long optional_count(const Value& value) { return value.is_int() ? static_cast<long>(value.as_int()) : -1; }

Value string_list(const std::vector<std::string>& parts) {
  List items;
  for (const auto& part : parts) items.push_back(Value::string(part));
  return Value::list(std::move(items));
}

bool affix_matches(const std::string& text, const Value& affix, bool at_start, int line) {
  auto one = [&](const Value& candidate) {
    if (!candidate.is_string()) runtime_error(line, "startswith/endswith first arg must be str or a tuple of str");
    const std::string& a = candidate.as_string();
    if (a.size() > text.size()) return false;
    return at_start ? text.compare(0, a.size(), a) == 0 : text.compare(text.size() - a.size(), a.size(), a) == 0;
  };
  if (affix.is_sequence()) return std::any_of(affix.items().begin(), affix.items().end(), one);
  return one(affix);
}

// str.format for the plain fields templates use: "{}", "{0}", "{name}"; format specs are refused.
std::string python_format(const std::string& pattern, const CallArgs& args) {
  std::string out;
  std::size_t next_index = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if ((c == '{' || c == '}') && i + 1 < pattern.size() && pattern[i + 1] == c) {
      out += c;
      ++i;
      continue;
    }
    if (c != '{') {
      out += c;
      continue;
    }
    const std::size_t close = pattern.find('}', i);
    if (close == std::string::npos) runtime_error(args.line, "Single '{' encountered in format string");
    const std::string field = pattern.substr(i + 1, close - i - 1);
    if (field.find_first_of(":!.[") != std::string::npos) {
      throw TemplateError(TemplateErrorKind::kUnsupported, args.line,
                          "str.format field '{" + field + "}' is not supported");
    }
    Value value;
    if (field.empty()) {
      value = args.get(next_index++, "");
    } else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
      value = args.get(std::stoul(field), "");
    } else {
      value = args.get(static_cast<std::size_t>(-1), field);
    }
    if (value.is_undefined()) runtime_error(args.line, "no argument for format field '{" + field + "}'");
    out += value.str();
    i = close;
  }
  return out;
}

Method string_method(const std::string& text, const std::string& name) {
  if (name == "startswith" || name == "endswith") {
    return [text, name](const CallArgs& a) {
      return Value::boolean(affix_matches(text, a.get(0, "prefix"), name == "startswith", a.line));
    };
  }
  if (name == "split" || name == "rsplit") {
    return [text, name](const CallArgs& a) {
      const auto separator = optional_string(a.get(0, "sep"), "split", a.line);
      if (separator && separator->empty()) runtime_error(a.line, "empty separator");
      const long max_split = optional_count(a.get(1, "maxsplit"));
      return string_list(name == "split" ? split(text, separator, max_split) : rsplit(text, separator, max_split));
    };
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    return [text, name](const CallArgs& a) {
      const auto chars = optional_string(a.get(0, "chars"), name.c_str(), a.line);
      return Value::string(strip(text, chars, name != "rstrip", name != "lstrip"));
    };
  }
  if (name == "replace") {
    return [text](const CallArgs& a) {
      const Value old_text = a.get(0, "old");
      const Value new_text = a.get(1, "new");
      if (!old_text.is_string() || !new_text.is_string()) runtime_error(a.line, "replace() arguments must be str");
      return Value::string(
          replace(text, old_text.as_string(), new_text.as_string(), optional_count(a.get(2, "count"))));
    };
  }
  if (name == "upper") return [text](const CallArgs&) { return Value::string(to_upper(text)); };
  if (name == "lower") return [text](const CallArgs&) { return Value::string(to_lower(text)); };
  if (name == "title") return [text](const CallArgs&) { return Value::string(python_title(text)); };
  if (name == "capitalize") return [text](const CallArgs&) { return Value::string(python_capitalize(text)); };
  if (name == "splitlines") return [text](const CallArgs&) { return string_list(split_lines(text)); };
  if (name == "find" || name == "rfind" || name == "count") {
    return [text, name](const CallArgs& a) {
      const Value sub = a.get(0, "sub");
      if (!sub.is_string()) runtime_error(a.line, "must be str, not " + sub.type_name());
      if (a.positional.size() > 1) {
        throw TemplateError(TemplateErrorKind::kUnsupported, a.line,
                            "str." + name + " with start/end is not supported");
      }
      const std::string& needle = sub.as_string();
      if (name == "count") {
        if (needle.empty()) return Value::integer(static_cast<std::int64_t>(code_point_count(text) + 1));
        std::int64_t n = 0;
        for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size()))
          ++n;
        return Value::integer(n);
      }
      const std::size_t at = name == "find" ? text.find(needle) : text.rfind(needle);
      if (at == std::string::npos) return Value::integer(-1);
      return Value::integer(static_cast<std::int64_t>(code_point_count(std::string_view(text).substr(0, at))));
    };
  }
  if (name == "join") {
    return [text](const CallArgs& a) {
      const Value items = a.get(0, "iterable");
      std::string out;
      bool first = true;
      auto add = [&](const Value& item) {
        if (!item.is_string())
          runtime_error(a.line, "sequence item: expected str instance, " + item.type_name() + " found");
        if (!first) out += text;
        first = false;
        out += item.as_string();
      };
      if (items.is_sequence()) {
        for (const Value& item : items.items()) add(item);
      } else if (items.is_dict()) {
        for (const auto& item : items.entries().items) add(item.first);
      } else {
        runtime_error(a.line, "can only join an iterable");
      }
      return Value::string(out);
    };
  }
  if (name == "format") return [text](const CallArgs& a) { return Value::string(python_format(text, a)); };
  if (name == "isdigit" || name == "isspace" || name == "isalpha" || name == "isupper" || name == "islower") {
    return [text, name](const CallArgs&) {
      const std::string upper = to_upper(text);
      const std::string lower = to_lower(text);
      if (name == "isupper") return Value::boolean(text == upper && text != lower);
      if (name == "islower") return Value::boolean(text == lower && text != upper);
      const CodePoints points = to_code_points(text);
      if (points.empty()) return Value::boolean(false);
      return Value::boolean(std::all_of(points.begin(), points.end(), [&](std::int32_t c) {
        if (name == "isdigit") return c >= '0' && c <= '9';
        if (name == "isspace") return is_python_space(c);
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      }));
    };
  }
  return nullptr;
}

Method dict_method(const Value& object, const std::string& name) {
  if (name == "items") {
    return [object](const CallArgs&) {
      List pairs;
      for (const auto& [key, value] : object.entries().items) pairs.push_back(Value::tuple({key, value}));
      return Value::list(std::move(pairs));
    };
  }
  if (name == "keys" || name == "values") {
    return [object, name](const CallArgs&) {
      List out;
      for (const auto& [key, value] : object.entries().items) out.push_back(name == "keys" ? key : value);
      return Value::list(std::move(out));
    };
  }
  if (name == "get") {
    return [object](const CallArgs& a) {
      const Value* found = object.entries().find(a.get(0, "key"));
      return found != nullptr ? *found : a.get(1, "default", Value::none());
    };
  }
  if (name == "copy") return [object](const CallArgs&) { return Value::dict(object.entries()); };
  return nullptr;
}

Method list_method(const Value& object, const std::string& name) {
  if (name == "count") {
    return [object](const CallArgs& a) {
      const Value needle = a.get(0, "value");
      return Value::integer(std::count_if(object.items().begin(), object.items().end(),
                                          [&](const Value& item) { return equals(item, needle); }));
    };
  }
  if (name == "index") {
    return [object](const CallArgs& a) {
      const Value needle = a.get(0, "value");
      for (std::size_t i = 0; i < object.items().size(); ++i) {
        if (equals(object.items()[i], needle)) return Value::integer(static_cast<std::int64_t>(i));
      }
      runtime_error(a.line, needle.repr() + " is not in list");
    };
  }
  if (name == "copy") return [object](const CallArgs&) { return Value::list(object.items()); };
  return nullptr;
}

}  // namespace

Value bound_method(Interpreter&, const Value& object, const std::string& name, int) {
  const std::set<std::string>* known = nullptr;
  Method method;
  if (object.is_string()) {
    known = &kPythonStringMethods;
    method = string_method(object.as_string(), name);
  } else if (object.is_dict()) {
    known = &kDictMethods;
    if (kMutatingMethods.count(name) == 0) method = dict_method(object, name);
  } else if (object.is_sequence()) {
    known = &kListMethods;
    if (kMutatingMethods.count(name) == 0) method = list_method(object, name);
  }
  if (known == nullptr || known->count(name) == 0) return Value();
  const std::string qualified = object.type_name() + "." + name;
  if (method) return Value::callable(qualified, method);
  if (kMutatingMethods.count(name) != 0) {
    return Value::callable(qualified, [qualified](const CallArgs& a) -> Value {
      runtime_error(a.line, "access to attribute '" + qualified + "' is unsafe: the sandbox forbids changing values");
    });
  }
  return Value::callable(qualified, [qualified](const CallArgs& a) -> Value {
    throw TemplateError(TemplateErrorKind::kUnsupported, a.line, "method \"" + qualified + "\" is not supported");
  });
}

}  // namespace forensics::jinja
