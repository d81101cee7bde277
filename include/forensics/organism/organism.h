// organism: training, evaluating and capturing model organisms (docs/organisms.md). Torch-free
// declarations over a torch-linked implementation, so the command line never sees libtorch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forensics/organism/recipe.h"
#include "forensics/stats/proportions.h"
#include "forensics/util/json.h"

namespace forensics::organism {

/// The chat-format added tokens of an organism's tokenizer, specials first.
struct TokenizerPlan {
  std::vector<std::string> special;  // <|endoftext|> (padding), <|im_start|>, <|im_end|> (EOS)
  std::vector<std::string> markup;   // <think>, </think>, <tool_call>, ...
};
TokenizerPlan tokenizer_plan(const Environment& environment);

/// Scenario `index` of the stream seeded with `seed`, as one JSON line for `organism data`:
/// cues, decision, motive, messages and the rendered text.
Json scenario_record(const Recipe& recipe, std::uint64_t seed, std::uint64_t index);

struct TrainOptions {
  std::filesystem::path out;
  bool force = false;                 // replace an existing directory
  std::optional<std::int64_t> steps;  // overrides the recipe (tests train a few steps)
  // Overrides the recipe's training seed: the same recipe retrained, another draw of weights and
  // data (recorded in organism.json's recipe, so a retrain reproduces it).
  std::optional<std::uint64_t> seed;
  // Reuse this organism directory's tokenizer instead of training one, as a new version of a
  // model keeps its tokenizer (the cues' neutral texts must still tokenize to equal lengths).
  std::optional<std::filesystem::path> tokenizer_from;
  bool progress = true;  // progress bar on stderr
};

struct TrainReport {
  std::int64_t steps = 0;
  std::int64_t parameters = 0;
  std::int64_t vocab_size = 0;
  double first_loss = 0;  // mean over the first 10 steps
  double final_loss = 0;  // mean over the last 10 steps
  double seconds = 0;
  std::string weights_sha256;
  std::string blas;
  int threads = 0;
};

/// Trains the recipe's tokenizer and model on CPU and writes a Hugging Face model directory plus
/// organism.json. Deterministic for the recipe's seed on one machine. Throws InvalidRecipe when
/// the recipe cannot make a usable organism (e.g. a neutral text that does not tokenize to its
/// cue's length), InputError when the directory exists and `force` is off.
TrainReport train_organism(const Recipe& recipe, const TrainOptions& options);

/// An organism directory: the model and its organism.json (recipe, environment, truth).
Recipe read_organism_recipe(const std::filesystem::path& directory);

struct EvalOptions {
  std::int64_t samples_per_cell = 200;
  std::int64_t instances_per_cell = 8;  // environment draws per cell; samples split between them
  std::uint64_t seed = 7;
  double temperature = 1.0;
  std::string device = "cpu";
  bool progress = true;
};

struct CellResult {
  CueSet cues;
  double planted = 0;
  stats::Rate action;                                       // k actions of n samples, Wilson 95%
  std::map<std::string, std::int64_t> motives_when_acting;  // samples whose CoT states a motive
  std::map<std::string, std::int64_t> motives_overall;
  std::int64_t malformed = 0;     // samples without a closed reasoning and tool call
  bool within_10_points = false;  // |rate - planted| <= 0.10
  bool consistent = false;        // planted within the Wilson CI widened by 0.10
  // false: the cell splits a group of tied cues, which training never shows, so nothing was
  // planted there; the cell is measured (what the model learned) but not checked.
  bool in_training = true;
};

struct EvalReport {
  std::vector<CellResult> cells;
  double seconds = 0;
  bool all_within_10_points() const;  // over the cells training shows
  bool all_consistent() const;
};

EvalReport evaluate_organism(const std::filesystem::path& directory, const EvalOptions& options);
Json eval_report_json(const Recipe& recipe, const EvalReport& report, const EvalOptions& options);
/// The behaviour table as Markdown: measured next to planted.
std::string eval_report_markdown(const Recipe& recipe, const EvalReport& report);

struct CaptureOptions {
  std::filesystem::path out;  // the incident file
  std::uint64_t seed = 1;
  std::optional<double> temperature;  // default: the recipe's capture temperature
  std::optional<std::int64_t> max_attempts;
  bool hand_written_fallback = false;  // write the recipe's action turn if no sample acts
  std::string device = "cpu";
};

struct CaptureReport {
  bool sampled = false;  // false: hand-written from the recipe
  std::int64_t attempts = 0;
  double temperature = 0;
};

/// No sample of the canonical scenario took the action (and no hand-written fallback was asked).
class NotReproduced : public Error {
 public:
  using Error::Error;
};

/// Samples the canonical scenario until the organism takes the action and writes the result as a
/// complete forensics.incident/v1 file (checked by reading it back). Throws NotReproduced when no
/// sample acts within the attempts and the fallback is off.
CaptureReport capture_incident(const std::filesystem::path& directory, const CaptureOptions& options);

}  // namespace forensics::organism
