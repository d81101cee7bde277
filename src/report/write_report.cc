// report: reading what `forensics report` is given and writing its pages.
#include "forensics/report/write_report.h"

#include <map>

#include "forensics/report/batch_report.h"
#include "forensics/report/diff.h"
#include "forensics/report/report_pages.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"
#include "forensics/verdict/verdict.h"

namespace forensics::report {
namespace fs = std::filesystem;
namespace {

// Verdicts with long transcripts and patch maps run to tens of MB; far beyond that is not a verdict.
constexpr std::size_t kMaxDocumentBytes = std::size_t{1} << 30;

Json read_document(const fs::path& path) {
  util::require_regular_file(path);
  return util::parse_json_strict(util::read_text_file(path, kMaxDocumentBytes), path.string());
}

std::string schema_of(const Json& document) {
  return document.is_object() && document.contains("schema") && document["schema"].is_string()
             ? document["schema"].get<std::string>()
             : "";
}

/// `path` with `extension` instead of its own; never `path` itself (a verdict named x.html).
fs::path with_extension(const fs::path& path, const char* extension) {
  fs::path out = path;
  out.replace_extension(extension);
  if (out == path) out += extension;
  return out;
}

/// Each case's report beside its verdict, then the overview linking them.
std::vector<fs::path> write_batch(const fs::path& folder, const Json& batch, const std::optional<fs::path>& html,
                                  const std::optional<fs::path>& markdown) {
  const fs::path overview = html.value_or(folder / "report.html");
  const fs::path overview_folder = fs::absolute(overview).parent_path();
  std::vector<fs::path> written;
  std::map<std::string, std::string> links;
  for (const auto& c : batch.value("cases", Json::array())) {
    if (!c.is_object() || !c.contains("verdict") || !c["verdict"].is_string()) continue;
    const fs::path verdict = folder / c["verdict"].get<std::string>();
    if (!fs::is_regular_file(verdict)) continue;  // a case that could not run has no verdict
    const fs::path report = with_extension(verdict, ".html");
    for (auto& path : write_page(verdict_page(read_document(verdict)), report, std::nullopt)) written.push_back(path);
    links[c.value("id", std::string())] = fs::relative(fs::absolute(report), overview_folder).generic_string();
  }
  for (auto& path : write_page(batch_page(batch, links), overview, markdown)) written.push_back(path);
  return written;
}

}  // namespace

std::vector<fs::path> write_page(const Page& page, const fs::path& html, const std::optional<fs::path>& markdown) {
  util::check_output_path(html);
  if (markdown) util::check_output_path(*markdown);
  std::vector<fs::path> written;
  util::write_file_atomically(html, render_html(page));
  written.push_back(html);
  if (markdown) {
    const std::string figures = markdown->stem().string() + "-figures";
    const MarkdownReport report = render_markdown(page, figures);
    if (!report.figures.empty()) fs::create_directories(markdown->parent_path() / figures);
    for (const auto& figure : report.figures) {
      const fs::path path = markdown->parent_path() / figure.name;
      util::write_file_atomically(path, figure.content);
      written.push_back(path);
    }
    util::write_file_atomically(*markdown, report.markdown);
    written.push_back(*markdown);
  }
  return written;
}

std::vector<fs::path> write_report(const fs::path& input, const std::optional<fs::path>& html,
                                   const std::optional<fs::path>& markdown) {
  if (fs::is_directory(input)) {
    const fs::path summary = input / "batch.json";
    if (!fs::exists(summary)) {
      throw InputError(input.string() + ": a folder to report on must be a batch output (no batch.json in it)");
    }
    return write_batch(input, read_document(summary), html, markdown);
  }
  const Json document = read_document(input);
  const std::string schema = schema_of(document);
  if (schema == verdict::kSchema) {
    return write_page(verdict_page(document), html.value_or(with_extension(input, ".html")), markdown);
  }
  if (schema == kDiffSchema) {
    return write_page(diff_page(document), html.value_or(with_extension(input, ".html")), markdown);
  }
  if (schema == kBatchResultSchema) return write_batch(input.parent_path(), document, html, markdown);
  throw InputError(input.string() + ": not a document forensics can report on: \"schema\" is " +
                   (schema.empty() ? std::string("missing") : "\"" + schema + "\"") + "; expected " + verdict::kSchema +
                   ", " + kDiffSchema + " or " + kBatchResultSchema);
}

}  // namespace forensics::report
