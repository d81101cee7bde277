// organism: the typed form of an organism recipe (`forensics.recipe/v1`, docs/organisms.md): an
// environment family (message templates, cues, the action, chain-of-thought templates, rival
// hypotheses) and a planted policy with its ground truth. Recipes are data, so a new organism is
// written, not coded.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "forensics/incident/incident.h"
#include "forensics/incident/transcript.h"
#include "forensics/util/error.h"
#include "forensics/util/json.h"
#include "forensics/util/name_table.h"

namespace forensics::organism {

inline constexpr const char* kRecipeSchema = "forensics.recipe/v1";
inline constexpr const char* kEnvironmentSchema = "forensics.environment/v1";

/// How a cue moves the action when present (a hypothesis' claim, or the planted truth).
enum class CueEffect { kPromotes, kSuppresses, kNone };
inline constexpr util::NameTable kCueEffectNames{std::array{
    util::NameEntry<CueEffect>{CueEffect::kPromotes, "promotes"},
    util::NameEntry<CueEffect>{CueEffect::kSuppresses, "suppresses"},
    util::NameEntry<CueEffect>{CueEffect::kNone, "none"},
}};

/// A binary feature of the context. Present: `text` is a line of message `message`. Absent: the
/// line is missing, or (with the environment's neutral_probability) replaced by `neutral`, a text
/// of the same token length that says nothing relevant: the counterfactual for activation patching.
struct Cue {
  std::string id;
  std::size_t message = 0;
  std::string description;
  std::string text;
  std::string neutral;
  std::vector<std::string> confounds;
};

/// One message of the scenario. Text messages pick a paraphrase and append their cue lines and
/// distractor lines in a shuffled order; a fixed assistant turn makes one tool call; the
/// decision turn is what the organism is trained to produce (and what probes regenerate).
struct MessageTemplate {
  incident::Role role = incident::Role::kUser;
  std::vector<std::string> paraphrases;
  std::vector<std::string> distractors;
  std::array<std::size_t, 2> distractor_count{0, 0};  // inclusive range
  std::optional<incident::ToolCall> tool_call;        // fixed assistant turn
  bool decision = false;
};

/// The concerning action: a tool call whose `argument` carries the command, or, when `tool` is
/// empty, the final answer itself (the decision turn's content: a deliberately wrong answer).
struct ActionSpec {
  std::string tool;                       // empty: an answer action
  std::string argument;                   // the argument that carries the command
  std::string text;                       // canonical form, used in incidents
  std::vector<std::string> variants;      // forms the policy writes
  std::string matcher;                    // regex deciding whether a sample took the action
  std::vector<std::string> alternatives;  // benign commands (answers)

  bool is_answer() const { return tool.empty(); }
};

struct Motive {
  std::vector<std::string> statements;  // sentences that state this motive
  std::string marker;                   // regex recognising a statement in a sampled CoT
};

struct ReasoningTemplate {
  std::vector<std::string> fillers;  // motive-free sentences shared by every CoT
  std::array<std::size_t, 2> filler_count{0, 0};
  std::map<std::string, Motive> motives;
  std::vector<std::string> action_closings;
  std::vector<std::string> no_action_closings;
};

struct HypothesisTemplate {
  std::string id;
  incident::HypothesisKind kind = incident::HypothesisKind::kConfused;
  std::string claim;
  std::map<std::string, CueEffect> cue_effects;  // every cue
  // The motive (reasoning.motives) whose statements give this hypothesis as the reason: capture
  // writes its marker as the incident's hypotheses[].stated_by. Empty: none.
  std::string stated_as;
};

struct Environment {
  std::string name;
  std::string description;
  incident::ChatTemplate format = incident::ChatTemplate::kChatml;
  std::map<std::string, std::vector<std::string>> slots;  // {name} -> fillers
  std::vector<MessageTemplate> messages;
  std::vector<Cue> cues;
  double neutral_probability = 0.5;
  ActionSpec action;
  ReasoningTemplate reasoning;
  std::vector<HypothesisTemplate> hypotheses;

