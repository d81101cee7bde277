// `forensics validate INCIDENT|MODEL_DIR`: checks an incident file, its probes and its model
// directory, or a model directory alone, without loading the model.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "forensics/incident/chat_format.h"
#include "forensics/incident/reader.h"
#include "forensics/incident/summary.h"
#include "forensics/probes/investigation.h"
#include "forensics/probes/plan.h"
#include "forensics/probes/work.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/util/error.h"
#include "forensics/util/json.h"
#include "model_summary.h"

namespace forensics::cli {
namespace {

struct ValidateOptions {
  std::string path;  // an incident file or a model directory
  bool json = false;
  bool skip_weight_scan = false;
  bool without_weights = false;  // --without-weights: the model runs on a serving engine
};

Json diagnostics_json(const util::Diagnostics& diagnostics, util::Severity severity) {
  Json out = Json::array();
  for (const auto& item : diagnostics.all()) {
    if (item.severity == severity) out.push_back({{"path", item.path}, {"message", item.message}});
  }
  return out;
}

/// The chat formats whose markers are single tokens of `tokenizer`.
Json formats_with_markers(const runtime::Tokenizer& tokenizer) {
  Json out = Json::array();
  for (const auto& entry : incident::kChatTemplateNames.entries()) {
    const auto& tokens = incident::chat_markers(entry.value).special_tokens;
    if (std::all_of(tokens.begin(), tokens.end(), [&](auto token) { return tokenizer.token_to_id(token).has_value(); }))
      out.push_back(entry.name);
  }
  return out;
}

/// `validate DIR`: whether a model directory can be investigated, before anything is loaded or
/// downloaded beyond its small files: the config's architecture first, then files, every tensor's
/// shape against the config, and the tokenizer.
int run_validate_model(const ValidateOptions& options) {
  const std::filesystem::path directory(options.path);
  runtime::ModelCheckOptions check_options;
  check_options.scan_weights = !options.skip_weight_scan;
  check_options.weights_optional = options.without_weights;
  const runtime::ModelDirectoryCheck check = runtime::check_model_directory(directory, check_options);
  Json errors = Json::array();
  for (const auto& problem : check.problems) errors.push_back({{"path", nullptr}, {"message", problem.message}});
  // Ids past the embedding fail only in a text that holds them; an incident's check names the token.
  std::vector<std::string> warnings;
  if (check.tokenizer && check.config &&
      check.tokenizer->id_bound() > static_cast<std::size_t>(check.config->d_vocab)) {
    warnings.push_back("tokenizer.json has token ids up to " + std::to_string(check.tokenizer->id_bound() - 1) +
                       ", but the model's vocabulary (vocab_size) has " + std::to_string(check.config->d_vocab) +
                       " rows: a text holding those tokens cannot run");
  }
  Json summary;
  if (check.usable()) {
    summary = model_summary_json(runtime::inspect_model(directory, /*hash_weights=*/false));
    summary["chat_formats"] = formats_with_markers(*check.tokenizer);
  }
  if (options.json) {
    Json json_warnings = Json::array();
    for (const auto& warning : warnings) json_warnings.push_back({{"path", nullptr}, {"message", warning}});
    Json out = {{"file", options.path}, {"valid", check.usable()}, {"errors", errors}, {"warnings", json_warnings}};
    if (check.usable()) out["summary"] = summary;
    std::cout << out.dump(2) << "\n";
    return check.usable() ? kExitOk : kExitBadInput;
  }
  if (!check.usable()) {
    for (const auto& problem : check.problems) std::cerr << "error: " << problem.message << "\n";
    std::cerr << "forensics: " << options.path << ": not a usable model directory (" << check.problems.size()
              << " problem(s))\n";
    return kExitBadInput;
  }
  std::cout << options.path << ": usable model directory\n" << model_summary_text(summary);
  for (const auto& warning : warnings) std::cerr << "warning: " << warning << "\n";
  return kExitOk;
}

/// The sizes the costs need, from the model directory when it could be read (zeros otherwise).
probes::CostBasis incident_cost_basis(const incident::IncidentCheck& check, const runtime::SamplingParams& sampling) {
  probes::CostBasis basis;
  basis.max_new_tokens = sampling.max_new_tokens;
  if (!check.model || !check.model->tokenizer || !check.model->config) return basis;
  return probes::cost_basis(*check.incident, *check.model->tokenizer, check.model->config->n_layers, sampling);
}

/// A directory is a model directory when it holds a config.json (or is meant to: say so).
bool is_model_directory(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_directory(path, ec)) return false;
  if (std::filesystem::exists(std::filesystem::path(path) / "config.json", ec)) return true;
  throw InputError(path +
                   " is a directory without a config.json: validate takes an incident file, or a model "
                   "directory (config.json, safetensors, tokenizer.json)");
}

int run_validate(const ValidateOptions& options) {
  if (is_model_directory(options.path)) return run_validate_model(options);
  incident::IncidentCheck check;
  try {
    incident::IncidentCheckOptions check_options;
    check_options.scan_weights = !options.skip_weight_scan;
    check_options.weights_optional = options.without_weights;
    check = incident::check_incident_file(options.path, check_options);
  } catch (const InputError& e) {
    if (!options.json) throw;
    // Unreadable or not JSON: still one JSON answer on stdout for scripts.
    Json out = {{"file", options.path},
                {"valid", false},
                {"errors", Json::array({{{"path", nullptr}, {"message", e.what()}}})},
                {"warnings", Json::array()}};
    std::cout << out.dump(2) << "\n";
    return kExitBadInput;
  }
  // The probes object is the probes stage's to read: each probe checks its own options.
  std::optional<probes::ProbePlan> plan;
  if (check.incident) plan = probes::plan_probes(*check.incident, {}, check.diagnostics);
  if (plan && check.model && !check.diagnostics.has_errors()) {
    if (const auto problem = probes::unrunnable_prompt(*check.incident, *check.model, plan->sampling.max_new_tokens)) {
      check.diagnostics.error(util::JsonPath() / "transcript", *problem);
    }
  }
  const bool valid = check.incident.has_value() && !check.diagnostics.has_errors();
  std::optional<probes::WorkPlan> work;
  if (valid)
    work = probes::plan_work(*check.incident, *plan, probes::Budget::kStandard, std::nullopt,
                             incident_cost_basis(check, plan->sampling));
  if (options.json) {
    Json out = {{"file", options.path},
                {"valid", valid},
                {"errors", diagnostics_json(check.diagnostics, util::Severity::kError)},
                {"warnings", diagnostics_json(check.diagnostics, util::Severity::kWarning)}};
    if (valid) {
      Json summary = incident::summarize(*check.incident);
      const Json plan_summary = probes::plan_json(*plan);
      for (const auto& [key, value] : plan_summary.items()) summary[key] = value;
      summary["work"] = probes::work_json(*work);
      out["summary"] = summary;
    }
    std::cout << out.dump(2) << "\n";
    return valid ? kExitOk : kExitBadInput;
  }
  std::cerr << check.diagnostics.format();
  if (!valid) {
    std::cerr << "forensics: " << options.path << ": invalid incident (" << check.diagnostics.error_count()
              << " error(s))\n";
    return kExitBadInput;
  }
  std::cout << check.incident->id << ": valid incident (" << incident::kSchemaName << "/v" << incident::kSchemaVersion
            << ")\n"
            << incident::summary_text(*check.incident) << probes::plan_text(*plan) << "  work         "
            << probes::work_text(*work) << " (standard budget)\n";
  return kExitOk;
}

}  // namespace

