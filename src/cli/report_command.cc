// `forensics report INPUT [-o FILE] [--markdown FILE]`: a verdict, a verdict diff or a batch output
// as a self-contained HTML page (and Markdown), from the documents alone (docs/report.md).
#include <iostream>

#include "command.h"
#include "forensics/report/write_report.h"

namespace forensics::cli {

namespace {

struct ReportOptions {
  std::string input;
  std::string html;
  std::string markdown;
};

std::optional<std::filesystem::path> given(const std::string& path) {
  return path.empty() ? std::nullopt : std::optional<std::filesystem::path>(path);
}

int run_report(const ReportOptions& o) {
  for (const auto& path : report::write_report(o.input, given(o.html), given(o.markdown))) {
    std::cerr << "forensics: report: wrote " << path.string() << "\n";
  }
  return kExitOk;
}

}  // namespace

void define_report(CLI::App& app, Action& action) {
  auto o = std::make_shared<ReportOptions>();
  app.add_option("input", o->input,
                 "A verdict (investigate's output), a diff (diff --json's output), or a batch output folder or its "
                 "batch.json")
      ->required();
  app.add_option("-o,--out", o->html,
                 "The HTML file (default: the input's name with .html; for a batch, report.html in its folder)");
  app.add_option("--markdown", o->markdown,
                 "Also write Markdown here, its figures as SVG files in <name>-figures/ beside it");
  app.callback([o, &action] { action = [o] { return run_report(*o); }; });
}

}  // namespace forensics::cli
