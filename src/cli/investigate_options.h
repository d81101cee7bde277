// cli: the options that shape an investigation, shared by investigate, batch and diff --rerun,
// so each command spells and checks them the same way.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "forensics/probes/investigation.h"

namespace forensics::cli {

struct InvestigateFlags {
  std::string budget = "standard";
  CLI::Option* samples_option = nullptr;
  std::int64_t samples = 0;
  CLI::Option* seed_option = nullptr;
  std::uint64_t seed = 0;
  std::vector<std::string> probes;
  std::string device = "cpu";
  std::string dtype = "auto";
  // Set ones override the incident's probes.sampling.
  CLI::Option* temperature_option = nullptr;
  double temperature = 0;
  CLI::Option* top_p_option = nullptr;
  double top_p = 0;
  CLI::Option* top_k_option = nullptr;
  std::int64_t top_k = 0;
  CLI::Option* max_new_tokens_option = nullptr;
  std::int64_t max_new_tokens = 0;
  std::int64_t keep_samples = probes::kDefaultKeptExamples;
  bool skip_weight_scan = false;
  // --engine and its settings (docs/engine.md); engine_url empty: the local runtime.
  std::string engine_url;
  std::string engine_model;
  std::int64_t engine_concurrency = 32;
  std::string engine_cache;  // empty: the default folder; "none": no cache
  double engine_timeout_s = 600;
  std::int64_t engine_attempts = 6;
  double engine_tolerance = 0;
  bool engine_no_local = false;
};

/// --budget, --samples, --seed, --probes, --device, --dtype and the sampling overrides.
void add_investigate_flags(CLI::App& app, InvestigateFlags& flags);

/// The options the flags set (call when the command runs). Throws InputError for a bad --dtype.
probes::InvestigateOptions investigate_options(const InvestigateFlags& flags);

/// Writes the verdict document to `out` atomically and, unless -q, prints the summary on stderr.
void write_verdict(const probes::Investigation& investigation, const std::filesystem::path& out);

/// The incident's model on the local libtorch runtime.
std::shared_ptr<const runtime::OpenModel> open_local_model(const incident::Incident& incident,
                                                           const runtime::DeviceChoice& device);

/// How the flags open the incident's model: locally, or through --engine. `timing` (a dry run,
/// which measures the model's speed) keeps the engine's answers out of the request cache, where a
/// repeated measurement would be answered instantly.
probes::ModelOpener model_opener(const InvestigateFlags& flags, bool timing = false);

}  // namespace forensics::cli
