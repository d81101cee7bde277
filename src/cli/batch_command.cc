// `forensics batch (FOLDER | MANIFEST)`: investigate many incidents in one process, check each
// verdict against its expectation, write a summary and JUnit XML for CI (docs/cli.md, "batch").
#include <cstdio>
#include <iostream>

#include "command.h"
#include "forensics/probes/batch.h"
#include "forensics/report/expectation.h"
#include "forensics/report/write_report.h"
#include "forensics/runtime/model_service.h"
#include "forensics/runtime/torch_info.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"
#include "forensics/util/progress_bar.h"
#include "forensics/util/text.h"
#include "investigate_options.h"

namespace forensics::cli {
namespace {

namespace fs = std::filesystem;

std::string outcome_line(std::size_t index, std::size_t count, const report::CaseOutcome& outcome) {
  std::string line = "[" + std::to_string(index + 1) + "/" + std::to_string(count) + "] " + outcome.id + ": ";
  if (!outcome.label.empty()) {
    char posterior[32];
    std::snprintf(posterior, sizeof posterior, "%.3f", outcome.posterior);
    line += outcome.label + " (" + outcome.top_hypothesis + " " + posterior + ")";
  }
  line += " " + std::string(report::kCaseStatusNames.name(outcome.status));
  if (outcome.resumed) line += " (resumed)";
  if (outcome.status == report::CaseStatus::kFailed) line += ": " + to_string(outcome.differences.front());
  if (!outcome.error.empty()) line += ": " + outcome.error.substr(0, outcome.error.find('\n'));
  return line + ", " + util::duration_text(outcome.wall_time_s);
}

/// Progress on stderr (none under -q): a line per finished case; on a terminal also the case in
/// flight and an estimate of the time left from the cases that ran.
probes::BatchObserver progress_observer(int jobs_threads) {
  auto state = std::make_shared<std::pair<std::size_t, double>>(0, 0.0);  // cases run, their seconds
  const bool terminal = util::stderr_is_terminal();
  const bool quiet = util::verbosity() == util::Verbosity::kQuiet;
  probes::BatchObserver observer;
  observer.worker_started = [jobs_threads](int) { runtime::set_compute_threads(jobs_threads); };
  if (quiet) return observer;
  observer.started = [state, terminal](std::size_t index, std::size_t count, const probes::BatchCase& item) {
    if (!terminal) return;
    std::string eta;
    if (state->first > 0)
      eta = ", about " + util::duration_text(state->second / state->first * (count - index)) + " left";
    std::cerr << "\r\033[K[" << index + 1 << "/" << count << "] " << item.id << ": running" << eta << std::flush;
  };
  observer.finished = [state, terminal](std::size_t index, std::size_t count, const report::CaseOutcome& outcome) {
    if (!outcome.resumed) {
      ++state->first;
      state->second += outcome.wall_time_s;
    }
    std::cerr << (terminal ? "\r\033[K" : "") << outcome_line(index, count, outcome) << "\n";
  };
  return observer;
}

void print_plan(const std::vector<probes::PlannedCase>& planned) {
  std::int64_t samples = 0;
  std::int64_t tokens = 0;
  std::int64_t passes = 0;
  for (const auto& p : planned) {
    std::cout << p.item->id << "  " << p.item->incident.string() << "\n";
    if (!p.error.empty()) {
      std::cout << "  cannot run: " << p.error << "\n";
      continue;
    }
    std::cout << "  model    " << p.model.string() << "\n  probes  ";
    for (const auto& probe : p.work.probes) {
      const auto& cost = probe.cost;
      std::cout << " " << probe.probe;
      if (cost.samples > 0) std::cout << " (" << cost.conditions << " conditions, " << cost.samples << " samples)";
      if (cost.scored_sequences > 0) std::cout << " (" << cost.scored_sequences << " scored)";
      if (cost.patched_runs > 0) std::cout << " (" << cost.patched_runs << " cells)";
    }
    std::cout << "\n  work     " << probes::work_text(p.work) << "\n";
    samples += p.work.total.samples;
    tokens += p.work.max_generated_tokens();
    passes += p.work.forward_passes();
  }
  std::cout << planned.size() << " case(s): " << samples << " sampled turns, at most " << tokens
            << " generated tokens and " << passes << " forward passes\n";
}

/// Rewrites each golden file from this run's verdict (what golden tests call --update).
void update_expected(const std::vector<probes::BatchCase>& cases, const std::vector<report::CaseOutcome>& outcomes,
                     const fs::path& out) {
  for (std::size_t i = 0; i < cases.size(); ++i) {
    if (outcomes[i].verdict.empty()) continue;
    const fs::path golden = cases[i].expectation && cases[i].expectation->golden
                                ? fs::path(cases[i].expectation->source)
                                : cases[i].incident.parent_path() / "expected_verdict.json";
    const Json verdict = util::parse_json_strict(util::read_text_file(out / outcomes[i].verdict, 1u << 30), "verdict");
    util::write_file_atomically(golden, report::key_fields(verdict).dump(2, ' ', false) + "\n");
    std::cerr << "wrote " << golden.string() << "\n";
  }
}

}  // namespace

void define_batch(CLI::App& app, Action& action) {
  struct Options {
    std::string input;
    std::string out;
    std::string junit;
    std::string model;
    bool resume = false;
    bool dry_run = false;
    bool update_expected = false;
    bool report = false;
    int jobs = 1;
    InvestigateFlags flags;
  };
  auto o = std::make_shared<Options>();
  app.add_option("input", o->input, "A folder (every incident.json below it) or a forensics.batch/v1 manifest")
      ->required();
  app.add_option("-o,--out", o->out, "Folder for verdicts/<id>.json and batch.json")->required();
  app.add_option("--junit", o->junit, "Also write JUnit XML here (one testcase per incident)");
  app.add_option(
      "--model", o->model,
      "Run every incident against this model directory (a new model version; pinned hashes are not checked)");
  app.add_flag("--resume", o->resume, "Keep verdicts already in --out that were computed from the same inputs");
  app.add_option("-j,--jobs", o->jobs, "Cases run at once, each with its share of the CPU threads")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_flag("--dry-run", o->dry_run, "List the cases, their models and what they would cost; run nothing");
  app.add_flag("--update-expected", o->update_expected,
               "Rewrite each case's expected_verdict.json from this run (review the diff before committing)");
  app.add_flag("--report", o->report,
               "Also write the HTML reports: DIR/report.html, an overview linking each case's report (beside its "
               "verdict)");
  add_investigate_flags(app, o->flags);
  app.footer(
      "Settings in a manifest's case beat the command line's, which beat the incident's.\n"
      "Exit codes: 0 every case ran and met its expectation, 1 an expectation failed, 2 usage,\n"
      "3 a case's input is bad, 4 a case's model failed, 5 a verdict is incomplete (a probe failed);\n"
      "the most serious wins (4, 3, 5, 1). The other cases still run and are reported.");
  app.callback([o, &action] {
    action = [o]() -> int {
      probes::BatchOptions options;
      options.out = o->out;
      if (!o->junit.empty()) options.junit = fs::path(o->junit);
      if (!o->model.empty()) options.model = fs::path(o->model);
      options.resume = o->resume;
      options.jobs = o->jobs;
      options.investigate = investigate_options(o->flags);
      std::error_code ec;
      const auto cases =
          fs::is_directory(o->input, ec) ? probes::cases_in_folder(o->input) : probes::read_manifest(o->input);
      if (o->dry_run) {
        print_plan(probes::plan_batch(cases, options));
        return kExitOk;
      }
      const int threads = std::max(1, runtime::compute_threads() / std::max(1, o->jobs));
      const auto outcomes = probes::run_batch(cases, options, model_opener(o->flags), progress_observer(threads));
      if (o->update_expected) update_expected(cases, outcomes, options.out);
      if (o->report) {
        report::write_report(options.out, std::nullopt, std::nullopt);
        util::log_info("batch: reports written, overview " + (options.out / "report.html").string());
      }
      const int code = report::batch_exit_code(outcomes);
      if (util::verbosity() != util::Verbosity::kQuiet)
        std::cerr << "batch: " << outcomes.size() << " case(s) -> " << (options.out / "batch.json").string()
                  << (options.junit ? ", " + options.junit->string() : "") << "; exit " << code << "\n";
      return code;
    };
  });
}

}  // namespace forensics::cli
