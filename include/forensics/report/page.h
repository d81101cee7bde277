// report: a report page as plain data — sections of paragraphs, lists, tables and figures — so
// that one description renders as a self-contained HTML page and as Markdown with its figures
// as SVG files beside it (docs/report.md). Torch-free; numbers come from the documents read.
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace forensics::report {

/// How a piece of text is set off. The HTML page styles each; Markdown has bold and code only.
enum class Tone { kPlain, kStrong, kCode, kMuted, kConfused, kIntentional, kInconclusive, kWarning };

struct Run {
  Run(std::string text_, Tone tone_ = Tone::kPlain, std::string link_ = {})
      : text(std::move(text_)), tone(tone_), link(std::move(link_)) {}
  std::string text;  // raw text: escaped by the renderer, never markup
  Tone tone = Tone::kPlain;
  std::string link;  // a relative link target, or empty
};
using Text = std::vector<Run>;

struct Paragraph {
  Text text;
};

struct BulletList {
  std::vector<Text> items;
};

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<Text>> rows;
  std::vector<bool> numeric;  // per column: right-aligned
};

/// An SVG figure: `body` is SVG markup built by svg.h (escaped there), drawn in a width × height
/// view box. Text and axes use currentColor, so the page's light or dark colours apply.
struct Figure {
  std::string name;  // a file name stem for the Markdown variant: "forest", "patch-denoising"
  double width = 0;
  double height = 0;
  std::string body;
  std::string caption;
  bool on_demand = false;  // shown collapsed (a large map behind its summary)
};

/// Text with a preformatted look (the command that reproduces a verdict).
struct Code {
  std::string text;
};

/// Markup a section builds itself (the transcript with its shading), already escaped; Markdown
/// shows `fallback` instead.
struct HtmlFragment {
  std::string html;
  std::vector<std::variant<Paragraph, Code>> fallback;
};

using Block = std::variant<Paragraph, BulletList, Table, Figure, Code, HtmlFragment>;

struct Section {
  std::string id;  // the HTML anchor
  std::string title;
  std::vector<Block> blocks;
};

struct Page {
  std::string title;
  Text subtitle;
  std::vector<Section> sections;
};

/// One self-contained HTML document: inline CSS and SVG, no script, no external resource.
std::string render_html(const Page& page);

struct MarkdownFile {
  std::string name;  // relative to the Markdown file's folder
  std::string content;
};
struct MarkdownReport {
  std::string markdown;
  std::vector<MarkdownFile> figures;  // standalone SVG files the Markdown links
};

/// The page as Markdown: tables as pipe tables, each figure as `figure_folder/<name>.svg` (a
/// standalone SVG with a white background) linked from an image line.
MarkdownReport render_markdown(const Page& page, const std::string& figure_folder);

/// A standalone SVG document of `figure` (XML declaration, namespace, white background).
std::string standalone_svg(const Figure& figure);

}  // namespace forensics::report
