// jinja (internal): the tree-walking interpreter and what its filters, tests and methods share:
// scopes, attribute lookup as jinja2's sandbox does it, calls, and the render limits.
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "forensics/jinja/ast.h"
#include "forensics/jinja/error.h"
#include "forensics/jinja/template.h"
#include "forensics/jinja/value.h"

namespace forensics::jinja {

/// Variables visible at one point of a template. A for-loop iteration and a macro call each get a
/// child scope, so their `set`s vanish when they end, as in jinja2; `if` blocks share their parent's.
struct Scope {
  std::unordered_map<std::string, Value> variables;
  std::shared_ptr<Scope> parent;

  const Value* find(const std::string& name) const;
};
using ScopePtr = std::shared_ptr<Scope>;

[[noreturn]] void runtime_error(int line, const std::string& message);

class Interpreter {
 public:
  Interpreter(const RenderOptions& options, std::string& out) : options_(options), out_(&out) {}

  void execute_template(const Body& body, const ScopePtr& scope);
  Value evaluate(const Expr& expr, const ScopePtr& scope);

  /// `object.name` as jinja2's sandbox resolves it: Python attribute (a bound method) first,
  /// then item; missing gives undefined. Throws when `object` is undefined.
  Value get_attribute(const Value& object, const std::string& name, int line);
  /// `object[key]`: item first, then attribute for string keys; missing gives undefined.
  Value get_item(const Value& object, const Value& key, int line);
  Value call(const Value& callee, const CallArgs& args, int line);
  /// The items `for` walks: a list's items, a dict's keys, a string's characters.
  List iterate(const Value& value, int line);

  Value apply_filter(const std::string& name, const Value& value, const CallArgs& args, const ScopePtr& scope);
  bool apply_test(const std::string& name, const Value& value, const CallArgs& args);

  const RenderOptions& options() const { return options_; }
  /// Counts work against RenderOptions::max_steps so a hostile template ends instead of hanging.
  void count_step(int line);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  Flow execute_body(const Body& body, const ScopePtr& scope);
  Flow execute(const Stmt& stmt, const ScopePtr& scope);
  Flow execute_if(const Stmt& stmt, const ScopePtr& scope);
  void execute_for(const Stmt& stmt, const ScopePtr& scope);
  void execute_set(const Stmt& stmt, const ScopePtr& scope);
  void define_macro(const Stmt& stmt, const ScopePtr& scope);
  void execute_call_block(const Stmt& stmt, const ScopePtr& scope);
  std::string capture(const Body& body, const ScopePtr& scope);
  Value call_macro(const Stmt& macro, const ScopePtr& defined_in, const CallArgs& args);
  void write(const std::string& text, int line);

  Value evaluate_binary(const Expr& expr, const ScopePtr& scope);
  Value evaluate_compare(const Expr& expr, const ScopePtr& scope);
  Value evaluate_slice(const Expr& expr, const ScopePtr& scope);
  CallArgs evaluate_arguments(const Expr& expr, std::size_t first, const ScopePtr& scope);

  struct DepthGuard {
    DepthGuard(Interpreter& interpreter, int line);
    ~DepthGuard() { --interpreter_.depth_; }
    Interpreter& interpreter_;
  };

  const RenderOptions& options_;
  std::string* out_;
  int depth_ = 0;
  long long steps_ = 0;
};

/// Python's binary operators on values (`+ - * / // % **`), raising as Python raises.
Value arithmetic(const std::string& op, const Value& left, const Value& right, int line);
/// `needle in haystack` for strings, sequences and dicts.
bool contains(const Value& haystack, const Value& needle, int line);
/// A string's, list's or dict's method `name` bound to it, or undefined if it has none.
Value bound_method(Interpreter& interpreter, const Value& object, const std::string& name, int line);
/// json.dumps as transformers' tojson calls it.
std::string json_dumps(const Value& value, const CallArgs& args, int line);
/// The globals transformers adds and the jinja2 defaults chat templates use.
void add_globals(Scope& scope, Interpreter& interpreter);

}  // namespace forensics::jinja
