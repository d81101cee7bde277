// report: a Page as one self-contained HTML document. No script and no external resource: the
// page opens from an e-mail attachment with the network off, and a hostile transcript can only
// ever be text (every string passes through xml_escape).
#include <cstdio>

#include "forensics/report/batch_report.h"
#include "forensics/report/page.h"

namespace forensics::report {
namespace {

// Light colours by default, dark ones when the reader's system asks for them, light on paper.
constexpr const char* kStyle = R"css(
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa;
  --line: #d1d9e0; --confused: #0b5cad; --intentional: #b42318; --inconclusive: #59636e;
  --warning: #8a5a00; --mark: #fff1a8; --on-label: #ffffff; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --panel: #161b22; --line: #3d444d;
    --confused: #58a6ff; --intentional: #ff7b72; --inconclusive: #9198a1; --warning: #d29922;
    --mark: #5c4a00; --on-label: #0d1117; } }
@media print {
  :root { --fg: #000; --muted: #444; --bg: #fff; --panel: #fff; --line: #999; --mark: #fff1a8; }
  nav { display: none; } details { display: block; } details > summary { list-style: none; } }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; overflow-wrap: anywhere; }
h2 { font-size: 19px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
p, ul { margin: 8px 0; }
nav { font-size: 13px; color: var(--muted); margin: 10px 0 0; }
nav a { color: inherit; margin-right: 12px; }
a { color: var(--confused); }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; margin: 10px 0; font-size: 13.5px; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top;
  overflow-wrap: break-word; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 12px 0; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
details > summary { cursor: pointer; color: var(--muted); font-size: 13.5px; }
.muted { color: var(--muted); }
.label { display: inline-block; padding: 1px 10px; border-radius: 12px; color: var(--on-label); font-weight: 600; }
.label.confused { background: var(--confused); } .label.intentional { background: var(--intentional); }
.label.inconclusive { background: var(--inconclusive); }
.warning { color: var(--warning); font-weight: 600; }
.turn { border: 1px solid var(--line); border-radius: 6px; margin: 8px 0; background: var(--panel); }
.turn .role { font-size: 12px; font-weight: 600; color: var(--muted); padding: 4px 10px 0; }
.turn pre { border: 0; margin: 0; background: transparent; unicode-bidi: isolate; }
.turn.action { border: 2px solid var(--intentional); }
mark.action { background: var(--mark); color: inherit; outline: 2px solid var(--intentional); }
.special { color: var(--muted); }
.sentence { border-radius: 3px; }
.sentence sup { font-size: 10px; color: var(--muted); }
)css";

const char* tone_class(Tone tone) {
  switch (tone) {
    case Tone::kMuted: return "muted";
    case Tone::kConfused: return "label confused";
    case Tone::kIntentional: return "label intentional";
    case Tone::kInconclusive: return "label inconclusive";
    case Tone::kWarning: return "warning";
    case Tone::kPlain:
    case Tone::kStrong:
    case Tone::kCode: break;
  }
  return "";
}

std::string run_html(const Run& run) {
  std::string inner = xml_escape(run.text);
  if (run.tone == Tone::kStrong) {
    inner = "<strong>" + inner + "</strong>";
  } else if (run.tone == Tone::kCode) {
    inner = "<code>" + inner + "</code>";
  } else if (run.tone != Tone::kPlain) {
    inner = "<span class=\"" + std::string(tone_class(run.tone)) + "\">" + inner + "</span>";
  }
  if (!run.link.empty()) inner = "<a href=\"" + xml_escape(run.link) + "\">" + inner + "</a>";
  return inner;
}

std::string text_html(const Text& text) {
  std::string out;
  for (const auto& run : text) out += run_html(run);
  return out;
}

std::string table_html(const Table& table) {
  auto cell_class = [&](std::size_t column) {
    return column < table.numeric.size() && table.numeric[column] ? " class=\"num\"" : "";
  };
  std::string out = "<table>\n<thead><tr>";
  for (std::size_t c = 0; c < table.header.size(); ++c) {
    out += "<th" + std::string(cell_class(c)) + ">" + xml_escape(table.header[c]) + "</th>";
  }
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& row : table.rows) {
    out += "<tr>";
    for (std::size_t c = 0; c < row.size(); ++c)
      out += "<td" + std::string(cell_class(c)) + ">" + text_html(row[c]) + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.0f", value);
  return buffer;
}

std::string figure_html(const Figure& figure) {
  const std::string size = number_text(figure.width) + " " + number_text(figure.height);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + "\" width=\"" +
                    number_text(figure.width) + "\" role=\"img\" aria-label=\"" + xml_escape(figure.caption) +
                    "\" font-family=\"system-ui, 'DejaVu Sans', sans-serif\" font-size=\"12\">" + figure.body +
                    "</svg>";
  std::string out = "<figure>" + svg;
  if (!figure.caption.empty()) out += "<figcaption>" + xml_escape(figure.caption) + "</figcaption>";
  out += "</figure>\n";
  if (figure.on_demand) {
    out = "<details><summary>" + xml_escape(figure.caption) + " (click to open)</summary>\n" + out + "</details>\n";
  }
  return out;
}

struct BlockHtml {
  std::string operator()(const Paragraph& p) const { return "<p>" + text_html(p.text) + "</p>\n"; }
  std::string operator()(const BulletList& list) const {
    std::string out = "<ul>\n";
    for (const auto& item : list.items) out += "<li>" + text_html(item) + "</li>\n";
    return out + "</ul>\n";
  }
  std::string operator()(const Table& table) const { return table_html(table); }
  std::string operator()(const Figure& figure) const { return figure_html(figure); }
  std::string operator()(const Code& code) const { return "<pre>" + xml_escape(code.text) + "</pre>\n"; }
  std::string operator()(const HtmlFragment& fragment) const { return fragment.html; }
};

}  // namespace

std::string render_html(const Page& page) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // Nothing may be fetched: the policy forbids every source but inline styles and data: images.
  out +=
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<title>" + xml_escape(page.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  out += "<h1>" + xml_escape(page.title) + "</h1>\n";
  if (!page.subtitle.empty()) out += "<p class=\"muted\">" + text_html(page.subtitle) + "</p>\n";
  out += "<nav>";
  for (const auto& section : page.sections) {
    out += "<a href=\"#" + xml_escape(section.id) + "\">" + xml_escape(section.title) + "</a>";
  }
  out += "</nav>\n";
  for (const auto& section : page.sections) {
    out += "<section id=\"" + xml_escape(section.id) + "\">\n<h2>" + xml_escape(section.title) + "</h2>\n";
    for (const auto& block : section.blocks) out += std::visit(BlockHtml{}, block);
    out += "</section>\n";
  }
  return out + "</main>\n</body>\n</html>\n";
}

std::string standalone_svg(const Figure& figure) {
  const std::string width = number_text(figure.width);
  const std::string height = number_text(figure.height);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
         width + " " + height + "\" width=\"" + width + "\" height=\"" + height +
         "\" color=\"#1f2328\" font-family=\"system-ui, 'DejaVu Sans', sans-serif\" font-size=\"12\">\n<rect "
         "width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n" +
         figure.body + "\n</svg>\n";
}

}  // namespace forensics::report
