#include "forensics/jinja/template.h"

#include <ctime>

#include "forensics/jinja/lexer.h"
#include "forensics/jinja/parser.h"
#include "interpreter.h"

namespace forensics::jinja {
namespace {

std::tm local_now() {
  const std::time_t now = std::time(nullptr);
  std::tm parts{};
  localtime_r(&now, &parts);
  return parts;
}

// transformers' TemplateNamespace: jinja2's namespace() refusing underscore-prefixed names.
Value make_namespace(const CallArgs& args) {
  Dict attributes;
  for (const Value& mapping : args.positional) {
    if (!mapping.is_dict()) runtime_error(args.line, "namespace() takes a mapping and keyword arguments");
    for (const auto& item : mapping.entries().items) attributes.set(item.first, item.second);
  }
  for (const auto& [key, value] : args.keyword) attributes.set(Value::string(key), value);
  for (const auto& item : attributes.items) {
    if (item.first.is_string() && !item.first.as_string().empty() && item.first.as_string()[0] == '_') {
      runtime_error(args.line, "Chat templates cannot store underscore-prefixed attributes on a namespace, but got " +
                                   item.first.repr() + ". Please rename the attribute.");
    }
  }
  return Value::namespace_object(std::move(attributes));
}

Value make_dict(const CallArgs& args) {
  Dict entries;
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.is_dict()) {
      entries = source.entries();
    } else if (source.is_sequence()) {
      for (const Value& pair : source.items()) {
        if (!pair.is_sequence() || pair.items().size() != 2) runtime_error(args.line, "dict() needs pairs");
        entries.set(pair.items()[0], pair.items()[1]);
      }
    } else {
      runtime_error(args.line, "'" + source.type_name() + "' object is not iterable");
    }
  }
  for (const auto& [key, value] : args.keyword) entries.set(Value::string(key), value);
  return Value::dict(std::move(entries));
}

Value make_range(const CallArgs& args, std::size_t max_range) {
  for (const Value& bound : args.positional) {
    if (!bound.is_int() && !bound.is_bool()) {
      runtime_error(args.line, "'" + bound.type_name() + "' object cannot be interpreted as an integer");
    }
  }
  std::int64_t start = 0;
  std::int64_t stop = 0;
  std::int64_t step = 1;
  if (args.positional.size() == 1) {
    stop = args.positional[0].as_int();
  } else if (args.positional.size() >= 2) {
    start = args.positional[0].as_int();
    stop = args.positional[1].as_int();
    if (args.positional.size() >= 3) step = args.positional[2].as_int();
  } else {
    runtime_error(args.line, "range expected at least 1 argument, got 0");
  }
  if (step == 0) runtime_error(args.line, "range() arg 3 must not be zero");
  List items;
  for (std::int64_t i = start; step > 0 ? i < stop : i > stop;) {
    if (items.size() >= max_range) {
      throw TemplateError(
          TemplateErrorKind::kLimit, args.line,
          "Range too big. The sandbox blocks ranges larger than MAX_RANGE (" + std::to_string(max_range) + ").");
    }
    items.push_back(Value::integer(i));
    if (__builtin_add_overflow(i, step, &i)) break;  // the next item would be past any stop
  }
  return Value::list(std::move(items));
}

}  // namespace

void add_globals(Scope& scope, Interpreter& interpreter) {
  scope.variables["raise_exception"] = Value::callable("raise_exception", [](const CallArgs& args) -> Value {
    throw TemplateError(TemplateErrorKind::kRaised, args.line, args.get(0, "message").str());
  });
  scope.variables["strftime_now"] = Value::callable("strftime_now", [&interpreter](const CallArgs& args) {
    const std::string format = args.get(0, "format").str();
    const std::tm now = interpreter.options().now ? *interpreter.options().now : local_now();
    char buffer[512];
    const std::size_t length = format.empty() ? 0 : std::strftime(buffer, sizeof buffer, format.c_str(), &now);
    if (length == 0 && !format.empty()) runtime_error(args.line, "strftime_now format too long or empty result");
    return Value::string(std::string(buffer, length));
  });
  scope.variables["namespace"] = Value::callable("namespace", make_namespace);
  scope.variables["dict"] = Value::callable("dict", make_dict);
  scope.variables["range"] = Value::callable(
      "range", [&interpreter](const CallArgs& args) { return make_range(args, interpreter.options().max_range); });
}

Template Template::parse(std::string_view source) {
  return Template(std::make_shared<const Body>(jinja::parse(tokenize(source))));
}

std::string Template::render(const Json& context, const RenderOptions& options) const {
  if (!context.is_object())
    throw TemplateError(TemplateErrorKind::kRuntime, 0, "the render context must be a JSON object");
  std::string out;
  Interpreter interpreter(options, out);
  auto globals = std::make_shared<Scope>();
  add_globals(*globals, interpreter);
  auto variables = std::make_shared<Scope>();
  variables->parent = globals;
  for (const auto& [key, value] : context.items()) variables->variables[key] = Value::from_json(value);
  auto top_level = std::make_shared<Scope>();
  top_level->parent = variables;
  interpreter.execute_template(*body_, top_level);
  return out;
}

}  // namespace forensics::jinja
