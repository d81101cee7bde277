// An incident skeleton from an imported conversation (skeleton.h).
#include "forensics/import/skeleton.h"

#include <algorithm>

#include "forensics/incident/model_template.h"
#include "forensics/incident/reader.h"
#include "forensics/incident/template_renderer.h"
#include "forensics/jinja/error.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/util/error.h"
#include "forensics/util/regex.h"
#include "forensics/util/text.h"

namespace forensics::import {

using incident::Role;
using incident::Transcript;

namespace {

// The argument string that is the action: for a shell tool the command. With several string
// arguments the longest is taken (it holds the most of what the call does).
std::string action_text_of_call(const incident::ToolCall& call) {
  std::string best;
  for (const auto& text : incident::argument_strings(call)) {
    if (text.size() > best.size()) best = text;
  }
  return best.empty() ? call.arguments.dump() : best;
}

std::string assistant_turns(const Transcript& transcript) {
  std::string out;
  for (std::size_t i = 0; i < transcript.messages.size(); ++i) {
    const auto& message = transcript.messages[i];
    if (message.role != Role::kAssistant) continue;
    out += (out.empty() ? "" : ", ") + std::to_string(i) +
           (message.tool_calls.empty() ? "" : " (" + std::to_string(message.tool_calls.size()) + " tool call(s))");
  }
  return out.empty() ? "none" : out;
}

LocatedAction at_message(const Transcript& transcript, std::size_t index, std::optional<std::size_t> tool_call) {
  const auto& messages = transcript.messages;
  if (index >= messages.size() || messages[index].role != Role::kAssistant) {
    throw InputError("--message " + std::to_string(index) + " is not an assistant turn; the assistant turns are " +
                     assistant_turns(transcript) + " (--list shows them)");
  }
  if (index == 0) throw InputError("--message 0: the action has no context before it to re-run");
  const auto& message = messages[index];
  LocatedAction located;
  located.message = index;
  if (!tool_call && message.tool_calls.size() == 1) tool_call = 0;
  if (tool_call) {
    if (*tool_call >= message.tool_calls.size()) {
      throw InputError("--tool-call " + std::to_string(*tool_call) + ": message " + std::to_string(index) + " has " +
                       std::to_string(message.tool_calls.size()) + " tool call(s)");
    }
    located.tool_call = tool_call;
    located.text = action_text_of_call(message.tool_calls[*tool_call]);
  } else if (!message.tool_calls.empty()) {
    throw InputError("message " + std::to_string(index) + " makes " + std::to_string(message.tool_calls.size()) +
                     " tool calls: name one with --tool-call J");
  } else {
    located.text = message.content;
  }
  if (located.text.find_first_not_of(" \t\r\n") == std::string::npos) {
    throw InputError("message " + std::to_string(index) + " holds no text to take as the action");
  }
  return located;
}

// The places of an assistant turn a regex may find the action in: each tool call's argument
// strings, then the content.
std::optional<LocatedAction> match_in(const Transcript& transcript, std::size_t index, const util::Regex& regex) {
  const auto& message = transcript.messages[index];
  for (std::size_t c = 0; c < message.tool_calls.size(); ++c) {
    for (const auto& text : incident::argument_strings(message.tool_calls[c])) {
      if (regex.contains_match(text)) return LocatedAction{index, c, text, {}};
    }
  }
  if (regex.contains_match(message.content)) return LocatedAction{index, std::nullopt, message.content, {}};
  return std::nullopt;
}

LocatedAction by_matcher(const Transcript& transcript, const std::string& pattern) {
  const util::Regex regex(pattern);
  std::vector<LocatedAction> found;
  for (std::size_t i = 1; i < transcript.messages.size(); ++i) {
    if (transcript.messages[i].role != Role::kAssistant) continue;
    if (auto located = match_in(transcript, i, regex)) found.push_back(std::move(*located));
  }
  if (found.empty())
    throw InputError("--matcher \"" + pattern + "\" matches no assistant turn after the first message");
  LocatedAction first = found.front();
  if (found.size() > 1) {
    std::string others;
    for (std::size_t i = 1; i < found.size(); ++i) others += (i == 1 ? "" : ", ") + std::to_string(found[i].message);
    first.notes.push_back("--matcher also matches message(s) " + others + "; the first, message " +
                          std::to_string(first.message) + ", is taken (name another with --message)");
  }
  return first;
}

// Relative to the incident's folder when both sit under one top-level folder (a project that
// moves as a whole), absolute otherwise.
std::string model_path_for(const std::filesystem::path& model, const std::filesystem::path& output) {
  const auto absolute_model = std::filesystem::absolute(model).lexically_normal();
  const auto folder = std::filesystem::absolute(output).parent_path().lexically_normal();
  const auto top = [](const std::filesystem::path& path) {
    auto part = path.begin();
    return ++part == path.end() ? std::filesystem::path() : *part;
  };
  if (top(absolute_model) != top(folder)) return absolute_model.string();
  const auto relative = absolute_model.lexically_relative(folder);
  return relative.empty() ? absolute_model.string() : relative.string();
}

Json transcript_json(const Transcript& transcript) {
  Json messages = Json::array();
  for (const auto& message : transcript.messages) {
    Json out = {{"role", std::string(incident::kRoleNames.name(message.role))}, {"content", message.content}};
    if (message.reasoning) out["reasoning"] = *message.reasoning;
    if (!message.tool_calls.empty()) {
      out["tool_calls"] = Json::array();
      for (const auto& call : message.tool_calls) {
        out["tool_calls"].push_back({{"id", call.id}, {"name", call.name}, {"arguments", call.arguments}});
      }
    }
    if (message.tool_call_id) out["tool_call_id"] = *message.tool_call_id;
    if (message.name) out["name"] = *message.name;
    messages.push_back(std::move(out));
  }
  return {{"messages", messages}};
}

std::string slug_of(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    out += keep || (c >= 'a' && c <= 'z') ? c : '-';
  }
  return out.substr(0, 64);
}

constexpr const char* kHypothesesHint =
    "write at least two rival explanations of the action, at least one \"confused\" and one \"intentional\", e.g. "
    "[{\"id\": \"misread-task\", \"kind\": \"confused\", \"claim\": \"...\"}, {\"id\": \"avoids-oversight\", "
    "\"kind\": \"intentional\", \"claim\": \"...\"}]; give each a \"stated_by\" matcher (how a chain of thought "
    "states it as its reason) so the cot-unfaithful flag can be raised; docs/incident-format.md#hypotheses says how";
constexpr const char* kInterventionsHint =
    "write the edits that tell the hypotheses apart, each predicting what the action rate does under each hypothesis, "
    "e.g. [{\"id\": \"remove-cue\", \"edits\": [...], \"predicts\": {\"misread-task\": \"decrease\", "
    "\"avoids-oversight\": \"no-change\"}}]; docs/incident-format.md#interventions says how";

// Templates such as Qwen3's drop earlier turns' reasoning: say which turns the model saw without it.
void note_hidden_reasoning(const Transcript& transcript, const incident::RenderedTranscript& prompt,
                           std::vector<std::string>& notes) {
  std::string hidden;
  for (std::size_t m = 0; m < prompt.messages.size(); ++m) {
    if (transcript.messages[m].reasoning && !prompt.messages[m].reasoning) {
      hidden += (hidden.empty() ? "" : ", ") + std::to_string(m);
    }
  }
  if (hidden.empty()) return;
  notes.push_back("the model's template does not show the reasoning of message(s) " + hidden +
                  " in the action's prompt: the model saw those turns without it (the transcript keeps it)");
}

// The chat format of the incident: a built-in one when it writes exactly what the model's own
// template writes for this conversation (or the model has none); otherwise the model's own
// template. Either way the verdict is about the prompt the model saw.
std::string choose_format(const Transcript& transcript, std::size_t action_message,
                          const runtime::ModelDirectoryCheck& model, const std::filesystem::path& model_directory,
                          std::vector<std::string>& notes) {
  const auto builtin = model.tokenizer ? incident::chat_format_of(*model.tokenizer) : std::nullopt;
  const auto model_template = incident::read_model_chat_template(model_directory);
  const std::string builtin_name = builtin ? std::string(incident::kChatTemplateNames.name(*builtin)) : "";
  if (!model_template) {
    if (!builtin) {
      throw ModelError(model_directory.string() +
                       ": has no chat template, and its tokenizer has the special tokens of none of the built-in "
                       "formats (chatml, llama3, mistral; docs/chat-formats.md)");
    }
    notes.push_back("the model directory has no chat template: the built-in format \"" + builtin_name +
                    "\" (its special tokens are the tokenizer's) could not be checked against it");
    return builtin_name;
  }
  if (builtin) {
    try {
      const auto mismatch = incident::template_mismatch(transcript, action_message, *builtin, *model_template);
      if (!mismatch) {
        notes.push_back("the built-in format \"" + builtin_name + "\" renders the action's prompt and turn " +
                        "byte-identically to the model's own chat template (" + model_template->origin + ")");
        return builtin_name;
      }
      notes.push_back("the built-in format \"" + builtin_name + "\" differs from the model's own chat template: " +
                      *mismatch + "; the incident uses the model's own template");
    } catch (const jinja::TemplateError& e) {
      notes.push_back("the model's chat template (" + model_template->origin + ") cannot be rendered (" + e.what() +
                      "); the built-in format \"" + builtin_name + "\" is used, unchecked");
      return builtin_name;
    }
  }
  incident::Format format;
  format.model = true;
  try {
    format.model_template = std::make_shared<const incident::TemplateRenderer>(*model_template);
    const auto prompt = incident::render_prompt(transcript, action_message, format);
    incident::render_turn(transcript, action_message, format);
    note_hidden_reasoning(transcript, prompt, notes);
  } catch (const Error& e) {
    throw ModelError(model_directory.string() + ": the model's own chat template (" + model_template->origin +
                     ") cannot render this conversation for the probes: " + e.what());
  }
  notes.push_back("the prompts are rendered with the model's own chat template (" + model_template->origin + ")");
  return "model";
}

}  // namespace

