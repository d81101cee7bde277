#include "forensics/jinja/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include <utf8proc.h>

#include "forensics/jinja/error.h"

namespace forensics::jinja {
namespace {

// Python's str.isprintable: false for separators other than the space and for the "other"
// categories (controls, format characters such as U+200B, surrogates, unassigned).
bool is_printable(utf8proc_int32_t code_point) {
  if (code_point == ' ') return true;
  switch (utf8proc_category(code_point)) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: return false;
    default: return true;
  }
}

void append_escaped_code_point(std::string& out, utf8proc_int32_t code_point) {
  char buffer[16];
  if (code_point < 0x100) {
    std::snprintf(buffer, sizeof buffer, "\\x%02x", static_cast<unsigned>(code_point));
  } else if (code_point < 0x10000) {
    std::snprintf(buffer, sizeof buffer, "\\u%04x", static_cast<unsigned>(code_point));
  } else {
    std::snprintf(buffer, sizeof buffer, "\\U%08x", static_cast<unsigned>(code_point));
  }
  out += buffer;
}

std::string sequence_repr(const List& items, char open, char close, bool tuple) {
  std::string out(1, open);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += items[i].repr();
  }
  if (tuple && items.size() == 1) out += ',';
  out += close;
  return out;
}

std::string dict_repr(const Dict& dict) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, item] : dict.items) {
    if (!first) out += ", ";
    first = false;
    out += key.repr() + ": " + item.repr();
  }
  return out + "}";
}

}  // namespace

const Value* Dict::find(const Value& key) const {
  for (const auto& item : items) {
    if (equals(item.first, key)) return &item.second;
  }
  return nullptr;
}

Value* Dict::find(const Value& key) {
  for (auto& item : items) {
    if (equals(item.first, key)) return &item.second;
  }
  return nullptr;
}

void Dict::set(Value key, Value value) {
  if (Value* existing = find(key)) {
    *existing = std::move(value);
  } else {
    items.emplace_back(std::move(key), std::move(value));
  }
}

Value Value::list(List items) {
  Value v(Kind::kList);
  v.list_ = std::make_shared<List>(std::move(items));
  return v;
}

Value Value::tuple(List items) {
  Value v(Kind::kTuple);
  v.list_ = std::make_shared<List>(std::move(items));
  return v;
}

Value Value::dict(Dict items) {
  Value v(Kind::kDict);
  v.dict_ = std::make_shared<Dict>(std::move(items));
  return v;
}

Value Value::namespace_object(Dict attributes) {
  Value v(Kind::kNamespace);
  v.dict_ = std::make_shared<Dict>(std::move(attributes));
  return v;
}

Value Value::callable(std::string name, std::function<Value(const CallArgs&)> call) {
  Value v(Kind::kCallable);
  v.function_ = std::make_shared<Callable>(Callable{std::move(name), std::move(call)});
  return v;
}

Value Value::from_json(const Json& json) {
  switch (json.type()) {
    case Json::value_t::null: return none();
    case Json::value_t::boolean: return boolean(json.get<bool>());
    case Json::value_t::number_integer: return integer(json.get<std::int64_t>());
    case Json::value_t::number_unsigned: {
      const auto u = json.get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) return floating(static_cast<double>(u));
      return integer(static_cast<std::int64_t>(u));
    }
    case Json::value_t::number_float: return floating(json.get<double>());
    case Json::value_t::string: return string(json.get<std::string>());
    case Json::value_t::array: {
      List items;
      items.reserve(json.size());
      for (const auto& item : json) items.push_back(from_json(item));
      return list(std::move(items));
    }
    case Json::value_t::object: {
      Dict entries;
      entries.items.reserve(json.size());
      for (const auto& [key, item] : json.items()) entries.items.emplace_back(string(key), from_json(item));
      return dict(std::move(entries));
    }
    default: throw TemplateError(TemplateErrorKind::kRuntime, 0, "binary JSON values cannot reach a template");
  }
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::kUndefined:
    case Kind::kNone: return false;
    case Kind::kBool:
    case Kind::kInt: return int_ != 0;
    case Kind::kFloat: return float_ != 0;
    case Kind::kString: return !text_.empty();
    case Kind::kList:
    case Kind::kTuple: return !list_->empty();
    case Kind::kDict: return !dict_->items.empty();
    case Kind::kNamespace:
    case Kind::kCallable: return true;
  }
  return false;
}

