// jinja2's built-in filters that chat templates use, with jinja2 3.1's semantics (filters.py):
// most convert their input with str() first, `sort` and `unique` ignore case by default.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <utf8proc.h>

#include "interpreter.h"
#include "python_text.h"

namespace forensics::jinja {
namespace {

std::int64_t length_of(const Value& value, int line) {
  switch (value.kind()) {
    case Value::Kind::kUndefined: return 0;
    case Value::Kind::kString: return static_cast<std::int64_t>(code_point_count(value.as_string()));
    case Value::Kind::kList:
    case Value::Kind::kTuple: return static_cast<std::int64_t>(value.items().size());
    case Value::Kind::kDict: return static_cast<std::int64_t>(value.entries().items.size());
    default: runtime_error(line, "object of type '" + value.type_name() + "' has no len()");
  }
}

// jinja2's make_attrgetter: "a.b.0" looks up each part with getitem, integers as indexes.
Value lookup_path(Interpreter& interpreter, Value item, const Value& path, int line) {
  if (!path.is_string()) return interpreter.get_item(item, path, line);
  for (const auto& part : split(path.as_string(), std::string("."), -1)) {
    const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), ::isdigit);
    item = interpreter.get_item(item, numeric ? Value::integer(std::atoll(part.c_str())) : Value::string(part), line);
  }
  return item;
}

// Sort and unique compare strings lowercased unless case_sensitive (jinja2's ignore_case).
Value sort_key(const Value& value, bool case_sensitive) {
  return value.is_string() && !case_sensitive ? Value::string(to_lower(value.as_string())) : value;
}

CallArgs tail(const CallArgs& args, std::size_t from) {
  CallArgs rest;
  rest.line = args.line;
  if (from < args.positional.size())
    rest.positional.assign(args.positional.begin() + static_cast<long>(from), args.positional.end());
  rest.keyword = args.keyword;
  return rest;
}

// select/reject/selectattr/rejectattr: keep the items whose (attribute's) test result is `keep`.
Value select_items(Interpreter& interpreter, const Value& value, const CallArgs& args, bool by_attribute, bool keep) {
  const std::size_t test_at = by_attribute ? 1 : 0;
  const Value test_name = args.get(test_at, "");
  const CallArgs test_args = tail(args, test_at + 1);
  List kept;
  for (const Value& item : interpreter.iterate(value, args.line)) {
    const Value subject = by_attribute ? lookup_path(interpreter, item, args.get(0, ""), args.line) : item;
    const bool holds =
        test_name.is_undefined() ? subject.truthy() : interpreter.apply_test(test_name.str(), subject, test_args);
    if (holds == keep) kept.push_back(item);
  }
  return Value::list(std::move(kept));
}

Value html_escape(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return Value::string(out);
}

Value to_int(const Value& value, const CallArgs& args) {
  const Value fallback = args.get(0, "default", Value::integer(0));
  if (value.is_int() || value.is_bool()) return Value::integer(value.as_int());
  if (value.is_float()) {
    if (!std::isfinite(value.as_number())) return fallback;
    return Value::integer(static_cast<std::int64_t>(value.as_number()));
  }
  if (!value.is_string()) return fallback;
  const std::string text = strip(value.as_string(), std::nullopt, true, true);
  char* end = nullptr;
  errno = 0;
  const long long parsed = std::strtoll(text.c_str(), &end, 10);
  if (!text.empty() && *end == '\0' && errno == 0) return Value::integer(parsed);
  const double as_float = std::strtod(text.c_str(), &end);
  if (!text.empty() && *end == '\0' && std::isfinite(as_float))
    return Value::integer(static_cast<std::int64_t>(as_float));
  return fallback;
}

Value to_float(const Value& value, const CallArgs& args) {
  const Value fallback = args.get(0, "default", Value::floating(0.0));
  if (value.is_number()) return Value::floating(value.as_number());
  if (!value.is_string()) return fallback;
  const std::string text = strip(value.as_string(), std::nullopt, true, true);
  char* end = nullptr;
  const double parsed = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') return fallback;
  return Value::floating(parsed);
}