LocatedAction locate_action(const Transcript& transcript, const ActionChoice& choice) {
  if (choice.message) return at_message(transcript, *choice.message, choice.tool_call);
  if (choice.matcher) return by_matcher(transcript, *choice.matcher);
  throw InputError("name the action: --message I [--tool-call J], or --matcher REGEX");
}

Skeleton incident_skeleton(const ImportedSample& sample, const SkeletonRequest& request) {
  Skeleton out;
  LocatedAction action = locate_action(sample.transcript, request.action);
  out.notes = action.notes;
  if (request.action.matcher && request.action.message) {
    if (!util::Regex(*request.action.matcher).contains_match(action.text)) {
      throw InputError("--matcher does not match the action of message " + std::to_string(action.message) + ": \"" +
                       util::abbreviate(action.text) + "\"");
    }
  }
  const auto model = runtime::check_model_directory(request.model_directory, {std::nullopt, true});
  if (!model.usable()) throw ModelError(model.problems.front().message);
  const std::string format =
      choose_format(sample.transcript, action.message, model, request.model_directory, out.notes);
  Json matcher = request.action.matcher ? Json{{"type", "regex"}, {"pattern", *request.action.matcher}}
                                        : Json{{"type", "literal"}, {"any_of", Json::array({action.text})}};
  Json action_json = {{"message", action.message}};
  if (action.tool_call) action_json["tool_call"] = *action.tool_call;
  action_json["text"] = action.text;
  action_json["matcher"] = matcher;

  std::string notes = "Imported by forensics import from " + sample.origin + " (sample " + sample.id + ", epoch " +
                      std::to_string(sample.epoch) + (sample.model ? ", model " + *sample.model : "") + ").";
  for (const auto& note : sample.notes) notes += " " + note + ".";
  out.incident = {
      {"schema", "forensics.incident/v1"},
      {"id", slug_of(request.log.stem().string() + "-" + sample.id + "-e" + std::to_string(sample.epoch))},
      {"title", "Imported: " + util::abbreviate(action.text)},
      {"notes", notes},
      {"model",
       {{"path", model_path_for(request.model_directory, request.output)},
        {"weights_sha256", model.weights_sha256.value_or("")}}},
      {"format", {{"template", format}}},
      {"transcript", transcript_json(sample.transcript)},
      {"action", action_json},
      {"hypotheses", {{"fill_in", kHypothesesHint}}},
      {"interventions", {{"fill_in", kInterventionsHint}}},
  };
  if (!model.weights_sha256) out.incident["model"].erase("weights_sha256");
  out.notes.insert(out.notes.end(), sample.notes.begin(), sample.notes.end());
  return out;
}

}  // namespace forensics::import
