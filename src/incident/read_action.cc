// Reading `action` and checking it against the transcript it points into.
#include <limits>

#include "forensics/util/text.h"
#include "read_parts.h"

namespace forensics::incident::detail {

using util::JsonPath;
using util::Need;
using util::ObjectReader;

std::optional<MatcherSpec> read_matcher(const Json& value, const JsonPath& path, util::Diagnostics& diagnostics,
                                        bool with_scope) {
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  const std::size_t errors_before = diagnostics.error_count();
  MatcherSpec spec;
  auto kind = reader.enumeration("type", Need::kRequired, kMatcherKindNames);
  if (kind == MatcherKind::kRegex) {
    spec.pattern = reader.text("pattern", Need::kRequired).value_or("");
  } else if (kind == MatcherKind::kLiteral) {
    spec.any_of = reader.string_list("any_of", Need::kRequired).value_or(std::vector<std::string>{});
    if (reader.has("any_of") && spec.any_of.empty()) {
      diagnostics.error(path / "any_of", "expected at least one string");
    }
    for (std::size_t i = 0; i < spec.any_of.size(); ++i) {
      if (spec.any_of[i].empty()) {
        diagnostics.error(path / "any_of" / i, "expected a non-empty string (it would match anything)");
      }
    }
  }
  spec.case_sensitive = reader.boolean("case_sensitive", Need::kOptional).value_or(true);
  if (with_scope)
    spec.scope = reader.enumeration("scope", Need::kOptional, kMatchScopeNames).value_or(MatchScope::kTurn);
  reader.finish();
  if (!kind || diagnostics.error_count() > errors_before) return std::nullopt;
  spec.kind = *kind;
  try {
    ActionMatcher{spec};
  } catch (const util::RegexError& e) {
    diagnostics.error(path / "pattern", std::string("does not compile: ") + e.what());
    return std::nullopt;
  }
  return spec;
}

namespace {

// Where the action text sits decides which tool call (if any) it is; a text found elsewhere than
// declared gets a hint naming the right place.
void check_action_location(const Action& action, const Message& message, const JsonPath& path,
                           util::Diagnostics& diagnostics) {
  auto call_contains = [&](const ToolCall& call) {
    for (const auto& text : argument_strings(call)) {
      if (text.find(action.text) != std::string::npos) return true;
    }
    return call.arguments.dump().find(action.text) != std::string::npos;
  };

  if (action.tool_call) {
    if (*action.tool_call >= message.tool_calls.size()) {
      diagnostics.error(path / "tool_call", "out of range: message " + std::to_string(action.message) + " has " +
                                                std::to_string(message.tool_calls.size()) + " tool call(s)");
      return;
    }
    if (!call_contains(message.tool_calls[*action.tool_call])) {
      diagnostics.error(path / "text",
                        "\"" + util::abbreviate(action.text) + "\" not found in the arguments of tool call " +
                            std::to_string(*action.tool_call) + " of message " + std::to_string(action.message));
    }
    return;
  }
  if (message.content.find(action.text) != std::string::npos) return;
  std::string message_text =
      "\"" + util::abbreviate(action.text) + "\" not found in the content of message " + std::to_string(action.message);
  for (std::size_t c = 0; c < message.tool_calls.size(); ++c) {
    if (call_contains(message.tool_calls[c])) {
      message_text += "; it is in tool call " + std::to_string(c) + ": set \"tool_call\": " + std::to_string(c);
      break;
    }
  }
  diagnostics.error(path / "text", message_text);
}

void check_matcher(const Action& action, const JsonPath& path, util::Diagnostics& diagnostics) {
  try {
    const ActionMatcher matcher(action.matcher);
    if (!matcher.matches(action.text)) {
      diagnostics.error(path,
                        "does not match action.text; a matcher must recognise the "
                        "captured action itself");
    }
    if (action.alternative && matcher.matches(*action.alternative)) {
      diagnostics.error(path,
                        "also matches action.alternative; it could not tell the action "
                        "from the benign alternative");
    }
  } catch (const Error& e) {
    diagnostics.error(path, e.what());
  }
}

}  // namespace

std::optional<Action> read_action(const Json& value, const JsonPath& path, const std::optional<Transcript>& transcript,
                                  util::Diagnostics& diagnostics) {
  ObjectReader reader(value, path, diagnostics);
  if (!reader.is_object()) return std::nullopt;
  const std::size_t errors_before = diagnostics.error_count();
  Action action;
  constexpr std::int64_t kMaxIndex = std::numeric_limits<std::int32_t>::max();
  auto message = reader.integer("message", Need::kRequired, 0, kMaxIndex);
  auto tool_call = reader.integer("tool_call", Need::kOptional, 0, kMaxIndex);
  auto text = reader.text("text", Need::kRequired);
  std::optional<MatcherSpec> matcher;
  if (const Json* matcher_value = reader.object("matcher", Need::kRequired)) {
    matcher = read_matcher(*matcher_value, path / "matcher", diagnostics, /*with_scope=*/true);
  }
  action.alternative = reader.text("alternative", Need::kOptional);
  reader.finish();
  if (!message || !text || !matcher) return std::nullopt;
  action.message = static_cast<std::size_t>(*message);
  if (tool_call) action.tool_call = static_cast<std::size_t>(*tool_call);
  action.text = *text;
  action.matcher = *matcher;

  check_matcher(action, path / "matcher", diagnostics);
  if (!transcript) return std::nullopt;  // its own errors are already reported
  const auto& messages = transcript->messages;
  if (action.message >= messages.size()) {
    diagnostics.error(path / "message",
                      "out of range: the transcript has " + std::to_string(messages.size()) + " message(s)");
    return std::nullopt;
  }
  const Message& target = messages[action.message];
  if (target.role != Role::kAssistant) {
    diagnostics.error(path / "message", "message " + std::to_string(action.message) + " is a \"" +
                                            std::string(kRoleNames.name(target.role)) +
                                            "\" message; the action must be in an assistant turn");
    return std::nullopt;
  }
  if (action.message == 0) {
    diagnostics.error(path / "message", "the action has no context before it to re-run");
    return std::nullopt;
  }
  check_action_location(action, target, path, diagnostics);
  if (diagnostics.error_count() > errors_before) return std::nullopt;
  return action;
}

}  // namespace forensics::incident::detail
