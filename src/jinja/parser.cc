#include "forensics/jinja/parser.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "forensics/jinja/error.h"

namespace forensics::jinja {
namespace {

// Every filter and test jinja2 3.1 has: a name here that the engine lacks is "not supported", a
// name outside it is unknown to jinja2 as well.
const std::set<std::string> kJinjaFilters = {
    "abs",    "attr",       "batch",       "capitalize", "center",   "count",
    "d",      "default",    "dictsort",    "e",          "escape",   "filesizeformat",
    "first",  "float",      "forceescape", "format",     "groupby",  "indent",
    "int",    "items",      "join",        "last",       "length",   "list",
    "lower",  "map",        "max",         "min",        "pprint",   "random",
    "reject", "rejectattr", "replace",     "reverse",    "round",    "safe",
    "select", "selectattr", "slice",       "sort",       "string",   "striptags",
    "sum",    "title",      "tojson",      "trim",       "truncate", "unique",
    "upper",  "urlencode",  "urlize",      "wordcount",  "wordwrap", "xmlattr"};
const std::set<std::string> kSupportedFilters = {
    "abs",     "attr",  "capitalize", "center",      "count",      "d",    "default", "dictsort",   "e",
    "escape",  "first", "float",      "forceescape", "indent",     "int",  "items",   "join",       "last",
    "length",  "list",  "lower",      "map",         "max",        "min",  "reject",  "rejectattr", "replace",
    "reverse", "round", "safe",       "select",      "selectattr", "sort", "string",  "sum",        "title",
    "tojson",  "trim",  "unique",     "upper",       "wordcount"};
const std::set<std::string> kJinjaTests = {
    "boolean", "callable",  "defined", "divisibleby", "eq",     "equalto", "escaped",  "even",     "false",  "filter",
    "float",   "ge",        "gt",      "greaterthan", "in",     "integer", "iterable", "le",       "lower",  "lessthan",
    "lt",      "mapping",   "ne",      "none",        "number", "odd",     "sameas",   "sequence", "string", "test",
    "true",    "undefined", "upper",   "==",          "!=",     ">",       ">=",       "<",        "<="};
const std::set<std::string> kUnsupportedTests = {"escaped"};
const std::set<std::string> kUnsupportedTags = {"extends", "block",      "include", "import",
                                                "from",    "autoescape", "trans",   "do"};

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const ParserOptions& options) : tokens_(tokens), options_(options) {}

  Body parse_template() {
    Body body = parse_body({});
    if (current().kind != TokenKind::kEnd) fail("unexpected '" + current_tag_ + "'");
    return body;
  }

