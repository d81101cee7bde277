// jinja: the syntax tree the parser builds and the interpreter walks. One node type each for
// expressions and statements, told apart by `kind`; each node keeps its template line for errors.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "forensics/jinja/value.h"

namespace forensics::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

struct Expr {
  enum class Kind {
    kLiteral,    // literal
    kName,       // name
    kAttribute,  // operands[0].name
    kSubscript,  // operands[0][operands[1]]
    kSlice,      // operands[0][operands[1]:operands[2]:operands[3]], absent parts null
    kCall,       // operands[0](operands[1..], keywords)
    kFilter,     // operands[0] | name(operands[1..], keywords)
    kTest,       // operands[0] is [not] name(operands[1..], keywords)
    kUnary,      // name in {"-", "+", "not"} applied to operands[0]
    kBinary,     // operands[0] name operands[1]; name in + - * / // % ** ~ and or
    kCompare,    // operands[0] ops[0] operands[1] ops[1] ...; Python's chained comparison
    kCondition,  // operands[0] if operands[1] else operands[2] (null: undefined)
    kList,
    kTuple,
    kDict,  // operands alternate key, value
  };

  Kind kind;
  int line;
  Value literal;
  std::string name;
  std::vector<ExprPtr> operands;
  std::vector<std::pair<std::string, ExprPtr>> keywords;
  std::vector<std::string> ops;  // kCompare: "==", "!=", "<", "<=", ">", ">=", "in", "not in"
  bool negated = false;          // kTest: `is not`
};

struct Stmt {
  enum class Kind {
    kText,         // text
    kOutput,       // {{ expr }}
    kIf,           // branches: (condition, body); a null condition is the else branch
    kFor,          // for targets in expr [if condition]: body [else else_body]
    kSet,          // set targets = expr, or set targets[0].attribute = expr
    kSetBlock,     // set targets[0] %}body{% endset
    kMacro,        // macro name(parameters): body
    kCallBlock,    // call(parameters) expr: body, the body callable as `caller`
    kFilterBlock,  // filter expr (a kFilter on a null operand): body
    kBreak,
    kContinue,
    kGeneration,  // transformers' {% generation %}: renders its body as it is
    kWith,        // with parameters (name = value): body, in a child scope
  };

  Kind kind;
  int line;
  std::string text;
  std::string name;
  std::string attribute;
  ExprPtr expr;
  ExprPtr condition;
  std::vector<std::string> targets;
  std::vector<std::pair<ExprPtr, Body>> branches;
  std::vector<std::pair<std::string, ExprPtr>> parameters;  // macro parameters with defaults
  Body body;
  Body else_body;
};

}  // namespace forensics::jinja