// jinja2's do_title: capitalize each piece after a run of "-", whitespace or opening brackets.
std::string jinja_title(const std::string& text) {
  std::string out;
  bool word_start = true;
  for (const auto c : to_code_points(text)) {
    const bool separator = c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || is_python_space(c);
    std::string one;
    append_utf8(one, static_cast<std::uint32_t>(c));
    out += separator ? one : word_start ? to_upper(one) : to_lower(one);
    word_start = separator;
  }
  return out;
}

std::string indent(const std::string& text, const CallArgs& args) {
  const Value width = args.get(0, "width", Value::integer(4));
  const std::string indentation =
      width.is_string() ? width.as_string()
                        : std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, width.as_int())), ' ');
  const bool first = args.get(1, "first").truthy();
  const bool blank = args.get(2, "blank").truthy();
  std::vector<std::string> lines = split_lines(text + "\n");
  std::string out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\n";
    if (i > 0 && (blank || !lines[i].empty())) out += indentation;
    out += lines[i];
  }
  return first ? indentation + out : out;
}

std::string center(const std::string& text, std::int64_t width) {
  const auto length = static_cast<std::int64_t>(code_point_count(text));
  if (width <= length) return text;
  const std::int64_t margin = width - length;
  const std::int64_t left = margin / 2 + (margin & width & 1);
  return std::string(static_cast<std::size_t>(left), ' ') + text +
         std::string(static_cast<std::size_t>(margin - left), ' ');
}

std::int64_t word_count(const std::string& text) {
  std::int64_t count = 0;
  bool in_word = false;
  for (const auto c : to_code_points(text)) {
    const auto category = utf8proc_category(c);
    const bool word = c == '_' || (category >= UTF8PROC_CATEGORY_LU && category <= UTF8PROC_CATEGORY_LO) ||
                      (category >= UTF8PROC_CATEGORY_ND && category <= UTF8PROC_CATEGORY_NO);
    if (word && !in_word) ++count;
    in_word = word;
  }
  return count;
}

Value python_round(const Value& value, const CallArgs& args) {
  const std::int64_t precision = args.get(0, "precision", Value::integer(0)).as_int();
  const std::string method = args.get(1, "method", Value::string("common")).str();
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = value.as_number() * scale;
  double rounded = 0;
  if (method == "common") {
    if (value.is_int()) return value;
    rounded = std::nearbyint(scaled);  // Python's round() rounds half to even
  } else if (method == "floor") {
    rounded = std::floor(scaled);
  } else if (method == "ceil") {
    rounded = std::ceil(scaled);
  } else {
    runtime_error(args.line, "method must be common, ceil or floor");
  }
  return Value::floating(rounded / scale);
}

Value sorted(Interpreter& interpreter, const Value& value, const CallArgs& args, bool reverse_default) {
  const bool reverse = args.get(0, "reverse", Value::boolean(reverse_default)).truthy();
  const bool case_sensitive = args.get(1, "case_sensitive").truthy();
  const Value attribute = args.get(2, "attribute");
  List items = interpreter.iterate(value, args.line);
  auto key = [&](const Value& item) {
    return sort_key(
        attribute.is_undefined() || attribute.is_none() ? item : lookup_path(interpreter, item, attribute, args.line),
        case_sensitive);
  };
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    return reverse ? less_than(key(b), key(a)) : less_than(key(a), key(b));
  });
  return Value::list(std::move(items));
}

Value extreme(Interpreter& interpreter, const Value& value, const CallArgs& args, bool maximum) {
  const bool case_sensitive = args.get(0, "case_sensitive").truthy();
  const Value attribute = args.get(1, "attribute");
  const List items = interpreter.iterate(value, args.line);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  auto key = [&](const Value& item) {
    return sort_key(attribute.is_undefined() ? item : lookup_path(interpreter, item, attribute, args.line),
                    case_sensitive);
  };
  const Value* best = &items[0];
  for (const Value& item : items) {
    if (maximum ? less_than(key(*best), key(item)) : less_than(key(item), key(*best))) best = &item;
  }
  return *best;
}