 private:
  // ---- token access ----
  const Token& current() const { return tokens_[pos_]; }
  const Token& peek(std::size_t ahead = 1) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  int line() const { return current().line; }
  void advance() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool at_operator(const char* op) const { return current().kind == TokenKind::kOperator && current().text == op; }
  bool at_name(const char* name) const { return current().kind == TokenKind::kName && current().text == name; }
  bool skip_operator(const char* op) {
    if (!at_operator(op)) return false;
    advance();
    return true;
  }
  bool skip_name(const char* name) {
    if (!at_name(name)) return false;
    advance();
    return true;
  }
  [[noreturn]] void fail(const std::string& message, TemplateErrorKind kind = TemplateErrorKind::kSyntax) const {
    throw TemplateError(kind, line(), message);
  }
  void expect_operator(const char* op) {
    if (!skip_operator(op)) fail(std::string("expected '") + op + "', got " + describe(current()));
  }
  std::string expect_name() {
    if (current().kind != TokenKind::kName) fail("expected a name, got " + describe(current()));
    std::string name = current().text;
    advance();
    return name;
  }
  void expect_block_end() {
    if (current().kind != TokenKind::kBlockEnd) fail("expected the end of the tag, got " + describe(current()));
    advance();
  }
  static std::string describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::kEnd: return "the end of the template";
      case TokenKind::kBlockEnd: return "'%}'";
      case TokenKind::kVariableEnd: return "'}}'";
      case TokenKind::kString: return "a string";
      default: return "'" + token.text + "'";
    }
  }

  struct DepthGuard {
    explicit DepthGuard(Parser& parser) : parser_(parser) {
      if (++parser_.depth_ > parser_.options_.max_depth) {
        parser_.fail("nesting deeper than " + std::to_string(parser_.options_.max_depth) + " levels",
                     TemplateErrorKind::kLimit);
      }
    }
    ~DepthGuard() { --parser_.depth_; }
    Parser& parser_;
  };

  ExprPtr make(Expr::Kind kind, int at_line) {
    auto expr = std::make_unique<Expr>();
    expr->kind = kind;
    expr->line = at_line;
    return expr;
  }

  // ---- statements ----

  // Statements up to a block tag whose name is in `ends` (left unconsumed: the `{%` is consumed
  // and the name is current), or the end of the template.
  Body parse_body(const std::vector<std::string>& ends) {
    DepthGuard guard(*this);
    Body body;
    while (current().kind != TokenKind::kEnd) {
      const Token& token = current();
      if (token.kind == TokenKind::kText) {
        auto stmt = std::make_unique<Stmt>();
        stmt->kind = Stmt::Kind::kText;
        stmt->line = token.line;
        stmt->text = token.text;
        body.push_back(std::move(stmt));
        advance();
      } else if (token.kind == TokenKind::kVariableBegin) {
        advance();
        auto stmt = std::make_unique<Stmt>();
        stmt->kind = Stmt::Kind::kOutput;
        stmt->line = token.line;
        stmt->expr = parse_tuple(true);
        if (current().kind != TokenKind::kVariableEnd) fail("expected '}}', got " + describe(current()));
        advance();
        body.push_back(std::move(stmt));
      } else if (token.kind == TokenKind::kBlockBegin) {
        advance();
        if (current().kind != TokenKind::kName) fail("expected a tag name, got " + describe(current()));
        current_tag_ = current().text;
        if (std::find(ends.begin(), ends.end(), current().text) != ends.end()) return body;
        body.push_back(parse_statement());
      } else {
        fail("unexpected " + describe(token));
      }
    }
    if (!ends.empty()) {
      std::string expected;
      for (const auto& end : ends) expected += (expected.empty() ? "'" : " or '") + end + "'";
      fail("unexpected end of template, expected " + expected);
    }
    return body;
  }

  StmtPtr parse_statement() {
    const std::string tag = current().text;
    const int at_line = line();
    if (kUnsupportedTags.count(tag) != 0) {
      fail("tag \"" + tag + "\" is not supported", TemplateErrorKind::kUnsupported);
    }
    advance();
    auto stmt = std::make_unique<Stmt>();
    stmt->line = at_line;
    if (tag == "if") {
      parse_if(*stmt);
    } else if (tag == "for") {
      parse_for(*stmt);
    } else if (tag == "set") {
      parse_set(*stmt);
    } else if (tag == "macro") {
      parse_macro(*stmt);
    } else if (tag == "call") {
      parse_call_block(*stmt);
    } else if (tag == "filter") {
      parse_filter_block(*stmt);
    } else if (tag == "break" || tag == "continue") {
      if (loop_depth_ == 0) fail("'" + tag + "' outside of a loop");
      stmt->kind = tag == "break" ? Stmt::Kind::kBreak : Stmt::Kind::kContinue;
      expect_block_end();
    } else if (tag == "with") {
      parse_with(*stmt);
    } else if (tag == "generation") {
      stmt->kind = Stmt::Kind::kGeneration;
      expect_block_end();
      stmt->body = parse_body({"endgeneration"});
      end_tag();
    } else {
      fail("unknown tag '" + tag + "'");
    }
    return stmt;
  }

  void end_tag() {  // the end tag's name is current
    advance();
    expect_block_end();
  }

  void parse_if(Stmt& stmt) {
    stmt.kind = Stmt::Kind::kIf;
    ExprPtr condition = parse_tuple(true);
    expect_block_end();
    while (true) {
      Body body = parse_body({"elif", "else", "endif"});
      stmt.branches.emplace_back(std::move(condition), std::move(body));
      const std::string tag = current().text;
      advance();
      if (tag == "elif") {
        condition = parse_tuple(true);
        expect_block_end();
      } else if (tag == "else") {
        expect_block_end();
        stmt.branches.emplace_back(nullptr, parse_body({"endif"}));
        end_tag();
        return;
      } else {
        expect_block_end();
        return;
      }
    }
  }

  void parse_for(Stmt& stmt) {
    stmt.kind = Stmt::Kind::kFor;
    do {
      stmt.targets.push_back(expect_name());
    } while (skip_operator(","));
    if (!skip_name("in")) fail("expected 'in' in a for loop, got " + describe(current()));
    stmt.expr = parse_tuple(false);
    if (skip_name("if")) stmt.condition = parse_tuple(true);
    if (at_name("recursive")) fail("recursive loops are not supported", TemplateErrorKind::kUnsupported);
    expect_block_end();
    ++loop_depth_;
    stmt.body = parse_body({"endfor", "else"});
    --loop_depth_;
    if (current().text == "else") {
      advance();
      expect_block_end();
      const int saved = loop_depth_;
      loop_depth_ = 0;  // jinja2: break/continue in a loop's else belong to no loop
      stmt.else_body = parse_body({"endfor"});
      loop_depth_ = saved;
    }
    end_tag();
  }

  // {% with a = 1, b = 2 %}body{% endwith %}: the assignments hold only inside the body.
  void parse_with(Stmt& stmt) {
    stmt.kind = Stmt::Kind::kWith;
    while (current().kind != TokenKind::kBlockEnd) {
      if (!stmt.parameters.empty()) expect_operator(",");
      std::string name = expect_name();
      expect_operator("=");
      stmt.parameters.emplace_back(std::move(name), parse_expression(true));
    }
    expect_block_end();
    stmt.body = parse_body({"endwith"});
    end_tag();
  }

  void parse_set(Stmt& stmt) {
    stmt.targets.push_back(expect_name());
    if (skip_operator(".")) {
      stmt.attribute = expect_name();
    } else {
      while (skip_operator(",")) stmt.targets.push_back(expect_name());
    }
    if (skip_operator("=")) {
      stmt.kind = Stmt::Kind::kSet;
      stmt.expr = parse_tuple(true);
      expect_block_end();
      return;
    }
    if (!stmt.attribute.empty() || stmt.targets.size() != 1) fail("expected '=' in a set tag");
    stmt.kind = Stmt::Kind::kSetBlock;
    if (skip_operator("|")) fail("filters on a block set are not supported", TemplateErrorKind::kUnsupported);
    expect_block_end();
    stmt.body = parse_body({"endset"});
    end_tag();
  }

  void parse_parameters(Stmt& stmt) {
    expect_operator("(");
    while (!at_operator(")")) {
      if (!stmt.parameters.empty()) expect_operator(",");
      std::string name = expect_name();
      ExprPtr fallback = skip_operator("=") ? parse_expression(true) : nullptr;
      stmt.parameters.emplace_back(std::move(name), std::move(fallback));
    }
    advance();
  }

  void parse_macro(Stmt& stmt) {
    stmt.kind = Stmt::Kind::kMacro;
    stmt.name = expect_name();
    parse_parameters(stmt);
    expect_block_end();
    const int saved = loop_depth_;
    loop_depth_ = 0;
    stmt.body = parse_body({"endmacro"});
    loop_depth_ = saved;
    end_tag();
  }

  void parse_call_block(Stmt& stmt) {
    stmt.kind = Stmt::Kind::kCallBlock;
    if (at_operator("(")) parse_parameters(stmt);
    stmt.expr = parse_expression(true);
    if (stmt.expr->kind != Expr::Kind::kCall) fail("expected a call in a call tag");
    expect_block_end();
    stmt.body = parse_body({"endcall"});
    end_tag();
  }

  void parse_filter_block(Stmt& stmt) {
    stmt.kind = Stmt::Kind::kFilterBlock;
    stmt.expr = parse_filter(nullptr, line());
    while (at_operator("|")) {
      advance();
      stmt.expr = parse_filter(std::move(stmt.expr), line());
    }
    expect_block_end();
    stmt.body = parse_body({"endfilter"});
    end_tag();
  }

  // ---- expressions, lowest precedence first (jinja2's parser.py) ----

  // `a, b` is a tuple wherever jinja2 parses a tuple: outputs, set values, for iterables.
  ExprPtr parse_tuple(bool with_condition) {
    const int at_line = line();
    ExprPtr first = parse_expression(with_condition);
    if (!at_operator(",")) return first;
    auto tuple = make(Expr::Kind::kTuple, at_line);
    tuple->operands.push_back(std::move(first));
    while (skip_operator(",")) {
      if (at_tuple_end()) break;
      tuple->operands.push_back(parse_expression(with_condition));
    }
    return tuple;
  }

  bool at_tuple_end() const {
    const auto kind = current().kind;
    return kind == TokenKind::kBlockEnd || kind == TokenKind::kVariableEnd || at_operator(")") || at_name("in") ||
           at_name("if");
  }

  ExprPtr parse_expression(bool with_condition) {
    DepthGuard guard(*this);
    ExprPtr expr = parse_or();
    if (!with_condition) return expr;
    while (at_name("if")) {
      const int at_line = line();
      advance();
      auto condition = make(Expr::Kind::kCondition, at_line);
      ExprPtr test = parse_or();
      ExprPtr otherwise = skip_name("else") ? parse_expression(true) : nullptr;
      condition->operands.push_back(std::move(expr));
      condition->operands.push_back(std::move(test));
      condition->operands.push_back(std::move(otherwise));
      expr = std::move(condition);
    }
    return expr;
  }

  ExprPtr binary(std::string op, ExprPtr left, ExprPtr right, int at_line) {
    auto expr = make(Expr::Kind::kBinary, at_line);
    expr->name = std::move(op);
    expr->operands.push_back(std::move(left));
    expr->operands.push_back(std::move(right));
    return expr;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (at_name("or")) {
      const int at_line = line();
      advance();
      left = binary("or", std::move(left), parse_and(), at_line);
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (at_name("and")) {
      const int at_line = line();
      advance();
      left = binary("and", std::move(left), parse_not(), at_line);
    }
    return left;
  }

  ExprPtr parse_not() {
    if (at_name("not")) {
      DepthGuard guard(*this);
      auto expr = make(Expr::Kind::kUnary, line());
      advance();
      expr->name = "not";
      expr->operands.push_back(parse_not());
      return expr;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const int at_line = line();
    ExprPtr first = parse_math1();
    ExprPtr compare;
    while (true) {
      std::string op;
      if (current().kind == TokenKind::kOperator &&
          (current().text == "==" || current().text == "!=" || current().text == "<" || current().text == "<=" ||
           current().text == ">" || current().text == ">=")) {
        op = current().text;
        advance();
      } else if (at_name("in")) {
        op = "in";
        advance();
      } else if (at_name("not") && peek().kind == TokenKind::kName && peek().text == "in") {
        op = "not in";
        advance();
        advance();
      } else {
        break;
      }
      if (!compare) {
        compare = make(Expr::Kind::kCompare, at_line);
        compare->operands.push_back(std::move(first));
      }
      compare->ops.push_back(op);
      compare->operands.push_back(parse_math1());
    }
    return compare ? std::move(compare) : std::move(first);
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (at_operator("+") || at_operator("-")) {
      const std::string op = current().text;
      const int at_line = line();
      advance();
      left = binary(op, std::move(left), parse_concat(), at_line);
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (at_operator("~")) {
      const int at_line = line();
      advance();
      left = binary("~", std::move(left), parse_math2(), at_line);
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (at_operator("*") || at_operator("/") || at_operator("//") || at_operator("%")) {
      const std::string op = current().text;
      const int at_line = line();
      advance();
      left = binary(op, std::move(left), parse_pow(), at_line);
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (at_operator("**")) {
      const int at_line = line();
      advance();
      left = binary("**", std::move(left), parse_unary(true), at_line);
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(*this);
    const int at_line = line();
    ExprPtr expr;
    if (at_operator("-") || at_operator("+")) {
      expr = make(Expr::Kind::kUnary, at_line);
      expr->name = current().text;
      advance();
      expr->operands.push_back(parse_unary(false));
    } else {
      expr = parse_postfix(parse_primary());
    }
    return with_filter ? parse_filter_and_test(std::move(expr)) : std::move(expr);
  }

  ExprPtr parse_primary() {
    const Token& token = current();
    const int at_line = token.line;
    if (token.kind == TokenKind::kName) {
      const std::string& name = token.text;
      auto expr = make(Expr::Kind::kLiteral, at_line);
      if (name == "true" || name == "True") {
        expr->literal = Value::boolean(true);
      } else if (name == "false" || name == "False") {
        expr->literal = Value::boolean(false);
      } else if (name == "none" || name == "None") {
        expr->literal = Value::none();
      } else {
        expr->kind = Expr::Kind::kName;
        expr->name = name;
      }
      advance();
      return expr;
    }
    if (token.kind == TokenKind::kString) {
      std::string text;
      while (current().kind == TokenKind::kString) {  // adjacent literals concatenate, as in Python
        text += current().text;
        advance();
      }
      auto expr = make(Expr::Kind::kLiteral, at_line);
      expr->literal = Value::string(std::move(text));
      return expr;
    }
    if (token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat) {
      auto expr = make(Expr::Kind::kLiteral, at_line);
      if (token.kind == TokenKind::kFloat) {
        expr->literal = Value::floating(std::strtod(token.text.c_str(), nullptr));
      } else {
        errno = 0;
        const long long value = std::strtoll(token.text.c_str(), nullptr, 10);
        if (errno == ERANGE)
          fail("integer literal " + token.text + " is beyond 64 bits", TemplateErrorKind::kUnsupported);
        expr->literal = Value::integer(value);
      }
      advance();
      return expr;
    }
    if (at_operator("(")) {
      advance();
      if (skip_operator(")")) return make(Expr::Kind::kTuple, at_line);
      ExprPtr inner = parse_expression(true);
      if (at_operator(",")) {
        auto tuple = make(Expr::Kind::kTuple, at_line);
        tuple->operands.push_back(std::move(inner));
        while (skip_operator(",")) {
          if (at_operator(")")) break;
          tuple->operands.push_back(parse_expression(true));
        }
        inner = std::move(tuple);
      }
      expect_operator(")");
      return inner;
    }
    if (at_operator("[")) {
      advance();
      auto list = make(Expr::Kind::kList, at_line);
      while (!at_operator("]")) {
        if (!list->operands.empty()) {
          expect_operator(",");
          if (at_operator("]")) break;
        }
        list->operands.push_back(parse_expression(true));
      }
      advance();
      return list;
    }
    if (at_operator("{")) {
      advance();
      auto dict = make(Expr::Kind::kDict, at_line);
      while (!at_operator("}")) {
        if (!dict->operands.empty()) {
          expect_operator(",");
          if (at_operator("}")) break;
        }
        dict->operands.push_back(parse_expression(true));
        expect_operator(":");
        dict->operands.push_back(parse_expression(true));
      }
      advance();
      return dict;
    }
    fail("unexpected " + describe(token));
  }

  ExprPtr parse_postfix(ExprPtr expr) {
    while (true) {
      const int at_line = line();
      if (at_operator(".")) {
        advance();
        auto attribute = make(Expr::Kind::kAttribute, at_line);
        if (current().kind == TokenKind::kInteger) {  // `x.0` is x[0] in jinja2
          attribute->kind = Expr::Kind::kSubscript;
          auto index = make(Expr::Kind::kLiteral, at_line);
          index->literal = Value::integer(std::strtoll(current().text.c_str(), nullptr, 10));
          advance();
          attribute->operands.push_back(std::move(expr));
          attribute->operands.push_back(std::move(index));
        } else {
          attribute->name = expect_name();
          attribute->operands.push_back(std::move(expr));
        }
        expr = std::move(attribute);
      } else if (at_operator("[")) {
        advance();
        expr = parse_subscript(std::move(expr), at_line);
      } else if (at_operator("(")) {
        expr = parse_call(std::move(expr), Expr::Kind::kCall, at_line);
      } else {
        return expr;
      }
    }
  }

  ExprPtr parse_subscript(ExprPtr target, int at_line) {
    std::vector<ExprPtr> parts(3);
    std::size_t part = 0;
    bool is_slice = false;
    while (!at_operator("]")) {
      if (skip_operator(":")) {
        is_slice = true;
        if (++part > 2) fail("too many ':' in a slice");
        continue;
      }
      if (parts[part]) fail("expected ':' or ']' in a subscript");
      parts[part] = parse_expression(true);
    }
    advance();
    auto expr = make(is_slice ? Expr::Kind::kSlice : Expr::Kind::kSubscript, at_line);
    expr->operands.push_back(std::move(target));
    if (!is_slice) {
      if (!parts[0]) fail("empty subscript");
      expr->operands.push_back(std::move(parts[0]));
    } else {
      for (auto& p : parts) expr->operands.push_back(std::move(p));
    }
    return expr;
  }

  // `(args)` after a callee, filter or test; the callee is operands[0] (null for a filter block).
  ExprPtr parse_call(ExprPtr callee, Expr::Kind kind, int at_line, std::string name = "") {
    auto call = make(kind, at_line);
    call->name = std::move(name);
    call->operands.push_back(std::move(callee));
    append_call_arguments(*call);
    return call;
  }

  void append_call_arguments(Expr& call) {
    expect_operator("(");
    bool first = true;
    while (!at_operator(")")) {
      if (!first) {
        expect_operator(",");
        if (at_operator(")")) break;
      }
      first = false;
      if (at_operator("*") || at_operator("**")) {
        fail("'*args' and '**kwargs' in calls are not supported", TemplateErrorKind::kUnsupported);
      }
      if (current().kind == TokenKind::kName && peek().kind == TokenKind::kOperator && peek().text == "=") {
        std::string key = current().text;
        advance();
        advance();
        call.keywords.emplace_back(std::move(key), parse_expression(true));
      } else {
        if (!call.keywords.empty()) fail("positional argument after a keyword argument");
        call.operands.push_back(parse_expression(true));
      }
    }
    advance();
  }

  ExprPtr parse_filter_and_test(ExprPtr expr) {
    while (true) {
      const int at_line = line();
      if (at_operator("|")) {
        advance();
        expr = parse_filter(std::move(expr), at_line);
      } else if (at_name("is")) {
        advance();
        expr = parse_test(std::move(expr), at_line);
      } else if (at_operator("(")) {
        expr = parse_call(std::move(expr), Expr::Kind::kCall, at_line);
      } else {
        return expr;
      }
    }
  }

  std::string parse_dotted_name() {
    std::string name = expect_name();
    while (skip_operator(".")) name += "." + expect_name();
    return name;
  }

  ExprPtr parse_filter(ExprPtr target, int at_line) {
    const std::string name = parse_dotted_name();
    if (kJinjaFilters.count(name) == 0) fail("no filter named '" + name + "'");
    if (kSupportedFilters.count(name) == 0) {
      fail("filter \"" + name + "\" is not supported", TemplateErrorKind::kUnsupported);
    }
    auto filter = make(Expr::Kind::kFilter, at_line);
    filter->name = name;
    filter->operands.push_back(std::move(target));
    if (at_operator("(")) append_call_arguments(*filter);
    return filter;
  }

  ExprPtr parse_test(ExprPtr target, int at_line) {
    auto test = make(Expr::Kind::kTest, at_line);
    test->negated = skip_name("not");
    std::string name;
    if (current().kind == TokenKind::kOperator && kJinjaTests.count(current().text) != 0) {
      name = current().text;
      advance();
    } else {
      name = parse_dotted_name();
    }
    if (kJinjaTests.count(name) == 0) fail("no test named '" + name + "'");
    if (kUnsupportedTests.count(name) != 0)
      fail("test \"" + name + "\" is not supported", TemplateErrorKind::kUnsupported);
    test->name = name;
    test->operands.push_back(std::move(target));
    if (at_operator("(")) {
      append_call_arguments(*test);
    } else if (starts_test_argument()) {
      if (at_name("is")) fail("you cannot chain multiple tests with is");
      test->operands.push_back(parse_postfix(parse_primary()));
    }
    return test;
  }

  bool starts_test_argument() const {
    const Token& token = current();
    if (token.kind == TokenKind::kName) return token.text != "else" && token.text != "or" && token.text != "and";
    return token.kind == TokenKind::kString || token.kind == TokenKind::kInteger || token.kind == TokenKind::kFloat ||
           at_operator("[") || at_operator("{");
  }

  const std::vector<Token>& tokens_;
  ParserOptions options_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  int loop_depth_ = 0;
  std::string current_tag_;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, const ParserOptions& options) {
  return Parser(tokens, options).parse_template();
}

bool is_supported_filter(const std::string& name) { return kSupportedFilters.count(name) != 0; }
bool is_supported_test(const std::string& name) {
  return kJinjaTests.count(name) != 0 && kUnsupportedTests.count(name) == 0;
}

}  // namespace forensics::jinja
