// report: `forensics report` as a library call — read a verdict, a verdict diff or a batch output,
// build its page and write the HTML (and optionally Markdown with its figures) atomically.
// Torch-free, so `investigate --report` and the light binary share it.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "forensics/report/page.h"

namespace forensics::report {

/// Writes `page` as HTML to `html` and, when given, as Markdown to `markdown` with its figures in
/// `<markdown stem>-figures/` beside it. Each file atomically. Returns the files written.
std::vector<std::filesystem::path> write_page(const Page& page, const std::filesystem::path& html,
                                              const std::optional<std::filesystem::path>& markdown);

/// Reports on `input`: a `forensics.verdict/v1` file (default output: the same name with .html), a
/// `forensics.verdict-diff/v1` file (likewise), or a batch output — its folder or its batch.json
/// (default output: report.html in the folder, and each case's report beside its verdict, linked
/// from the overview). Throws InputError for an unreadable input or a JSON document of another
/// kind, naming the file. Returns the files written.
std::vector<std::filesystem::path> write_report(const std::filesystem::path& input,
                                                const std::optional<std::filesystem::path>& html,
                                                const std::optional<std::filesystem::path>& markdown);

}  // namespace forensics::report
