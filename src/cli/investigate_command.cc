// `forensics investigate INCIDENT`: run the probes around an incident and write the verdict
// (docs/probes.md, docs/verdict.md).
#include <iostream>

#include "command.h"
#include "forensics/probes/dry_run.h"
#include "forensics/probes/run_journal.h"
#include "forensics/report/report_pages.h"
#include "forensics/report/write_report.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/logging.h"
#include "investigate_options.h"
#include "progress_display.h"

namespace forensics::cli {

void define_investigate(CLI::App& app, Action& action) {
  struct Options {
    std::string incident;
    std::string out;
    bool json = false;
    bool dry_run = false;
    bool no_resume = false;
    std::string report;
    CLI::Option* report_option = nullptr;
    InvestigateFlags flags;
  };
  auto o = std::make_shared<Options>();
  app.add_option("incident", o->incident, "Incident file (forensics.incident/v1)")->required();
  app.add_option("-o,--out", o->out, "Verdict file to write, atomically (default: verdict.json next to the incident)");
  app.add_flag("--json", o->json, "Also print the verdict document on stdout (with --dry-run: the plan)");
  app.add_flag("--dry-run", o->dry_run,
               "Say what the run would do and how long it would take here (the model's speed is measured on "
               "the incident's prompt); sample and write nothing");
  app.add_flag("--no-resume", o->no_resume,
               "Start afresh: delete the journal a stopped run onto the same verdict left, rather than "
               "use its answers (docs/cli.md \"Resuming\")");
  o->report_option = app.add_option("--report", o->report,
                                    "Also write the verdict's HTML report (forensics report) here (default: the "
                                    "verdict's name with .html)")
                         ->expected(0, 1);
  add_investigate_flags(app, o->flags);
  app.footer(
      "Writes the forensics.verdict/v1 document (docs/verdict.md; probe results in its `probes`\n"
      "section, docs/probes.md) and prints a summary on stderr.\n"
      "Exit codes: 0 a verdict was written (any label, inconclusive included), 2 usage,\n"
      "3 bad incident or options, 4 model or runtime failure (no verdict), 5 a verdict was\n"
      "written but a probe failed (the verdict names it in failed_probes).");
  app.callback([o, &action] {
    action = [o]() -> int {
      probes::InvestigateOptions options = investigate_options(o->flags);
      const probes::ModelOpener open_model = model_opener(o->flags, o->dry_run);
      if (o->dry_run) {
        const auto plan = probes::dry_run(o->incident, options, open_model);
        std::cout << (o->json ? probes::dry_run_json(plan).dump(2) + "\n" : probes::dry_run_text(plan));
        return kExitOk;
      }
      const auto progress = progress_display();
      options.progress = progress.get();
      const std::filesystem::path incident(o->incident);
      const std::filesystem::path out =
          o->out.empty() ? incident.parent_path() / "verdict.json" : std::filesystem::path(o->out);
      std::optional<std::filesystem::path> report;
      if (o->report_option->count() > 0) {
        report = o->report.empty() ? std::filesystem::path(out).replace_extension(".html")
                                   : std::filesystem::path(o->report);
        if (*report == out) *report += ".html";  // a verdict named x.html keeps its own file
      }
      util::check_output_path(out);  // before the run, so a bad path does not lose the verdict
      if (report) util::check_output_path(*report);
      const util::OutputLock lock(out);  // a second run onto the same verdict is refused, not raced
      if (o->no_resume) probes::remove_journal(out);
      options.journal = probes::journal_path(out);
      const auto investigation = probes::investigate(incident, options, open_model);
      write_verdict(investigation, out);
      probes::remove_journal(out);  // the verdict holds what it was for
      if (report) {
        report::write_page(report::verdict_page(investigation.document), *report, std::nullopt);
        util::log_info("investigate: report written to " + report->string());
      }
      if (o->json) std::cout << investigation.document.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
      return investigation.complete() ? kExitOk : kExitIncomplete;
    };
  });
}

}  // namespace forensics::cli