std::string Value::str() const {
  switch (kind_) {
    case Kind::kUndefined: return "";
    case Kind::kString: return text_;
    default: return repr();
  }
}

std::string Value::repr() const {
  switch (kind_) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "None";
    case Kind::kBool: return int_ ? "True" : "False";
    case Kind::kInt: return std::to_string(int_);
    case Kind::kFloat: return python_float_repr(float_);
    case Kind::kString: return python_string_repr(text_);
    case Kind::kList: return sequence_repr(*list_, '[', ']', false);
    case Kind::kTuple: return sequence_repr(*list_, '(', ')', true);
    case Kind::kDict: return dict_repr(*dict_);
    case Kind::kNamespace: return "<Namespace " + dict_repr(*dict_) + ">";
    case Kind::kCallable: return "<function " + function_->name + ">";
  }
  return "";
}

std::string Value::type_name() const {
  switch (kind_) {
    case Kind::kUndefined: return "Undefined";
    case Kind::kNone: return "NoneType";
    case Kind::kBool: return "bool";
    case Kind::kInt: return "int";
    case Kind::kFloat: return "float";
    case Kind::kString: return "str";
    case Kind::kList: return "list";
    case Kind::kTuple: return "tuple";
    case Kind::kDict: return "dict";
    case Kind::kNamespace: return "Namespace";
    case Kind::kCallable: return "function";
  }
  return "";
}

Value CallArgs::get(std::size_t index, std::string_view name, Value fallback) const {
  for (const auto& [key, value] : keyword) {
    if (key == name) return value;
  }
  if (index < positional.size()) return positional[index];
  return fallback;
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_number() == b.as_number();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) {
    // Python compares a list and a tuple as different types.
    return false;
  }
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone: return true;
    case Value::Kind::kString: return a.as_string() == b.as_string();
    case Value::Kind::kList:
    case Value::Kind::kTuple: {
      if (a.items().size() != b.items().size()) return false;
      for (std::size_t i = 0; i < a.items().size(); ++i) {
        if (!equals(a.items()[i], b.items()[i])) return false;
      }
      return true;
    }
    case Value::Kind::kDict: {
      if (a.entries().items.size() != b.entries().items.size()) return false;
      for (const auto& [key, item] : a.entries().items) {
        const Value* other = b.entries().find(key);
        if (other == nullptr || !equals(item, *other)) return false;
      }
      return true;
    }
    case Value::Kind::kNamespace: return &a.entries() == &b.entries();
    case Value::Kind::kCallable: return &a.function() == &b.function();
    default: return false;
  }
}

bool less_than(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.as_number() < b.as_number();
    return a.as_int() < b.as_int();
  }
  // UTF-8 byte order is code point order, which is how Python orders str.
  if (a.is_string() && b.is_string()) return a.as_string() < b.as_string();
  if (a.is_sequence() && a.kind() == b.kind()) {
    const List& x = a.items();
    const List& y = b.items();
    for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (!equals(x[i], y[i])) return less_than(x[i], y[i]);
    }
    return x.size() < y.size();
  }
  throw TemplateError(TemplateErrorKind::kRuntime, 0,
                      "'<' not supported between instances of '" + a.type_name() + "' and '" + b.type_name() + "'");
}

std::string python_string_repr(std::string_view text) {
  const bool has_single = text.find('\'') != std::string_view::npos;
  const bool has_double = text.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto remaining = static_cast<utf8proc_ssize_t>(text.size());
  while (remaining > 0) {
    utf8proc_int32_t code_point = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes, remaining, &code_point);
    if (length <= 0) {  // invalid UTF-8 cannot come from JSON; keep the byte
      out += static_cast<char>(*bytes);
      length = 1;
    } else if (code_point == quote || code_point == '\\') {
      out += '\\';
      out += static_cast<char>(code_point);
    } else if (code_point == '\n') {
      out += "\\n";
    } else if (code_point == '\r') {
      out += "\\r";
    } else if (code_point == '\t') {
      out += "\\t";
    } else if (!is_printable(code_point)) {
      append_escaped_code_point(out, code_point);
    } else {
      out.append(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(length));
    }
    bytes += length;
    remaining -= length;
  }
  out += quote;
  return out;
}

}  // namespace forensics::jinja