Value filter_map(Interpreter& interpreter, const Value& value, const CallArgs& args, const ScopePtr& scope) {
  const Value attribute = args.get(static_cast<std::size_t>(-1), "attribute");
  List out;
  for (const Value& item : interpreter.iterate(value, args.line)) {
    if (!attribute.is_undefined()) {
      Value found = lookup_path(interpreter, item, attribute, args.line);
      if (found.is_undefined()) found = args.get(static_cast<std::size_t>(-1), "default", found);
      out.push_back(found);
    } else {
      if (args.positional.empty()) runtime_error(args.line, "map requires a filter argument");
      out.push_back(interpreter.apply_filter(args.positional[0].str(), item, tail(args, 1), scope));
    }
  }
  return Value::list(std::move(out));
}

Value filter_join(Interpreter& interpreter, const Value& value, const CallArgs& args) {
  const std::string separator = args.get(0, "d", Value::string("")).str();
  const Value attribute = args.get(1, "attribute");
  std::string out;
  bool first = true;
  for (const Value& item : interpreter.iterate(value, args.line)) {
    if (!first) out += separator;
    first = false;
    out += (attribute.is_undefined() ? item : lookup_path(interpreter, item, attribute, args.line)).str();
  }
  return Value::string(out);
}

Value filter_unique(Interpreter& interpreter, const Value& value, const CallArgs& args) {
  const bool case_sensitive = args.get(0, "case_sensitive").truthy();
  const Value attribute = args.get(1, "attribute");
  List seen;
  List out;
  for (const Value& item : interpreter.iterate(value, args.line)) {
    const Value key = sort_key(attribute.is_undefined() ? item : lookup_path(interpreter, item, attribute, args.line),
                               case_sensitive);
    if (std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value::list(std::move(out));
}

Value filter_reverse(Interpreter& interpreter, const Value& value, const CallArgs& args) {
  if (value.is_string()) {
    CodePoints points = to_code_points(value.as_string());
    std::reverse(points.begin(), points.end());
    return Value::string(from_code_points(points, 0, points.size()));
  }
  List items = interpreter.iterate(value, args.line);
  std::reverse(items.begin(), items.end());
  return Value::list(std::move(items));
}

Value filter_items(Interpreter&, const Value& value, const CallArgs& args) {
  if (value.is_undefined()) return Value::list();
  if (!value.is_dict()) runtime_error(args.line, "Can only get item pairs from a mapping.");
  List pairs;
  for (const auto& [key, item] : value.entries().items) pairs.push_back(Value::tuple({key, item}));
  return Value::list(std::move(pairs));
}

Value filter_dictsort(Interpreter& interpreter, const Value& value, const CallArgs& args) {
  const bool case_sensitive = args.get(0, "case_sensitive").truthy();
  const std::string by = args.get(1, "by", Value::string("key")).str();
  const bool reverse = args.get(2, "reverse").truthy();
  List pairs = filter_items(interpreter, value, args).items();
  const std::size_t at = by == "value" ? 1 : 0;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
    const Value x = sort_key(a.items()[at], case_sensitive);
    const Value y = sort_key(b.items()[at], case_sensitive);
    return reverse ? less_than(y, x) : less_than(x, y);
  });
  return Value::list(std::move(pairs));
}

Value filter_first_or_last(Interpreter& interpreter, const Value& value, const CallArgs& args, bool first) {
  if (value.is_undefined()) return value;
  const List items = interpreter.iterate(value, args.line);
  if (items.empty())
    return Value::undefined(first ? "No first item, sequence was empty." : "No last item, sequence was empty.");
  return first ? items.front() : items.back();
}

Value filter_sum(Interpreter& interpreter, const Value& value, const CallArgs& args) {
  const Value attribute = args.get(0, "attribute");
  Value total = args.get(1, "start", Value::integer(0));
  for (const Value& item : interpreter.iterate(value, args.line)) {
    total = arithmetic(
        "+", total, attribute.is_undefined() ? item : lookup_path(interpreter, item, attribute, args.line), args.line);
  }
  return total;
}