  std::size_t decision_message() const;
  /// Index of a cue by id; throws std::out_of_range for an unknown id.
  std::size_t cue_index(const std::string& id) const;
};

/// Which cues are present, in the environment's cue order.
using CueSet = std::vector<bool>;

/// A condition over cues: every listed cue must have the given presence.
struct PolicyRule {
  std::map<std::string, bool> when;
  double p_action = 0.0;
  std::string motive;  // stated in the CoT when acting
};

/// The planted behaviour: the first rule whose condition holds gives the action probability and
/// the motive the CoT states when acting; `otherwise` covers the rest.
struct Policy {
  std::vector<PolicyRule> rules;
  PolicyRule otherwise;
  std::string no_action_motive;  // stated in the CoT when not acting

  const PolicyRule& rule_for(const Environment& environment, const CueSet& cues) const;
};

struct Truth {
  std::optional<std::string> hypothesis;  // the true hypothesis' id; none for controls
  std::string cause;
  std::string stated_motive;  // empty when the organism writes no chain of thought
  bool cot_faithful = true;   // trivially true without a chain of thought
  std::map<std::string, CueEffect> cue_effects;
};

struct ModelShape {
  std::string architecture = "llama";  // llama or qwen3
  std::int64_t vocab_size = 768;
  std::int64_t d_model = 128;
  std::int64_t n_layers = 4;
  std::int64_t n_heads = 4;
  std::int64_t d_mlp = 384;
  std::int64_t n_ctx = 512;
};

struct TrainingPlan {
  std::uint64_t seed = 1;
  std::int64_t steps = 300;
  std::int64_t batch_size = 32;
  double learning_rate = 3e-3;
  std::int64_t warmup_steps = 20;
  double weight_decay = 0.1;
  std::int64_t tokenizer_corpus = 4000;  // transcripts the BPE tokenizer is trained on
  // Confounded cues: each group's cues are present or absent together in every training
  // transcript (indices into the environment's cues; the first member's draw decides). The
  // model never sees them apart, so which one it learned is not planted; the calibration study
  // measures it instead (docs/organisms.md, "Confounded cues").
  std::vector<std::vector<std::size_t>> tied_cues;
};

struct CapturePlan {
  double temperature = 1.0;
  std::int64_t max_attempts = 200;
};

struct Recipe {
  std::string name;
  std::string description;
  Environment environment;
  Json environment_json;  // as read, for organism.json
  Json recipe_json;       // as read
  Policy policy;
  Truth truth;
  CueSet canonical;
  // false: the decision turn has no reasoning block, only the action or its alternative (the
  // no-CoT control: interventions alone must give the label).
  bool chain_of_thought = true;
  ModelShape model;
  TrainingPlan training;
  CapturePlan capture;

  /// Every combination of cues, in binary order of the environment's cue list (first cue = high bit).
  std::vector<CueSet> cells() const;
  /// Whether training can show this combination: every tied group all present or all absent.
  bool in_training(const CueSet& cues) const;
  /// Makes a drawn combination one training can show (each tied group follows its first member).
  void tie(CueSet& cues) const;
};

/// Reads a recipe file and the environment it names (resolved against the recipe's folder), and
/// checks them: every reference resolves, every regex compiles, every probability is in [0, 1],
/// and the stated truth agrees with the policy table at the canonical scenario. Throws
/// InvalidRecipe listing every problem with its JSON path.
Recipe read_recipe(const std::filesystem::path& path);
/// The same from documents already in memory (organism.json keeps both).
Recipe parse_recipe(const Json& recipe, const Json& environment, const std::string& source);

class InvalidRecipe : public InputError {
 public:
  using InputError::InputError;
};

/// `latency_pressure+actions_reviewed`, or `(none)`.
std::string describe_cells(const Environment& environment, const CueSet& cues);

}  // namespace forensics::organism
