// `forensics investigate INCIDENT`: run the probes around an incident and write the verdict
// (docs/probes.md, docs/verdict.md).
#include <iostream>

#include "command.h"
#include "forensics/probes/investigation.h"
#include "forensics/runtime/model_service.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"

namespace forensics::cli {

void define_investigate(CLI::App& app, Action& action) {
  struct Options {
    std::string incident;
    std::string out;
    bool json = false;
    std::string budget = "standard";
    std::int64_t samples = 0;
    std::uint64_t seed = 0;
    std::vector<std::string> probe_names;
    std::string device = "cpu";
    std::string dtype = "auto";
    double temperature = 0;
    double top_p = 0;
    std::int64_t top_k = 0;
    std::int64_t max_new_tokens = 0;
  };
  auto o = std::make_shared<Options>();
  app.add_option("incident", o->incident, "Incident file (forensics.incident/v1)")->required();
  app.add_option("-o,--out", o->out, "Verdict file to write, atomically (default: verdict.json next to the incident)");
  app.add_flag("--json", o->json, "Also print the verdict document on stdout");
  std::vector<std::string> budgets;
  for (const auto& entry : probes::kBudgetNames.entries()) budgets.emplace_back(entry.name);
  app.add_option("--budget", o->budget,
                 "Samples per condition: quick (at most 30), standard (the incident's, default 100), "
                 "thorough (at least 300)")
      ->check(CLI::IsMember(budgets))
      ->capture_default_str();
  CLI::Option* samples =
      app.add_option("--samples", o->samples, "Samples per condition for every sampling probe (overrides --budget)")
          ->check(CLI::Range(std::int64_t{1}, probes::kMaxSamples));
  CLI::Option* seed = app.add_option(
      "--seed", o->seed, "Seed (default: the incident's); same seed, incident and device give the same verdict");
  app.add_option("--probes", o->probe_names,
                 "Probes to run, comma-separated, or \"all\" (default: the incident's); resample always runs")
      ->delimiter(',');
  app.add_option("--device", o->device, "cpu, cuda, cuda:N or auto")->capture_default_str();
  app.add_option("--dtype", o->dtype,
                 "auto (the incident's model.dtype, else the device's default), float32, bfloat16, float16")
      ->capture_default_str();
  CLI::Option* temperature =
      app.add_option("--temperature", o->temperature, "Override the incident's sampling temperature (0: greedy)")
          ->check(CLI::Range(0.0, 100.0));
  CLI::Option* top_p =
      app.add_option("--top-p", o->top_p, "Override the incident's top-p")->check(CLI::Range(1e-9, 1.0));
  CLI::Option* top_k = app.add_option("--top-k", o->top_k, "Override the incident's top-k (0: off)")
                           ->check(CLI::Range(std::int64_t{0}, probes::kMaxSamples));
  CLI::Option* max_new_tokens =
      app.add_option("--max-new-tokens", o->max_new_tokens, "Override the incident's tokens per regenerated turn")
          ->check(CLI::Range(std::int64_t{1}, probes::kMaxSamples));
  app.footer(
      "Writes the forensics.verdict/v1 document (docs/verdict.md; probe results in its `probes`\n"
      "section, docs/probes.md) and prints a summary on stderr.\n"
      "Exit codes: 0 a verdict was written (any label, inconclusive included), 2 usage,\n"
      "3 bad incident or options, 4 model or runtime failure (no verdict), 5 a verdict was\n"
      "written but a probe failed (the verdict names it in failed_probes).");
  app.callback([=, &action] {
    action = [=]() -> int {
      probes::InvestigateOptions options;
      options.budget = *probes::kBudgetNames.parse(o->budget);
      if (*samples) options.samples = o->samples;
      if (*seed) options.seed = o->seed;
      options.probes = o->probe_names;
      options.device = {o->device, runtime::parse_dtype_choice(o->dtype)};
      if (*temperature) options.sampling_overrides["temperature"] = o->temperature;
      if (*top_p) options.sampling_overrides["top_p"] = o->top_p;
      if (*top_k) options.sampling_overrides["top_k"] = o->top_k;
      if (*max_new_tokens) options.sampling_overrides["max_new_tokens"] = o->max_new_tokens;
      const std::filesystem::path incident(o->incident);
      const std::filesystem::path out =
          o->out.empty() ? incident.parent_path() / "verdict.json" : std::filesystem::path(o->out);

      const auto open_local = [](const incident::Incident& checked, const runtime::DeviceChoice& device) {
        return runtime::open_local_model(checked.model.path, device);
      };
      const auto investigation = probes::investigate(incident, options, open_local);
      const std::string text = investigation.document.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
      util::write_file_atomically(out, text);
      std::cerr << probes::summary_text(investigation) << "  verdict   -> " << out.string() << "\n";
      if (o->json) std::cout << text;
      return investigation.complete() ? kExitOk : kExitIncomplete;
    };
  });
}

}  // namespace forensics::cli
