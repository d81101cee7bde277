// report: a Page as Markdown (CommonMark with GitHub's pipe tables) for pull-request comments and
// wikis; figures become standalone SVG files beside it. Text is escaped so that a transcript's
// markup, emphasis characters or pipes never become structure.
#include <algorithm>
#include <cctype>

#include "forensics/report/batch_report.h"
#include "forensics/report/page.h"
#include "forensics/util/text.h"

namespace forensics::report {
namespace {

/// The longest run of backticks in `text`, so a code span or fence can be made longer.
std::size_t longest_backtick_run(std::string_view text) {
  std::size_t longest = 0;
  std::size_t current = 0;
  for (const char c : text) {
    current = c == '`' ? current + 1 : 0;
    longest = std::max(longest, current);
  }
  return longest;
}

/// Plain text with every character that could start Markdown or HTML structure backslash-escaped.
std::string escape_markdown(std::string_view raw, bool in_table) {
  const std::string text = util::valid_utf8(raw);
  std::string out;
  for (const char c : text) {
    if (c == '\n' || c == '\r') {
      out += in_table ? " " : "  \n";
      continue;
    }
    if (std::string_view("\\`*_[]<>|~&#!").find(c) != std::string_view::npos) out += '\\';
    out.push_back(c);
  }
  return out;
}

std::string code_span(std::string_view raw, bool in_table) {
  std::string text = util::valid_utf8(raw);
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (in_table) {
    std::string piped;
    for (const char c : text) piped += c == '|' ? std::string("\\|") : std::string(1, c);
    text = piped;
  }
  const std::string fence(longest_backtick_run(text) + 1, '`');
  return fence + " " + text + " " + fence;
}

std::string text_markdown(const Text& text, bool in_table) {
  std::string out;
  for (const auto& run : text) {
    std::string piece;
    switch (run.tone) {
      case Tone::kCode: piece = code_span(run.text, in_table); break;
      case Tone::kStrong:
      case Tone::kConfused:
      case Tone::kIntentional:
      case Tone::kInconclusive:
      case Tone::kWarning: piece = "**" + escape_markdown(run.text, in_table) + "**"; break;
      case Tone::kPlain:
      case Tone::kMuted: piece = escape_markdown(run.text, in_table); break;
    }
    if (!run.link.empty()) piece = "[" + piece + "](<" + run.link + ">)";
    out += piece;
  }
  return out;
}

std::string table_markdown(const Table& table) {
  std::string out = "|";
  for (const auto& name : table.header) out += " " + escape_markdown(name, true) + " |";
  out += "\n|";
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    out += c < table.numeric.size() && table.numeric[c] ? " ---: |" : " --- |";
  }
  out += "\n";
  for (const auto& row : table.rows) {
    out += "|";
    for (const auto& cell : row) out += " " + text_markdown(cell, true) + " |";
    out += "\n";
  }
  return out + "\n";
}

std::string code_block(std::string_view raw) {
  const std::string text = util::valid_utf8(raw);
  const std::string fence(std::max<std::size_t>(3, longest_backtick_run(text) + 1), '`');
  return fence + "text\n" + text + (text.empty() || text.back() != '\n' ? "\n" : "") + fence + "\n\n";
}

struct BlockMarkdown {
  const std::string& figure_folder;
  std::vector<MarkdownFile>& figures;

  /// `name` as a file name (ids may hold any character), numbered when an earlier figure has it.
  std::string unique_file_stem(const std::string& name) const {
    std::string stem;
    for (const char c : name) stem += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-';
    if (stem.empty()) stem = "figure";
    auto taken = [&](const std::string& candidate) {
      const std::string file = figure_folder + "/" + candidate + ".svg";
      return std::any_of(figures.begin(), figures.end(), [&](const MarkdownFile& f) { return f.name == file; });
    };
    std::string candidate = stem;
    for (int n = 2; taken(candidate); ++n) candidate = stem + "-" + std::to_string(n);
    return candidate;
  }

  std::string operator()(const Paragraph& p) const { return text_markdown(p.text, false) + "\n\n"; }
  std::string operator()(const BulletList& list) const {
    std::string out;
    for (const auto& item : list.items) out += "- " + text_markdown(item, false) + "\n";
    return out + "\n";
  }
  std::string operator()(const Table& table) const { return table_markdown(table); }
  std::string operator()(const Figure& figure) const {
    const std::string file = figure_folder + "/" + unique_file_stem(figure.name) + ".svg";
    figures.push_back({file, standalone_svg(figure)});
    return "![" + escape_markdown(figure.caption, true) + "](<" + file + ">)\n\n" +
           escape_markdown(figure.caption, false) + "\n\n";
  }
  std::string operator()(const Code& code) const { return code_block(code.text); }
  std::string operator()(const HtmlFragment& fragment) const {
    std::string out;
    for (const auto& block : fragment.fallback) {
      if (const auto* paragraph = std::get_if<Paragraph>(&block)) out += (*this)(*paragraph);
      if (const auto* code = std::get_if<Code>(&block)) out += (*this)(*code);
    }
    return out;
  }
};

}  // namespace

MarkdownReport render_markdown(const Page& page, const std::string& figure_folder) {
  MarkdownReport report;
  report.markdown = "# " + escape_markdown(page.title, true) + "\n\n";
  if (!page.subtitle.empty()) report.markdown += text_markdown(page.subtitle, false) + "\n\n";
  const BlockMarkdown render{figure_folder, report.figures};
  for (const auto& section : page.sections) {
    report.markdown += "## " + escape_markdown(section.title, true) + "\n\n";
    for (const auto& block : section.blocks) report.markdown += std::visit(render, block);
  }
  return report;
}

}  // namespace forensics::report
