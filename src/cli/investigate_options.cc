#include "investigate_options.h"

#include "command.h"

#include <iostream>

#include "forensics/engine/engine_runner.h"
#include "forensics/runtime/model_service.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/logging.h"

namespace forensics::cli {

namespace {

void add_engine_flags(CLI::App& app, InvestigateFlags& flags) {
  flags.engine_tolerance = engine::kDefaultLogprobTolerance;
  const std::string group = "Serving engine (docs/engine.md)";
  app.add_option("--engine", flags.engine_url,
                 "Sample and score on this OpenAI-compatible server (vLLM, SGLang), e.g. http://127.0.0.1:8000; "
                 "API key from $FORENSICS_ENGINE_API_KEY")
      ->group(group);
  app.add_option("--engine-model", flags.engine_model, "The served model name (default: the server's only model)")
      ->group(group);
  app.add_option("--engine-concurrency", flags.engine_concurrency, "Requests in flight at once")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{4096}))
      ->capture_default_str()
      ->group(group);
  app.add_option("--engine-cache", flags.engine_cache,
                 "Folder of the request cache (default ~/.cache/forensics/engine-requests; \"none\": no cache)")
      ->group(group);
  app.add_option("--engine-timeout", flags.engine_timeout_s, "Seconds one request may take")
      ->check(finite_number())
      ->check(CLI::Range(0.001, 86400.0))
      ->capture_default_str()
      ->group(group);
  app.add_option("--engine-attempts", flags.engine_attempts,
                 "Tries per request on 429, 5xx, timeouts and broken answers, the first included")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{100}))
      ->capture_default_str()
      ->group(group);
  app.add_option("--engine-tolerance", flags.engine_tolerance,
                 "Largest difference, in nats, between the server's log-probs of a check text and the local "
                 "weights' accepted as the same model")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str()
      ->group(group);
  app.add_flag("--engine-no-local", flags.engine_no_local,
               "Never load the weights here, even when the model directory has them (no log-prob check; patch "
               "is skipped)")
      ->group(group);
}

}  // namespace

void add_investigate_flags(CLI::App& app, InvestigateFlags& flags) {
  std::vector<std::string> budgets;
  for (const auto& entry : probes::kBudgetNames.entries()) budgets.emplace_back(entry.name);
  app.add_option("--budget", flags.budget,
                 "Samples per condition: quick (at most 30), standard (the incident's, default 100), "
                 "thorough (at least 300)")
      ->check(CLI::IsMember(budgets))
      ->capture_default_str();
  flags.samples_option =
      app.add_option("--samples", flags.samples, "Samples per condition for every sampling probe (overrides --budget)")
          ->check(CLI::Range(std::int64_t{1}, probes::kMaxSamples));
  flags.seed_option =
      app.add_option("--seed", flags.seed,
                     "Seed (default: the incident's); same seed, incident and device give the same verdict")
          ->check(seed_value());
  app.add_option("--probes", flags.probes,
                 "Probes to run, comma-separated, or \"all\" (default: the incident's); resample always runs")
      ->delimiter(',');
  app.add_option("--device", flags.device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  app.add_option("--dtype", flags.dtype,
                 "auto (the incident's model.dtype, else the device's default), float32, bfloat16, float16")
      ->capture_default_str();
  flags.temperature_option =
      app.add_option("--temperature", flags.temperature, "Override the incident's sampling temperature (0: greedy)")
          ->check(finite_number())
          ->check(CLI::Range(0.0, 100.0));
  flags.top_p_option = app.add_option("--top-p", flags.top_p, "Override the incident's top-p")
                           ->check(finite_number())
                           ->check(CLI::Range(1e-9, 1.0));
  flags.top_k_option = app.add_option("--top-k", flags.top_k, "Override the incident's top-k (0: off)")
                           ->check(CLI::Range(std::int64_t{0}, probes::kMaxSamples));
  flags.max_new_tokens_option =
      app.add_option("--max-new-tokens", flags.max_new_tokens, "Override the incident's tokens per regenerated turn")
          ->check(CLI::Range(std::int64_t{1}, probes::kMaxSamples));
  app.add_flag("--skip-weight-scan", flags.skip_weight_scan,
               "Do not read every weight looking for NaN or infinities before the run (huge checkpoints)");
  add_engine_flags(app, flags);
  app.add_option("--keep-samples", flags.keep_samples,
                 "Sampled turns the verdict keeps per condition, for a person to read (0: none)")
      ->check(CLI::Range(std::int64_t{0}, probes::kMaxSamples))
      ->capture_default_str();
}

probes::InvestigateOptions investigate_options(const InvestigateFlags& flags) {
  probes::InvestigateOptions options;
  options.budget = *probes::kBudgetNames.parse(flags.budget);
  if (*flags.samples_option) options.samples = flags.samples;
  if (*flags.seed_option) options.seed = flags.seed;
  options.probes = flags.probes;
  options.keep_examples = flags.keep_samples;
  options.scan_weights = !flags.skip_weight_scan;
  options.device = {flags.device, runtime::parse_dtype_choice(flags.dtype)};
  if (!flags.engine_url.empty()) options.engine = engine::public_url(flags.engine_url);
  Json& overrides = options.sampling_overrides;
  if (*flags.temperature_option) overrides["temperature"] = flags.temperature;
  if (*flags.top_p_option) overrides["top_p"] = flags.top_p;
  if (*flags.top_k_option) overrides["top_k"] = flags.top_k;
  if (*flags.max_new_tokens_option) overrides["max_new_tokens"] = flags.max_new_tokens;
  return options;
}

void write_verdict(const probes::Investigation& investigation, const std::filesystem::path& out) {
  util::write_file_atomically(out, investigation.document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n");
  if (util::verbosity() == util::Verbosity::kQuiet) return;
  std::cerr << probes::summary_text(investigation) << "  verdict   -> " << out.string() << "\n";
}

std::shared_ptr<const runtime::OpenModel> open_local_model(const incident::Incident& incident,
                                                           const runtime::DeviceChoice& device) {
  return runtime::open_local_model(incident.model.path, device);
}

}  // namespace forensics::cli

namespace forensics::cli {

probes::ModelOpener model_opener(const InvestigateFlags& flags, bool timing) {
  if (flags.engine_url.empty()) return open_local_model;
  engine::EngineModelOptions options;
  options.settings.url = flags.engine_url;
  options.settings.model = flags.engine_model;
  options.settings.concurrency = flags.engine_concurrency;
  options.settings.timeout_s = flags.engine_timeout_s;
  options.settings.attempts = flags.engine_attempts;
  if (flags.engine_cache != "none" && !timing) {
    options.settings.cache_directory =
        flags.engine_cache.empty() ? engine::default_cache_directory() : std::filesystem::path(flags.engine_cache);
  }
  options.logprob_tolerance = flags.engine_tolerance;
  engine::check_engine_settings(options.settings);  // a bad URL fails before the incident is read
  const bool no_local = flags.engine_no_local;
  return [options, no_local](const incident::Incident& incident, const runtime::DeviceChoice& device) {
    auto engine_options = options;
    engine_options.dtype = device.dtype;
    const auto& directory = incident.model.path;
    engine::LocalModelOpener open_local;
    if (!no_local && runtime::has_weights(directory)) {
      open_local = [directory, device] { return runtime::open_local_model(directory, device); };
    }
    return engine::open_engine_model(directory, engine_options, open_local);
  };
}

}  // namespace forensics::cli
