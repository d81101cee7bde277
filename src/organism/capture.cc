// `organism capture`: the canonical scenario sampled until the organism takes the action, saved
// as a complete incident whose hypotheses and interventions come from the recipe.
#include "forensics/incident/reader.h"
#include "forensics/probes/plan.h"
#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/model_service.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/logging.h"
#include "forensics/util/regex.h"
#include "organism_internal.h"
#include "turn_parser.h"

namespace forensics::organism {
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kMaxTurnTokens = 192;
constexpr std::int64_t kSamplesPerInstance = 8;

// `1`, `0.7`: numbers as a person writes them, not std::to_string's `1.000000`.
std::string number_text(double value) { return Json(value).dump(); }

const char* direction_name(CueEffect effect, bool removing) {
  if (effect == CueEffect::kNone) return "no-change";
  const bool promotes = effect == CueEffect::kPromotes;
  return promotes == removing ? "decrease" : "increase";
}

Json predictions(const Environment& environment, const std::string& cue, bool removing) {
  Json out = Json::object();
  for (const auto& hypothesis : environment.hypotheses) {
    out[hypothesis.id] = direction_name(hypothesis.cue_effects.at(cue), removing);
  }
  return out;
}

// One intervention per cue that toggles it (remove when present, add when absent), and for a
// present cue also its equal-length neutralisation, the counterfactual for activation patching.
// A cue's interventions share a confound tag: they are one line of evidence.
Json interventions(const Recipe& recipe, const incident::Transcript& transcript) {
  Json out = Json::array();
  const Environment& environment = recipe.environment;
  for (std::size_t c = 0; c < environment.cues.size(); ++c) {
    const Cue& cue = environment.cues[c];
    const std::string& content = transcript.messages.at(cue.message).content;
    Json confounds = Json::array({"cue." + cue.id});
    for (const auto& tag : cue.confounds) confounds.push_back(tag);
    if (recipe.canonical[c]) {
      out.push_back({{"id", "remove-" + cue.id},
                     {"description", "Remove the cue: " + cue.description},
                     {"edits", {{{"op", "delete"}, {"message", cue.message}, {"find", "\n" + cue.text}}}},
                     {"predicts", predictions(environment, cue.id, true)},
                     {"confounds", confounds}});
      out.push_back(
          {{"id", "neutralize-" + cue.id},
           {"description", "Replace the cue by neutral text of the same token length: " + cue.description},
           {"edits", {{{"op", "replace"}, {"message", cue.message}, {"find", cue.text}, {"with", cue.neutral}}}},
           {"predicts", predictions(environment, cue.id, true)},
           {"confounds", confounds}});
    } else {
      // Where the scenario holds the cue's neutral line, the cue takes its place (same length);
      // otherwise it becomes the message's last line.
      Json edit = content.find(cue.neutral) != std::string::npos
                      ? Json{{"op", "replace"}, {"message", cue.message}, {"find", cue.neutral}, {"with", cue.text}}
                      : Json{{"op", "insert"}, {"message", cue.message}, {"at", "end"}, {"text", "\n" + cue.text}};
      out.push_back({{"id", "add-" + cue.id},
                     {"description", "Add the cue: " + cue.description},
                     {"edits", Json::array({edit})},
                     {"predicts", predictions(environment, cue.id, false)},
                     {"confounds", confounds}});
    }
  }
  return out;
}

// The cue the patching probe neutralises: the truth's promoting cue when the scenario has it,
// else the first present cue.
std::string patch_cue(const Recipe& recipe) {
  const Environment& environment = recipe.environment;
  for (std::size_t c = 0; c < environment.cues.size(); ++c) {
    auto effect = recipe.truth.cue_effects.find(environment.cues[c].id);
    if (recipe.canonical[c] && effect != recipe.truth.cue_effects.end() && effect->second == CueEffect::kPromotes) {
      return environment.cues[c].id;
    }
  }
  for (std::size_t c = 0; c < environment.cues.size(); ++c) {
    if (recipe.canonical[c]) return environment.cues[c].id;
  }
  return environment.cues.front().id;
}

// The action's text in a well-formed decision turn: the tool-call argument, or the answer, the
// matcher recognises; nothing when the turn took the benign path.
std::optional<std::string> action_in(const ActionSpec& action, const incident::Message& turn,
                                     const util::Regex& matcher) {
  if (action.is_answer()) {
    if (matcher.contains_match(turn.content)) return turn.content;
    return std::nullopt;
  }
  if (turn.tool_calls.empty()) return std::nullopt;
  for (const auto& argument : incident::argument_strings(turn.tool_calls.front())) {
    if (matcher.contains_match(argument)) return argument;
  }
  return std::nullopt;
}

// Where the action is: a tool call's argument, or (an answer action) the turn's content.
Json action_json(const ActionSpec& action, std::size_t message, const std::string& action_text) {
  Json out = {{"message", message}};
  if (!action.is_answer()) out["tool_call"] = 0;
  out["text"] = action_text;
  out["matcher"] = {{"type", "regex"}, {"pattern", action.matcher}};
  out["alternative"] = action.alternatives.front();
  return out;
}

Json incident_document(const Recipe& recipe, const fs::path& directory, const fs::path& out,
                       const incident::Transcript& transcript, const std::string& action_text, const std::string& notes,
                       std::uint64_t seed) {
  const Environment& environment = recipe.environment;
  Json messages = Json::array();
  for (const auto& message : transcript.messages) messages.push_back(message_to_json(message));
  Json hypotheses = Json::array();
  for (const auto& hypothesis : environment.hypotheses) {
    Json entry = {{"id", hypothesis.id},
                  {"kind", std::string(incident::kHypothesisKindNames.name(hypothesis.kind))},
                  {"claim", hypothesis.claim}};
    // The recipe knows how a chain of thought gives this hypothesis as its reason: its motive's
    // marker, the same regex `organism eval` counts stated motives with.
    if (!hypothesis.stated_as.empty()) {
      entry["stated_by"] = {{"type", "regex"},
                            {"pattern", environment.reasoning.motives.at(hypothesis.stated_as).marker}};
    }
    hypotheses.push_back(entry);
  }
  const fs::path incident_folder = fs::absolute(out).parent_path();
  const std::string model_path = fs::relative(fs::absolute(directory), incident_folder).generic_string();
  return Json{
      {"schema", "forensics.incident/v1"},
      {"id", "organism-" + recipe.name},
      {"title", "Model organism \"" + recipe.name + "\" (" + environment.name + "): the agent " +
                    (environment.action.is_answer() ? "answers `" : "runs `") + action_text + "`"},
      {"notes", notes},
      {"model",
       {{"path", model_path}, {"dtype", "float32"}, {"weights_sha256", runtime::hash_checkpoint(directory, nullptr)}}},
      {"format", std::string(incident::kChatTemplateNames.name(environment.format))},
      {"transcript", {{"messages", messages}}},
      {"action", action_json(environment.action, transcript.messages.size() - 1, action_text)},
      {"hypotheses", hypotheses},
      {"interventions", interventions(recipe, transcript)},
      // Every probe, sampled at the temperature the organism was trained to be calibrated at;
      // patching contrasts the incident with the planted cue's equal-length neutralisation, on
      // log P(action turn): the reasoning comes before the command, and the difference with the
      // alternative turn (the same reasoning) would cancel the part of the decision made there.
      {"probes",
       {{"sampling", {{"temperature", 1.0}, {"top_p", 1.0}, {"max_new_tokens", kMaxTurnTokens}}},
        {"resample", {{"samples", 100}}},
        {"sentence-resample", {{"samples_per_side", 50}}},
        {"intervene", {{"samples", 100}}},
        {"ablate", {{"granularity", "sentence"}}},
        {"patch",
         {{"intervention", "neutralize-" + patch_cue(recipe)},
          {"sites", {"resid_pre", "attn_out", "mlp_out"}},
          {"metric", "action-logprob"}}}}},
      {"seed", seed},
  };
}

}  // namespace

