// jinja2's tests (`x is defined`, `x is string`, ...) with jinja2 3.1's semantics (tests.py):
// bool counts as a number but not an integer, undefined is iterable, a string is a sequence.
#include "forensics/jinja/parser.h"
#include "interpreter.h"
#include "python_text.h"

namespace forensics::jinja {
namespace {

bool same_object(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kList:
    case Value::Kind::kTuple: return &a.items() == &b.items();
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: return &a.entries() == &b.entries();
    default: return equals(a, b);
  }
}

std::int64_t integer_argument(const Value& value, int line) {
  if (!value.is_int() && !value.is_bool()) {
    if (value.is_undefined()) runtime_error(line, value.undefined_reason());
    runtime_error(line, "an integer is required, got '" + value.type_name() + "'");
  }
  return value.as_int();
}

}  // namespace

bool Interpreter::apply_test(const std::string& name, const Value& value, const CallArgs& args) {
  const int line = args.line;
  const Value other = args.get(0, "");
  if (name == "defined") return !value.is_undefined();
  if (name == "undefined") return value.is_undefined();
  if (name == "none") return value.is_none();
  if (name == "boolean") return value.is_bool();
  if (name == "true") return value.is_bool() && value.as_bool();
  if (name == "false") return value.is_bool() && !value.as_bool();
  if (name == "integer") return value.is_int();
  if (name == "float") return value.is_float();
  if (name == "number") return value.is_number();
  if (name == "string") return value.is_string();
  if (name == "mapping") return value.is_dict();
  if (name == "callable") return value.is_callable();
  if (name == "iterable") {
    return value.is_undefined() || value.is_string() || value.is_sequence() || value.is_dict();
  }
  if (name == "sequence") {
    return value.is_undefined() || value.is_string() || value.is_sequence() || value.is_dict();
  }
  if (name == "sameas") return same_object(value, other);
  if (name == "equalto" || name == "eq" || name == "==") return equals(value, other);
  if (name == "ne" || name == "!=") return !equals(value, other);
  if (name == "gt" || name == "greaterthan" || name == ">") return less_than(other, value);
  if (name == "ge" || name == ">=") return !less_than(value, other);
  if (name == "lt" || name == "lessthan" || name == "<") return less_than(value, other);
  if (name == "le" || name == "<=") return !less_than(other, value);
  if (name == "in") return contains(other, value, line);
  if (name == "odd" || name == "even") {
    const std::int64_t n = integer_argument(value, line);
    const bool odd = n % 2 != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "divisibleby") {
    const std::int64_t divisor = integer_argument(other, line);
    if (divisor == 0) runtime_error(line, "integer division or modulo by zero");
    return integer_argument(value, line) % divisor == 0;
  }
  if (name == "lower" || name == "upper") {
    const std::string text = value.str();
    const std::string upper = to_upper(text);
    const std::string lower = to_lower(text);
    return name == "lower" ? text == lower && text != upper : text == upper && text != lower;
  }
  if (name == "filter") return other.is_string() && is_supported_filter(other.as_string());
  if (name == "test") return other.is_string() && is_supported_test(other.as_string());
  throw TemplateError(TemplateErrorKind::kUnsupported, line, "test \"" + name + "\" is not supported");
}

}  // namespace forensics::jinja
