// Python's arithmetic and membership on template values, raising where Python raises (jinja2
// passes operators straight to Python).
#include <cmath>
#include <limits>

#include "interpreter.h"

namespace forensics::jinja {
namespace {

// Repetition (`'-' * 80`, `[x] * n`) is capped so a template cannot ask for gigabytes.
constexpr std::int64_t kMaxRepeatedSize = 64 * 1024 * 1024;

[[noreturn]] void unsupported_operands(const std::string& op, const Value& left, const Value& right, int line) {
  runtime_error(
      line, "unsupported operand type(s) for " + op + ": '" + left.type_name() + "' and '" + right.type_name() + "'");
}

[[noreturn]] void overflow(int line) {
  throw TemplateError(TemplateErrorKind::kUnsupported, line, "integer arithmetic beyond 64 bits is not supported");
}

bool is_integral(const Value& v) { return v.is_int() || v.is_bool(); }

std::int64_t floor_divide(std::int64_t a, std::int64_t b) {
  std::int64_t quotient = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --quotient;
  return quotient;
}

std::int64_t python_modulo(std::int64_t a, std::int64_t b) {
  const std::int64_t remainder = a % b;
  return remainder != 0 && ((remainder < 0) != (b < 0)) ? remainder + b : remainder;
}

double python_fmod(double a, double b) {
  double remainder = std::fmod(a, b);
  if (remainder != 0 && ((remainder < 0) != (b < 0))) remainder += b;
  return remainder;
}

Value repeat(const Value& sequence, std::int64_t times, int line) {
  if (times <= 0) return sequence.is_string() ? Value::string("") : Value::list();
  const auto unit =
      static_cast<std::int64_t>(sequence.is_string() ? sequence.as_string().size() : sequence.items().size());
  if (unit != 0 && times > kMaxRepeatedSize / unit) {
    throw TemplateError(TemplateErrorKind::kLimit, line, "a repetition larger than 64 MiB");
  }
  if (sequence.is_string()) {
    std::string out;
    for (std::int64_t i = 0; i < times; ++i) out += sequence.as_string();
    return Value::string(std::move(out));
  }
  List out;
  for (std::int64_t i = 0; i < times; ++i) out.insert(out.end(), sequence.items().begin(), sequence.items().end());
  return sequence.kind() == Value::Kind::kTuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

Value integer_power(std::int64_t base, std::int64_t exponent, int line) {
  if (exponent < 0) return Value::floating(std::pow(static_cast<double>(base), static_cast<double>(exponent)));
  std::int64_t result = 1;
  for (std::int64_t i = 0; i < exponent; ++i) {
    if (__builtin_mul_overflow(result, base, &result)) overflow(line);
    if (result == 0 || result == 1) break;
  }
  return Value::integer(result);
}

Value integer_arithmetic(const std::string& op, std::int64_t a, std::int64_t b, int line) {
  std::int64_t result = 0;
  if (op == "+") {
    if (__builtin_add_overflow(a, b, &result)) overflow(line);
  } else if (op == "-") {
    if (__builtin_sub_overflow(a, b, &result)) overflow(line);
  } else if (op == "*") {
    if (__builtin_mul_overflow(a, b, &result)) overflow(line);
  } else if (op == "/") {
    if (b == 0) runtime_error(line, "division by zero");
    return Value::floating(static_cast<double>(a) / static_cast<double>(b));
  } else if (op == "//" || op == "%") {
    if (b == 0) runtime_error(line, "integer division or modulo by zero");
    if (a == std::numeric_limits<std::int64_t>::min() && b == -1) overflow(line);
    result = op == "//" ? floor_divide(a, b) : python_modulo(a, b);
  } else {
    return integer_power(a, b, line);
  }
  return Value::integer(result);
}

Value float_arithmetic(const std::string& op, double a, double b, int line) {
  if (op == "+") return Value::floating(a + b);
  if (op == "-") return Value::floating(a - b);
  if (op == "*") return Value::floating(a * b);
  if ((op == "/" || op == "//" || op == "%") && b == 0) runtime_error(line, "float division by zero");
  if (op == "/") return Value::floating(a / b);
  if (op == "//") return Value::floating(std::floor(a / b));
  if (op == "%") return Value::floating(python_fmod(a, b));
  return Value::floating(std::pow(a, b));
}

}  // namespace

Value arithmetic(const std::string& op, const Value& left, const Value& right, int line) {
  if (op == "~") return Value::string(left.str() + right.str());
  if (left.is_undefined() || right.is_undefined()) {
    runtime_error(line, (left.is_undefined() ? left : right).undefined_reason());
  }
  if (left.is_number() && right.is_number()) {
    if (is_integral(left) && is_integral(right)) return integer_arithmetic(op, left.as_int(), right.as_int(), line);
    return float_arithmetic(op, left.as_number(), right.as_number(), line);
  }
  if (op == "+") {
    if (left.is_string() && right.is_string()) return Value::string(left.as_string() + right.as_string());
    if (left.is_sequence() && left.kind() == right.kind()) {
      List joined = left.items();
      joined.insert(joined.end(), right.items().begin(), right.items().end());
      return left.kind() == Value::Kind::kTuple ? Value::tuple(std::move(joined)) : Value::list(std::move(joined));
    }
    if (left.is_string() || right.is_string()) {
      runtime_error(line, left.is_string() ? "can only concatenate str (not \"" + right.type_name() + "\") to str"
                                           : "unsupported operand type(s) for +: '" + left.type_name() + "' and 'str'");
    }
  }
  if (op == "*") {
    if ((left.is_string() || left.is_sequence()) && is_integral(right)) return repeat(left, right.as_int(), line);
    if ((right.is_string() || right.is_sequence()) && is_integral(left)) return repeat(right, left.as_int(), line);
  }
  if (op == "%" && left.is_string()) {
    throw TemplateError(TemplateErrorKind::kUnsupported, line, "string formatting with '%' is not supported");
  }
  unsupported_operands(op, left, right, line);
}

bool contains(const Value& haystack, const Value& needle, int line) {
  switch (haystack.kind()) {
    case Value::Kind::kString:
      if (!needle.is_string()) {
        runtime_error(line, "'in <string>' requires string as left operand, not " + needle.type_name());
      }
      return haystack.as_string().find(needle.as_string()) != std::string::npos;
    case Value::Kind::kList:
    case Value::Kind::kTuple:
      for (const Value& item : haystack.items()) {
        if (equals(item, needle)) return true;
      }
      return false;
    case Value::Kind::kDict: return haystack.entries().find(needle) != nullptr;
    case Value::Kind::kUndefined: return false;
    default: runtime_error(line, "argument of type '" + haystack.type_name() + "' is not iterable");
  }
}

}  // namespace forensics::jinja
