#include "interpreter.h"

#include <algorithm>

#include "python_text.h"

namespace forensics::jinja {
namespace {

// A loop's `loop` variable: jinja2's LoopContext attributes for item `index` of `length`.
Value loop_object(const List& items, std::size_t index) {
  const auto length = static_cast<std::int64_t>(items.size());
  const auto i = static_cast<std::int64_t>(index);
  Dict attributes;
  attributes.set(Value::string("index"), Value::integer(i + 1));
  attributes.set(Value::string("index0"), Value::integer(i));
  attributes.set(Value::string("revindex"), Value::integer(length - i));
  attributes.set(Value::string("revindex0"), Value::integer(length - i - 1));
  attributes.set(Value::string("first"), Value::boolean(i == 0));
  attributes.set(Value::string("last"), Value::boolean(i == length - 1));
  attributes.set(Value::string("length"), Value::integer(length));
  attributes.set(Value::string("depth"), Value::integer(1));
  attributes.set(Value::string("depth0"), Value::integer(0));
  if (i > 0) attributes.set(Value::string("previtem"), items[index - 1]);
  if (i + 1 < length) attributes.set(Value::string("nextitem"), items[index + 1]);
  attributes.set(Value::string("cycle"), Value::callable("loop.cycle", [index](const CallArgs& args) {
                   if (args.positional.empty()) runtime_error(args.line, "no items for cycling given");
                   return args.positional[index % args.positional.size()];
                 }));
  return Value::namespace_object(std::move(attributes));
}

void assign_targets(Scope& scope, const std::vector<std::string>& targets, const Value& value, int line) {
  if (targets.size() == 1) {
    scope.variables[targets[0]] = value;
    return;
  }
  List parts;
  if (value.is_sequence()) {
    parts = value.items();
  } else if (value.is_string()) {
    const CodePoints points = to_code_points(value.as_string());
    for (std::size_t i = 0; i < points.size(); ++i) parts.push_back(Value::string(from_code_points(points, i, i + 1)));
  } else if (value.is_dict()) {
    for (const auto& item : value.entries().items) parts.push_back(item.first);
  } else {
    runtime_error(line, "cannot unpack non-iterable " + value.type_name() + " object");
  }
  if (parts.size() != targets.size()) {
    runtime_error(line, (parts.size() > targets.size() ? "too many values to unpack (expected "
                                                       : "not enough values to unpack (expected ") +
                            std::to_string(targets.size()) + ", got " + std::to_string(parts.size()) + ")");
  }
  for (std::size_t i = 0; i < targets.size(); ++i) scope.variables[targets[i]] = parts[i];
}

// Python's slice.indices(length) for a possibly negative step.
void slice_bounds(std::int64_t length, const Value& start_value, const Value& stop_value, std::int64_t step,
                  std::int64_t& start, std::int64_t& stop) {
  auto clamp = [&](const Value& value, std::int64_t fallback) {
    if (value.is_none() || value.is_undefined()) return fallback;
    std::int64_t index = value.as_int();
    if (index < 0) index += length;
    if (step > 0) return std::clamp<std::int64_t>(index, 0, length);
    return std::clamp<std::int64_t>(index, -1, length - 1);
  };
  start = clamp(start_value, step > 0 ? 0 : length - 1);
  stop = clamp(stop_value, step > 0 ? length : -1);
}

}  // namespace

const Value* Scope::find(const std::string& name) const {
  for (const Scope* scope = this; scope != nullptr; scope = scope->parent.get()) {
    const auto found = scope->variables.find(name);
    if (found != scope->variables.end()) return &found->second;
  }
  return nullptr;
}

void runtime_error(int line, const std::string& message) {
  throw TemplateError(TemplateErrorKind::kRuntime, line, message);
}

Interpreter::DepthGuard::DepthGuard(Interpreter& interpreter, int line) : interpreter_(interpreter) {
  if (++interpreter_.depth_ > interpreter_.options_.max_depth) {
    --interpreter_.depth_;
    throw TemplateError(TemplateErrorKind::kLimit, line,
                        "recursion deeper than " + std::to_string(interpreter_.options_.max_depth) + " levels");
  }
}

void Interpreter::count_step(int line) {
  if (++steps_ > options_.max_steps) {
    throw TemplateError(TemplateErrorKind::kLimit, line,
                        "more than " + std::to_string(options_.max_steps) + " loop iterations and macro calls");
  }
}

void Interpreter::write(const std::string& text, int line) {
  if (out_->size() + text.size() > options_.max_output_bytes) {
    throw TemplateError(TemplateErrorKind::kLimit, line,
                        "output larger than " + std::to_string(options_.max_output_bytes) + " bytes");
  }
  *out_ += text;
}

void Interpreter::execute_template(const Body& body, const ScopePtr& scope) { execute_body(body, scope); }

Interpreter::Flow Interpreter::execute_body(const Body& body, const ScopePtr& scope) {
  for (const auto& stmt : body) {
    const Flow flow = execute(*stmt, scope);
    if (flow != Flow::kNormal) return flow;
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::execute(const Stmt& stmt, const ScopePtr& scope) {
  switch (stmt.kind) {
    case Stmt::Kind::kText: write(stmt.text, stmt.line); break;
    case Stmt::Kind::kOutput: write(evaluate(*stmt.expr, scope).str(), stmt.line); break;
    case Stmt::Kind::kIf: return execute_if(stmt, scope);
    case Stmt::Kind::kFor: execute_for(stmt, scope); break;
    case Stmt::Kind::kSet: execute_set(stmt, scope); break;
    case Stmt::Kind::kSetBlock: scope->variables[stmt.targets[0]] = Value::string(capture(stmt.body, scope)); break;
    case Stmt::Kind::kMacro: define_macro(stmt, scope); break;
    case Stmt::Kind::kCallBlock: execute_call_block(stmt, scope); break;
    case Stmt::Kind::kFilterBlock: {
      const Value text = Value::string(capture(stmt.body, scope));
      const Expr* filter = stmt.expr.get();
      std::vector<const Expr*> chain;
      for (; filter != nullptr; filter = filter->operands[0].get()) chain.push_back(filter);
      Value value = text;
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        value = apply_filter((*it)->name, value, evaluate_arguments(**it, 1, scope), scope);
      }
      write(value.str(), stmt.line);
      break;
    }
    case Stmt::Kind::kBreak: return Flow::kBreak;
    case Stmt::Kind::kContinue: return Flow::kContinue;
    case Stmt::Kind::kGeneration: return execute_body(stmt.body, scope);
    case Stmt::Kind::kWith: {
      auto child = std::make_shared<Scope>();
      child->parent = scope;
      for (const auto& [name, value] : stmt.parameters) child->variables[name] = evaluate(*value, scope);
      return execute_body(stmt.body, child);
    }
  }
  return Flow::kNormal;
}

Interpreter::Flow Interpreter::execute_if(const Stmt& stmt, const ScopePtr& scope) {
  for (const auto& [condition, body] : stmt.branches) {
    if (condition == nullptr || evaluate(*condition, scope).truthy()) return execute_body(body, scope);
  }
  return Flow::kNormal;
}

void Interpreter::execute_for(const Stmt& stmt, const ScopePtr& scope) {
  DepthGuard guard(*this, stmt.line);
  List items = iterate(evaluate(*stmt.expr, scope), stmt.line);
  if (stmt.condition) {
    List kept;
    for (const Value& item : items) {
      auto probe = std::make_shared<Scope>();
      probe->parent = scope;
      assign_targets(*probe, stmt.targets, item, stmt.line);
      if (evaluate(*stmt.condition, probe).truthy()) kept.push_back(item);
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    auto child = std::make_shared<Scope>();
    child->parent = scope;
    execute_body(stmt.else_body, child);
    return;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    count_step(stmt.line);
    auto child = std::make_shared<Scope>();
    child->parent = scope;
    child->variables["loop"] = loop_object(items, i);
    assign_targets(*child, stmt.targets, items[i], stmt.line);
    if (execute_body(stmt.body, child) == Flow::kBreak) break;
  }
}

void Interpreter::execute_set(const Stmt& stmt, const ScopePtr& scope) {
  const Value value = evaluate(*stmt.expr, scope);
  if (stmt.attribute.empty()) {
    assign_targets(*scope, stmt.targets, value, stmt.line);
    return;
  }
  const Value* target = scope->find(stmt.targets[0]);
  if (target == nullptr || !target->is_namespace()) {
    runtime_error(stmt.line, "cannot assign attribute on non-namespace object");
  }
  if (!stmt.attribute.empty() && stmt.attribute[0] == '_') {
    runtime_error(stmt.line, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '" +
                                 stmt.attribute + "'. Please rename the attribute.");
  }
  target->mutable_entries().set(Value::string(stmt.attribute), value);
}

std::string Interpreter::capture(const Body& body, const ScopePtr& scope) {
  std::string captured;
  std::string* saved = out_;
  out_ = &captured;
  try {
    execute_body(body, scope);
  } catch (...) {
    out_ = saved;
    throw;
  }
  out_ = saved;
  return captured;
}

void Interpreter::define_macro(const Stmt& stmt, const ScopePtr& scope) {
  // A weak reference: the scope holds the macro, so a strong one would be a cycle.
  std::weak_ptr<Scope> defined_in = scope;
  const Stmt* macro = &stmt;
  scope->variables[stmt.name] = Value::callable(stmt.name, [this, macro, defined_in](const CallArgs& args) {
    const ScopePtr scope_now = defined_in.lock();
    if (!scope_now) runtime_error(args.line, "macro '" + macro->name + "' called after its scope ended");
    return call_macro(*macro, scope_now, args);
  });
}

Value Interpreter::call_macro(const Stmt& macro, const ScopePtr& defined_in, const CallArgs& args) {
  DepthGuard guard(*this, args.line);
  count_step(args.line);
  auto scope = std::make_shared<Scope>();
  scope->parent = defined_in;
  std::vector<bool> bound(macro.parameters.size(), false);
  List extra;
  for (std::size_t i = 0; i < args.positional.size(); ++i) {
    if (i < macro.parameters.size()) {
      scope->variables[macro.parameters[i].first] = args.positional[i];
      bound[i] = true;
    } else {
      extra.push_back(args.positional[i]);
    }
  }
  Dict extra_keywords;
  for (const auto& [key, value] : args.keyword) {
    bool matched = false;
    for (std::size_t i = 0; i < macro.parameters.size(); ++i) {
      if (macro.parameters[i].first != key) continue;
      if (bound[i])
        runtime_error(args.line, "macro '" + macro.name + "' got multiple values for argument '" + key + "'");
      scope->variables[key] = value;
      bound[i] = matched = true;
    }
    if (matched) continue;
    if (key == "caller") {  // a call block hands its body to the macro as `caller`
      scope->variables["caller"] = value;
    } else {
      extra_keywords.set(Value::string(key), value);
    }
  }
  for (std::size_t i = 0; i < macro.parameters.size(); ++i) {
    if (bound[i]) continue;
    const auto& [name, fallback] = macro.parameters[i];
    scope->variables[name] =
        fallback ? evaluate(*fallback, scope) : Value::undefined("parameter '" + name + "' was not provided");
  }
  scope->variables["varargs"] = Value::tuple(std::move(extra));
  scope->variables["kwargs"] = Value::dict(std::move(extra_keywords));
  return Value::string(capture(macro.body, scope));
}

void Interpreter::execute_call_block(const Stmt& stmt, const ScopePtr& scope) {
  const Stmt* block = &stmt;
  Value caller = Value::callable("caller", [this, block, scope](const CallArgs& args) {
    auto child = std::make_shared<Scope>();
    child->parent = scope;
    for (std::size_t i = 0; i < block->parameters.size(); ++i) {
      const auto& [name, fallback] = block->parameters[i];
      child->variables[name] = args.get(i, name, fallback ? evaluate(*fallback, child) : Value());
    }
    return Value::string(capture(block->body, child));
  });
  const Expr& call_expr = *stmt.expr;
  const Value callee = evaluate(*call_expr.operands[0], scope);
  CallArgs args = evaluate_arguments(call_expr, 1, scope);
  args.keyword.emplace_back("caller", caller);
  write(call(callee, args, stmt.line).str(), stmt.line);
}

List Interpreter::iterate(const Value& value, int line) {
  switch (value.kind()) {
    case Value::Kind::kUndefined: return {};
    case Value::Kind::kList:
    case Value::Kind::kTuple: return value.items();
    case Value::Kind::kDict: {
      List keys;
      for (const auto& item : value.entries().items) keys.push_back(item.first);
      return keys;
    }
    case Value::Kind::kString: {
      List characters;
      const CodePoints points = to_code_points(value.as_string());
      for (std::size_t i = 0; i < points.size(); ++i) {
        characters.push_back(Value::string(from_code_points(points, i, i + 1)));
      }
      return characters;
    }
    default: runtime_error(line, "'" + value.type_name() + "' object is not iterable");
  }
}

Value Interpreter::call(const Value& callee, const CallArgs& args, int line) {
  if (callee.is_undefined()) {
    runtime_error(line, callee.undefined_reason().empty() ? "call of an undefined value" : callee.undefined_reason());
  }
  if (!callee.is_callable()) runtime_error(line, "'" + callee.type_name() + "' object is not callable");
  CallArgs with_line = args;
  with_line.line = line;
  return callee.function().call(with_line);
}

Value Interpreter::get_attribute(const Value& object, const std::string& name, int line) {
  if (object.is_undefined()) {
    runtime_error(
        line, object.undefined_reason().empty() ? "'" + name + "' of an undefined value" : object.undefined_reason());
  }
  const Value method = bound_method(*this, object, name, line);
  if (!method.is_undefined()) return method;
  if (object.is_dict() || object.is_namespace()) {
    if (const Value* found = object.entries().find(Value::string(name))) return *found;
  }
  return Value::undefined("'" + object.type_name() + " object' has no attribute '" + name + "'");
}

Value Interpreter::get_item(const Value& object, const Value& key, int line) {
  if (object.is_undefined()) {
    runtime_error(line,
                  object.undefined_reason().empty() ? "subscript of an undefined value" : object.undefined_reason());
  }
  if (object.is_dict()) {
    if (const Value* found = object.entries().find(key)) return *found;
  } else if ((object.is_sequence() || object.is_string()) && (key.is_int() || key.is_bool())) {
    const bool text = object.is_string();
    const CodePoints points = text ? to_code_points(object.as_string()) : CodePoints{};
    const auto length = static_cast<std::int64_t>(text ? points.size() : object.items().size());
    std::int64_t index = key.as_int();
    if (index < 0) index += length;
    if (index >= 0 && index < length) {
      const auto at = static_cast<std::size_t>(index);
      return text ? Value::string(from_code_points(points, at, at + 1)) : object.items()[at];
    }
  }
  if (key.is_string()) return get_attribute(object, key.as_string(), line);
  return Value::undefined("'" + object.type_name() + " object' has no item " + key.repr());
}

Value Interpreter::evaluate_slice(const Expr& expr, const ScopePtr& scope) {
  const Value target = evaluate(*expr.operands[0], scope);
  Value parts[3];
  for (int i = 0; i < 3; ++i) {
    if (expr.operands[i + 1]) parts[i] = evaluate(*expr.operands[i + 1], scope);
    if (!parts[i].is_undefined() && !parts[i].is_none() && !parts[i].is_int() && !parts[i].is_bool()) {
      runtime_error(expr.line, "slice indices must be integers or None");
    }
  }
  if (target.is_undefined()) runtime_error(expr.line, target.undefined_reason());
  const std::int64_t step = parts[2].is_int() ? parts[2].as_int() : 1;
  if (step == 0) runtime_error(expr.line, "slice step cannot be zero");
  const bool text = target.is_string();
  if (!text && !target.is_sequence()) return Value::undefined("'" + target.type_name() + "' object is not sliceable");
  const CodePoints points = text ? to_code_points(target.as_string()) : CodePoints{};
  const auto length = static_cast<std::int64_t>(text ? points.size() : target.items().size());
  std::int64_t start = 0;
  std::int64_t stop = 0;
  slice_bounds(length, parts[0], parts[1], step, start, stop);
  std::string out_text;
  List out_items;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop;) {
    const auto at = static_cast<std::size_t>(i);
    if (text) {
      append_utf8(out_text, static_cast<std::uint32_t>(points[at]));
    } else {
      out_items.push_back(target.items()[at]);
    }
    if (__builtin_add_overflow(i, step, &i)) break;  // a huge step: past either end
  }
  if (text) return Value::string(std::move(out_text));
  return target.kind() == Value::Kind::kTuple ? Value::tuple(std::move(out_items)) : Value::list(std::move(out_items));
}

CallArgs Interpreter::evaluate_arguments(const Expr& expr, std::size_t first, const ScopePtr& scope) {
  CallArgs args;
  args.line = expr.line;
  for (std::size_t i = first; i < expr.operands.size(); ++i)
    args.positional.push_back(evaluate(*expr.operands[i], scope));
  for (const auto& [key, value] : expr.keywords) args.keyword.emplace_back(key, evaluate(*value, scope));
  return args;
}

Value Interpreter::evaluate_binary(const Expr& expr, const ScopePtr& scope) {
  const Value left = evaluate(*expr.operands[0], scope);
  if (expr.name == "and") return left.truthy() ? evaluate(*expr.operands[1], scope) : left;
  if (expr.name == "or") return left.truthy() ? left : evaluate(*expr.operands[1], scope);
  const Value right = evaluate(*expr.operands[1], scope);
  Value result = arithmetic(expr.name, left, right, expr.line);
  if (result.is_string() && result.as_string().size() > options_.max_output_bytes) {
    throw TemplateError(TemplateErrorKind::kLimit, expr.line,
                        "a string longer than " + std::to_string(options_.max_output_bytes) + " bytes");
  }
  return result;
}

Value Interpreter::evaluate_compare(const Expr& expr, const ScopePtr& scope) {
  Value left = evaluate(*expr.operands[0], scope);
  for (std::size_t i = 0; i < expr.ops.size(); ++i) {
    Value right = evaluate(*expr.operands[i + 1], scope);
    const std::string& op = expr.ops[i];
    bool holds = false;
    if (op == "==") {
      holds = equals(left, right);
    } else if (op == "!=") {
      holds = !equals(left, right);
    } else if (op == "in" || op == "not in") {
      holds = contains(right, left, expr.line) == (op == "in");
    } else {
      if (left.is_undefined() || right.is_undefined()) {
        runtime_error(expr.line, (left.is_undefined() ? left : right).undefined_reason());
      }
      if (op == "<") holds = less_than(left, right);
      if (op == ">") holds = less_than(right, left);
      if (op == "<=") holds = !less_than(right, left);
      if (op == ">=") holds = !less_than(left, right);
    }
    if (!holds) return Value::boolean(false);
    left = std::move(right);
  }
  return Value::boolean(true);
}

Value Interpreter::evaluate(const Expr& expr, const ScopePtr& scope) {
  try {
    switch (expr.kind) {
      case Expr::Kind::kLiteral: return expr.literal;
      case Expr::Kind::kName: {
        const Value* found = scope->find(expr.name);
        return found != nullptr ? *found : Value::undefined("'" + expr.name + "' is undefined");
      }
      case Expr::Kind::kAttribute: return get_attribute(evaluate(*expr.operands[0], scope), expr.name, expr.line);
      case Expr::Kind::kSubscript:
        return get_item(evaluate(*expr.operands[0], scope), evaluate(*expr.operands[1], scope), expr.line);
      case Expr::Kind::kSlice: return evaluate_slice(expr, scope);
      case Expr::Kind::kCall: {
        const Value callee = evaluate(*expr.operands[0], scope);
        return call(callee, evaluate_arguments(expr, 1, scope), expr.line);
      }
      case Expr::Kind::kFilter:
        return apply_filter(expr.name, evaluate(*expr.operands[0], scope), evaluate_arguments(expr, 1, scope), scope);
      case Expr::Kind::kTest: {
        const bool holds =
            apply_test(expr.name, evaluate(*expr.operands[0], scope), evaluate_arguments(expr, 1, scope));
        return Value::boolean(holds != expr.negated);
      }
      case Expr::Kind::kUnary: {
        const Value operand = evaluate(*expr.operands[0], scope);
        if (expr.name == "not") return Value::boolean(!operand.truthy());
        if (expr.name == "-") return arithmetic("-", Value::integer(0), operand, expr.line);
        if (!operand.is_number())
          runtime_error(expr.line, "bad operand type for unary +: '" + operand.type_name() + "'");
        return operand.is_bool() ? Value::integer(operand.as_int()) : operand;
      }
      case Expr::Kind::kBinary: return evaluate_binary(expr, scope);
      case Expr::Kind::kCompare: return evaluate_compare(expr, scope);
      case Expr::Kind::kCondition:
        if (evaluate(*expr.operands[1], scope).truthy()) return evaluate(*expr.operands[0], scope);
        return expr.operands[2] ? evaluate(*expr.operands[2], scope) : Value::undefined("the condition was false");
      case Expr::Kind::kList:
      case Expr::Kind::kTuple: {
        List items;
        for (const auto& operand : expr.operands) items.push_back(evaluate(*operand, scope));
        return expr.kind == Expr::Kind::kList ? Value::list(std::move(items)) : Value::tuple(std::move(items));
      }
      case Expr::Kind::kDict: {
        Dict entries;
        for (std::size_t i = 0; i + 1 < expr.operands.size(); i += 2) {
          entries.set(evaluate(*expr.operands[i], scope), evaluate(*expr.operands[i + 1], scope));
        }
        return Value::dict(std::move(entries));
      }
    }
  } catch (const TemplateError& error) {
    if (error.line() != 0) throw;
    throw TemplateError(error.kind(), expr.line, error.message());
  }
  return Value();
}

}  // namespace forensics::jinja
