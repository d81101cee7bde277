// `forensics diff A B` and `forensics diff --rerun INCIDENT --model-a DIR --model-b DIR`: what
// changed between two verdicts, or two batch outputs, of the same incidents (docs/cli.md, "diff").
#include <unistd.h>

#include <iostream>

#include "command.h"
#include "forensics/probes/investigation.h"
#include "forensics/report/diff.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "investigate_options.h"
#include "progress_display.h"

namespace forensics::cli {
namespace {

namespace fs = std::filesystem;

/// Investigates the incident on `model` and writes the verdict to `out`.
report::LoadedVerdict investigate_on(const fs::path& incident, const fs::path& model,
                                     probes::InvestigateOptions options, const fs::path& out) {
  options.model = model;
  const auto progress = progress_display();
  options.progress = progress.get();
  const auto investigation = probes::investigate(incident, options, open_local_model);
  write_verdict(investigation, out);
  return {out.string(), investigation.document};
}

}  // namespace

void define_diff(CLI::App& app, Action& action) {
  struct Options {
    std::vector<std::string> sides;
    bool json = false;
    report::ChangeCriteria criteria;
    std::string rerun;
    std::string model_a;
    std::string model_b;
    std::string out;
    InvestigateFlags flags;
  };
  auto o = std::make_shared<Options>();
  app.add_option("sides", o->sides, "Two verdict files, or two folders of verdicts (batch outputs)")->expected(0, 2);
  app.add_flag("--json", o->json, "Print the forensics.verdict-diff/v1 document on stdout instead of the table");
  app.add_option("--alpha", o->criteria.alpha,
                 "Family-wise significance level for rate changes (Holm over all comparisons)")
      ->check(CLI::Range(1e-12, 0.5))
      ->capture_default_str();
  app.add_option("--min-change", o->criteria.min_change,
                 "A rate counts as changed only when its 95% interval for B - A lies beyond this (0: any "
                 "significant move)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  CLI::Option* rerun =
      app.add_option("--rerun", o->rerun, "Investigate this incident on --model-a and --model-b, then diff");
  app.add_option("--model-a", o->model_a, "With --rerun: the model directory of side A")->needs(rerun);
  app.add_option("--model-b", o->model_b, "With --rerun: the model directory of side B")->needs(rerun);
  app.add_option("-o,--out", o->out, "With --rerun: folder for the two verdicts (default: a new temporary folder)")
      ->needs(rerun);
  add_investigate_flags(app, o->flags);
  app.footer(
      "Both sides of --rerun run with the same seed and budget. The investigate options apply only\n"
      "to --rerun.\n"
      "A rate changed when it moved significantly after Holm's correction and its 95% interval lies\n"
      "beyond ±--min-change.\n"
      "Exit codes: 0 nothing changed beyond noise, 1 a label, flag or rate changed,\n"
      "or a case is on one side only, 2 usage, 3 bad input, 4 model failure (--rerun).");
  app.callback([o, &action, rerun] {
    if (*rerun) {
      if (!o->sides.empty()) throw CLI::ValidationError("--rerun", "give either two verdicts or --rerun, not both");
      if (o->model_a.empty() || o->model_b.empty()) throw CLI::RequiredError("--model-a and --model-b");
    } else if (o->sides.size() != 2) {
      throw CLI::RequiredError("two verdicts (or folders) to compare, or --rerun INCIDENT");
    }
    action = [o, rerun]() -> int {
      std::vector<std::pair<std::string, report::LoadedVerdict>> a;
      std::vector<std::pair<std::string, report::LoadedVerdict>> b;
      if (*rerun) {
        fs::path out = o->out;
        if (out.empty()) {
          std::string pattern = (fs::temp_directory_path() / "forensics-diff-XXXXXX").string();
          if (::mkdtemp(pattern.data()) == nullptr) throw InputError("cannot create a temporary folder");
          out = pattern;
        }
        fs::create_directories(out);
        if (!o->flags.engine_url.empty()) {
          throw InputError(
              "diff --rerun runs two model versions here; an engine serves one model: run "
              "investigate --engine against each version's server and diff the two verdicts");
        }
        const auto options = investigate_options(o->flags);
        auto side_a = investigate_on(o->rerun, o->model_a, options, out / "verdict-a.json");
        auto side_b = investigate_on(o->rerun, o->model_b, options, out / "verdict-b.json");
        a.emplace_back("incident", std::move(side_a));
        b.emplace_back("incident", std::move(side_b));
      } else {
        a = report::read_verdicts(o->sides[0]);
        b = report::read_verdicts(o->sides[1]);
        // Two single files are compared whatever their incident ids say (the diff warns).
        if (a.size() == 1 && b.size() == 1 && !fs::is_directory(o->sides[0]) && !fs::is_directory(o->sides[1])) {
          b.front().first = a.front().first;
        }
      }
      const report::BatchDiff diff = report::diff_verdict_sets(a, b, o->criteria);
      if (o->json) {
        std::cout << report::diff_json(diff).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
      } else {
        std::cout << report::diff_text(diff);
      }
      return diff.changed() ? kExitDifference : kExitOk;
    };
  });
}

}  // namespace forensics::cli
