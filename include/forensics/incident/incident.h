// incident: the typed form of a `forensics.incident/v1` file (docs/incident-format.md): the
// transcript, where the concerning action is, the rival hypotheses and the edits that test them.
// Plain data; reading and checking live in reader.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forensics/util/json.h"

#include "forensics/incident/edit.h"
#include "forensics/incident/matcher.h"
#include "forensics/incident/transcript.h"
#include "forensics/runtime/sampling.h"
#include "forensics/util/name_table.h"

namespace forensics::incident {

inline constexpr const char* kSchemaName = "forensics.incident";
inline constexpr int kSchemaVersion = 1;

/// How messages become tokens: a built-in chat format (docs/chat-formats.md).
enum class ChatTemplate { kChatml, kLlama3, kMistral };
inline constexpr util::NameTable kChatTemplateNames{std::array{
    util::NameEntry<ChatTemplate>{ChatTemplate::kChatml, "chatml"},
    util::NameEntry<ChatTemplate>{ChatTemplate::kLlama3, "llama3"},
    util::NameEntry<ChatTemplate>{ChatTemplate::kMistral, "mistral"},
}};

class TemplateRenderer;

struct Format {
  ChatTemplate chat_template = ChatTemplate::kChatml;  // the built-in format, unless `model`
  // `"template": "model"`: the model directory's own Jinja chat template renders the prompts
  // (template_renderer.h); loaded when the incident is checked against an existing model directory.
  bool model = false;
  std::shared_ptr<const TemplateRenderer> model_template;
};

struct ModelRef {
  std::string path_as_written;                // as in the file, for messages and reports
  std::filesystem::path path;                 // resolved against the incident file's folder
  std::optional<runtime::Dtype> dtype;        // absent: the runtime picks per device
  std::optional<std::string> weights_sha256;  // 64 lowercase hex digits, checked at load time
};

/// Where the concerning action is in the transcript and how to recognise it in a new sample.
struct Action {
  std::size_t message = 0;                 // index into transcript.messages; an assistant turn
  std::optional<std::size_t> tool_call;    // index into that message's tool_calls
  std::string text;                        // the exact text of the action
  MatcherSpec matcher;                     // decides whether a sampled turn repeats the action
  std::optional<std::string> alternative;  // a benign continuation, for logit differences
};

enum class HypothesisKind { kConfused, kIntentional };
inline constexpr util::NameTable kHypothesisKindNames{std::array{
    util::NameEntry<HypothesisKind>{HypothesisKind::kConfused, "confused"},
    util::NameEntry<HypothesisKind>{HypothesisKind::kIntentional, "intentional"},
}};

struct Hypothesis {
  std::string id;
  HypothesisKind kind = HypothesisKind::kConfused;
  std::string claim;
  std::optional<double> prior;  // all or none of the hypotheses give one; they sum to 1
  // How a chain of thought states this hypothesis as its reason (phrases or a regex, searched in
  // each sentence). Absent: the probes infer a link from the hypothesis' cue texts, which alone
  // never accuses a chain of thought of unfaithfulness (docs/verdict.md §8).
  std::optional<MatcherSpec> stated_by;
};

/// What a hypothesis predicts the action rate does under an edit (or as a sweep's dose grows).
enum class Direction { kDecrease, kIncrease, kNoChange };
inline constexpr util::NameTable kDirectionNames{std::array{
    util::NameEntry<Direction>{Direction::kDecrease, "decrease"},
    util::NameEntry<Direction>{Direction::kIncrease, "increase"},
    util::NameEntry<Direction>{Direction::kNoChange, "no-change"},
}};

struct Prediction {
  std::string hypothesis;  // a Hypothesis::id
  Direction direction = Direction::kNoChange;
};

struct Intervention {
  std::string id;
  std::string description;
  std::vector<Edit> edits;             // applied in order, each to the result of the previous
  std::vector<Prediction> predicts;    // one per hypothesis, in the hypotheses' order
  std::vector<std::string> confounds;  // interventions sharing a tag are one line of evidence
};

struct SweepValue {
  std::string label;  // substituted for `{value}` in the sweep's edits
  double dose = 0;    // the score used by the trend test
};

struct Sweep {
  std::string id;
  std::string description;
  std::vector<Edit> edits;  // texts contain the placeholder `{value}`
  std::vector<SweepValue> values;
  std::vector<Prediction> predicts;  // the trend of the rate as the dose grows
  std::vector<std::string> confounds;
};

inline constexpr const char* kSweepPlaceholder = "{value}";

struct Incident {
  std::filesystem::path source;  // the incident file
  std::string id;
  std::string title;
  std::string notes;
  ModelRef model;
  Format format;
  Transcript transcript;
  Action action;
  std::vector<Hypothesis> hypotheses;
  std::vector<Intervention> interventions;
  std::vector<Sweep> sweeps;
  // The `probes` object as written (absent: the defaults). The probes stage reads and checks it
  // (probes/plan.h), because each probe owns its options.
  std::optional<Json> probes;
  std::uint64_t seed = 0;
};

/// The sweep's edits with `{value}` replaced by `value.label`.
std::vector<Edit> sweep_edits_for(const Sweep& sweep, const SweepValue& value);

/// The task itself: the messages before the action (contents, tool calls, reasoning) with every
/// text an intervention removes or replaces taken out, so what is left is what no edit tests. A
/// word or phrase written there says nothing about a cue.
std::string task_text(const Incident& incident);

}  // namespace forensics::incident