void define_validate(CLI::App& app, Action& action) {
  auto options = std::make_shared<ValidateOptions>();
  app.add_option("path", options->path,
                 "Incident file (forensics.incident/v1 JSON), or a model directory to check on its own")
      ->required();
  app.add_flag("--json", options->json, "Print the result as JSON on stdout");
  app.add_flag("--skip-weight-scan", options->skip_weight_scan,
               "Do not read every weight looking for NaN or infinities (for checkpoints too large to read)");
  app.add_flag("--without-weights", options->without_weights,
               "The model runs on a serving engine (investigate --engine): accept a model directory with "
               "config.json and the tokenizer but no weights");
  app.footer(
      "Exit codes: 0 valid, 3 invalid (every problem is listed with its JSON path), 2 usage.\n"
      "Warnings (e.g. a model directory that does not exist yet) do not fail validation.\n"
      "A model directory is checked without loading it: the config's architecture (before the\n"
      "weights, so a config.json alone says whether a model is supported), every tensor's shape\n"
      "against the config, the tokenizer (its ids within the model's vocabulary), the chat formats\n"
      "whose markers it has, and every weight for NaN or infinities (--skip-weight-scan: not).");
  app.callback([options, &action] { action = [options] { return run_validate(*options); }; });
}

}  // namespace forensics::cli