Value filter_default(const Value& value, const CallArgs& args) {
  const bool boolean = args.get(1, "boolean").truthy();
  if (value.is_undefined() || (boolean && !value.truthy())) return args.get(0, "default_value", Value::string(""));
  return value;
}

Value filter_attr(Interpreter& interpreter, const Value& value, const CallArgs& args) {
  const std::string name = args.get(0, "name").str();
  const Value method = bound_method(interpreter, value, name, args.line);
  if (!method.is_undefined()) return method;
  if (value.is_namespace()) {
    if (const Value* found = value.entries().find(Value::string(name))) return *found;
  }
  return Value::undefined("'" + value.type_name() + " object' has no attribute '" + name + "'");
}

}  // namespace

Value Interpreter::apply_filter(const std::string& name, const Value& value, const CallArgs& args,
                                const ScopePtr& scope) {
  const int line = args.line;
  if (name == "length" || name == "count") return Value::integer(length_of(value, line));
  if (name == "default" || name == "d") return filter_default(value, args);
  if (name == "trim")
    return Value::string(strip(
        value.str(),
        args.get(0, "chars").is_undefined() ? std::nullopt : std::optional<std::string>(args.get(0, "chars").str()),
        true, true));
  if (name == "tojson") return Value::string(json_dumps(value, args, line));
  if (name == "string") return Value::string(value.str());
  if (name == "safe") return Value::string(value.str());
  if (name == "escape" || name == "e" || name == "forceescape") return html_escape(value.str());
  if (name == "lower") return Value::string(to_lower(value.str()));
  if (name == "upper") return Value::string(to_upper(value.str()));
  if (name == "capitalize") return Value::string(python_capitalize(value.str()));
  if (name == "title") return Value::string(jinja_title(value.str()));
  if (name == "replace") {
    const Value count = args.get(2, "count");
    return Value::string(replace(value.str(), args.get(0, "old").str(), args.get(1, "new").str(),
                                 count.is_int() ? static_cast<long>(count.as_int()) : -1));
  }
  if (name == "int") return to_int(value, args);
  if (name == "float") return to_float(value, args);
  if (name == "abs") {
    if (!value.is_number()) runtime_error(line, "bad operand type for abs(): '" + value.type_name() + "'");
    return value.is_float() ? Value::floating(std::fabs(value.as_number()))
                            : Value::integer(std::llabs(value.as_int()));
  }
  if (name == "round") return python_round(value, args);
  if (name == "list") return Value::list(iterate(value, line));
  if (name == "join") return filter_join(*this, value, args);
  if (name == "first") return filter_first_or_last(*this, value, args, true);
  if (name == "last") return filter_first_or_last(*this, value, args, false);
  if (name == "items") return filter_items(*this, value, args);
  if (name == "dictsort") return filter_dictsort(*this, value, args);
  if (name == "select" || name == "reject") return select_items(*this, value, args, false, name == "select");
  if (name == "selectattr" || name == "rejectattr") return select_items(*this, value, args, true, name == "selectattr");
  if (name == "map") return filter_map(*this, value, args, scope);
  if (name == "unique") return filter_unique(*this, value, args);
  if (name == "sort") return sorted(*this, value, args, false);
  if (name == "reverse") return filter_reverse(*this, value, args);
  if (name == "max" || name == "min") return extreme(*this, value, args, name == "max");
  if (name == "sum") return filter_sum(*this, value, args);
  if (name == "attr") return filter_attr(*this, value, args);
  if (name == "indent") return Value::string(indent(value.str(), args));
  if (name == "center") return Value::string(center(value.str(), args.get(0, "width", Value::integer(80)).as_int()));
  if (name == "wordcount") return Value::integer(word_count(value.str()));
  throw TemplateError(TemplateErrorKind::kUnsupported, line, "filter \"" + name + "\" is not supported");
}

}  // namespace forensics::jinja