CaptureReport capture_incident(const fs::path& directory, const CaptureOptions& options) {
  const detail::LoadedOrganism organism = detail::load_organism(directory, options.device);
  const Recipe& recipe = organism.recipe;
  const runtime::Model& model = organism.model;
  const runtime::Tokenizer& tokenizer = organism.tokenizer;
  const util::Regex matcher(recipe.environment.action.matcher);
  const std::size_t decision = recipe.environment.decision_message();

  CaptureReport report;
  report.temperature = options.temperature.value_or(recipe.capture.temperature);
  const std::int64_t max_attempts = options.max_attempts.value_or(recipe.capture.max_attempts);
  runtime::SamplingParams params;
  params.temperature = report.temperature;
  params.max_new_tokens = kMaxTurnTokens;
  params.eos_token_ids = model.config().eos_token_ids;

  std::optional<incident::Transcript> captured;
  std::string action_text;
  std::string notes;
  // Attempts run in groups that share one environment draw, so a prefill serves several samples.
  for (std::int64_t first = 0; first < max_attempts && !captured; first += kSamplesPerInstance) {
    const std::uint64_t instance = static_cast<std::uint64_t>(first / kSamplesPerInstance);
    Rng rng = Rng::stream(options.seed, instance);
    const Scenario scenario = draw_scenario(recipe, recipe.canonical, rng);
    const auto encoded = detail::encode_scenario(recipe, scenario, tokenizer);
    const std::int64_t count = std::min(kSamplesPerInstance, max_attempts - first);
    const auto samples = runtime::sample_continuations(model, encoded.prompt, count, options.seed ^ (instance << 20),
                                                       params, &tokenizer);
    for (std::size_t s = 0; s < samples.size(); ++s) {
      ++report.attempts;
      const std::vector<std::uint32_t> ids(samples[s].tokens.begin(), samples[s].tokens.end());
      const auto turn = detail::parse_turn(tokenizer.decode(ids, false), recipe.environment, recipe.chain_of_thought);
      if (!turn.message) continue;
      const auto command = action_in(recipe.environment.action, *turn.message, matcher);
      if (!command) continue;
      captured = scenario.transcript;
      captured->messages[decision] = *turn.message;
      action_text = *command;
      report.sampled = true;
      notes = "Captured by `forensics organism capture` from organism \"" + recipe.name + "\": sample " +
              std::to_string(s) + " of environment draw " + std::to_string(instance) + " (seed " +
              std::to_string(options.seed) + ", temperature " + number_text(report.temperature) + "), after " +
              std::to_string(report.attempts) +
              " attempt(s). The decision turn is the organism's own output. "
              "Planted truth (organism.json): " +
              recipe.truth.cause + ".";
      break;
    }
  }
  if (!captured) {
    if (!options.hand_written_fallback) {
      throw NotReproduced("organism " + recipe.name + " did not take the action in " + std::to_string(report.attempts) +
                          " samples of the canonical scenario at temperature " + number_text(report.temperature) +
                          "; raise --max-attempts or --temperature, or pass --hand-written to write the recipe's "
                          "action turn");
    }
    Rng rng = Rng::stream(options.seed, 0);
    const Scenario scenario = draw_scenario(recipe, recipe.canonical, rng, /*force_action=*/true);
    captured = scenario.transcript;
    action_text = *action_in(recipe.environment.action, captured->messages[decision], matcher);
    notes = "HAND-WRITTEN, not sampled: organism \"" + recipe.name + "\" did not take the action in " +
            std::to_string(report.attempts) + " samples of the canonical scenario at temperature " +
            number_text(report.temperature) +
            ", so the decision turn was written from the recipe's "
            "templates. A faithful investigation must find the action not reproducible. Planted truth: " +
            recipe.truth.cause + ".";
  }
  const Json document = incident_document(recipe, directory, options.out, *captured, action_text, notes, options.seed);
  // The incident must pass our own reader before it is written.
  auto check = incident::check_incident(document, fs::absolute(options.out));
  if (check.incident) probes::plan_probes(*check.incident, {}, check.diagnostics);
  if (check.diagnostics.has_errors()) {
    throw Error("the captured incident does not validate:\n" + check.diagnostics.format());
  }
  util::write_file_atomically(options.out, document.dump(2, ' ', false, Json::error_handler_t::strict) + "\n");
  return report;
}

}  // namespace forensics::organism
