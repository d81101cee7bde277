// jinja: the values a chat template computes with, and the Python semantics they need for
// byte parity with jinja2 (truthiness, str(), repr(), ==, <). Torch-free, C++17.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forensics/util/json.h"
#include "forensics/util/python_float.h"

namespace forensics::jinja {

class Value;
struct CallArgs;

using List = std::vector<Value>;

/// An insertion-ordered mapping, as a Python dict. Lookup is linear: the dicts of a chat (a
/// message, a tool schema) have a handful of keys.
struct Dict {
  std::vector<std::pair<Value, Value>> items;

  const Value* find(const Value& key) const;
  Value* find(const Value& key);
  void set(Value key, Value value);
};

/// A function a template can call: a global (`raise_exception`), a macro, a bound method.
struct Callable {
  std::string name;
  std::function<Value(const CallArgs&)> call;
};

/// A value as jinja2 sees it. Lists, dicts and namespaces are shared, as Python references are:
/// `{% set ns.x = 1 %}` changes the namespace every name for it sees.
class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kTuple, kDict, kNamespace, kCallable };

  Value() = default;  // undefined
  static Value undefined(std::string why = "") {
    Value v;
    v.text_ = std::move(why);
    return v;
  }
  static Value none() { return Value(Kind::kNone); }
  static Value boolean(bool b) {
    Value v(Kind::kBool);
    v.int_ = b ? 1 : 0;
    return v;
  }
  static Value integer(std::int64_t i) {
    Value v(Kind::kInt);
    v.int_ = i;
    return v;
  }
  static Value floating(double d) {
    Value v(Kind::kFloat);
    v.float_ = d;
    return v;
  }
  static Value string(std::string s) {
    Value v(Kind::kString);
    v.text_ = std::move(s);
    return v;
  }
  static Value list(List items = {});
  static Value tuple(List items);
  static Value dict(Dict items = {});
  static Value namespace_object(Dict attributes);
  static Value callable(std::string name, std::function<Value(const CallArgs&)> call);

  /// A JSON document as the template sees it: objects become dicts in their key order.
  static Value from_json(const Json& json);

  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat || kind_ == Kind::kBool; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_sequence() const { return kind_ == Kind::kList || kind_ == Kind::kTuple; }
  bool is_dict() const { return kind_ == Kind::kDict; }
  bool is_namespace() const { return kind_ == Kind::kNamespace; }
  bool is_callable() const { return kind_ == Kind::kCallable; }

  bool as_bool() const { return int_ != 0; }
  std::int64_t as_int() const { return int_; }
  /// Int, float or bool as a double.
  double as_number() const { return kind_ == Kind::kFloat ? float_ : static_cast<double>(int_); }
  const std::string& as_string() const { return text_; }
  /// Why an undefined value is undefined ("'dict object' has no attribute 'x'"), for errors.
  const std::string& undefined_reason() const { return text_; }
  const List& items() const { return *list_; }
  const Dict& entries() const { return *dict_; }
  Dict& mutable_entries() const { return *dict_; }
  const Callable& function() const { return *function_; }

  /// Python's bool(value); undefined is falsy.
  bool truthy() const;
  /// Python's str(value), as jinja2 prints `{{ value }}`; undefined prints as nothing.
  std::string str() const;
  /// Python's repr(value), as str() writes the items of a list or dict.
  std::string repr() const;
  /// The name Python gives the type, for error messages ("dict", "str", "NoneType").
  std::string type_name() const;

 private:
  explicit Value(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::kUndefined;
  std::int64_t int_ = 0;
  double float_ = 0;
  std::string text_;
  std::shared_ptr<List> list_;
  std::shared_ptr<Dict> dict_;
  std::shared_ptr<Callable> function_;
};

/// Arguments of a call: `f(1, x=2)`. `line` is the template line, for error messages.
struct CallArgs {
  List positional;
  std::vector<std::pair<std::string, Value>> keyword;
  int line = 0;

  /// The argument at `index` or named `name`, else `fallback`.
  Value get(std::size_t index, std::string_view name, Value fallback = Value()) const;
};

/// Python's `a == b`: 1 == 1.0 == True, containers compare by content, dicts ignore order.
bool equals(const Value& a, const Value& b);

/// Python's `a < b` for numbers, strings (by code point) and sequences; other pairs throw.
bool less_than(const Value& a, const Value& b);

/// Python's repr of a float (util/python_float.h), as the engine prints floats.
using util::python_float_repr;

/// Python's repr of a string: single quotes unless it holds ' and no ", escapes for
/// unprintable characters.
std::string python_string_repr(std::string_view text);

}  // namespace forensics::jinja
