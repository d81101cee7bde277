// report: SVG building blocks and the number formats of the report pages.
#include "forensics/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "forensics/report/batch_report.h"
#include "forensics/util/text.h"

namespace forensics::report {
namespace {

std::string px(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", value);
  std::string out = buffer;
  if (out.size() > 2 && out.compare(out.size() - 2, 2, ".0") == 0) out.resize(out.size() - 2);
  return out == "-0" ? "0" : out;
}

std::string tooltip_element(std::string_view tooltip) {
  return tooltip.empty() ? std::string() : "<title>" + xml_escape(tooltip) + "</title>";
}

/// An element with an optional tooltip: `<tag attrs/>` or `<tag attrs><title>…</title></tag>`.
std::string element(std::string_view tag, const std::string& attributes, std::string_view tooltip) {
  if (tooltip.empty()) return "<" + std::string(tag) + attributes + "/>";
  return "<" + std::string(tag) + attributes + ">" + tooltip_element(tooltip) + "</" + std::string(tag) + ">";
}

const char* anchor_name(Anchor anchor) {
  switch (anchor) {
    case Anchor::kStart: return "start";
    case Anchor::kMiddle: return "middle";
    case Anchor::kEnd: return "end";
  }
  return "start";
}

}  // namespace

double LinearScale::operator()(double value) const {
  const double span = domain_high - domain_low;
  if (span == 0) return (range_low + range_high) / 2;
  return range_low + (value - domain_low) / span * (range_high - range_low);
}

std::vector<double> LinearScale::ticks(int count) const {
  const double span = domain_high - domain_low;
  if (!(span > 0) || count < 1) return {domain_low};
  const double raw = span / count;
  const double magnitude = std::pow(10, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) break;
  }
  std::vector<double> out;
  for (double tick = std::ceil(domain_low / step) * step; tick <= domain_high + step * 1e-9; tick += step) {
    out.push_back(std::abs(tick) < step * 1e-9 ? 0 : tick);
  }
  return out;
}

void SvgBuilder::rect(double x, double y, double width, double height, std::string_view fill,
                      std::string_view tooltip) {
  body_ += element("rect",
                   " x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(std::max(0.0, width)) + "\" height=\"" +
                       px(std::max(0.0, height)) + "\" fill=\"" + std::string(fill) + "\"",
                   tooltip);
}

void SvgBuilder::frame(double x, double y, double width, double height, std::string_view stroke) {
  body_ += "<rect x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
           "\" fill=\"none\" stroke=\"" + std::string(stroke) + "\" stroke-width=\"0.75\"/>";
}

void SvgBuilder::line(double x1, double y1, double x2, double y2, std::string_view stroke, double width, bool dashed) {
  body_ += "<line x1=\"" + px(x1) + "\" y1=\"" + px(y1) + "\" x2=\"" + px(x2) + "\" y2=\"" + px(y2) + "\" stroke=\"" +
           std::string(stroke) + "\" stroke-width=\"" + px(width) + "\"" + (dashed ? " stroke-dasharray=\"4 3\"" : "") +
           "/>";
}

void SvgBuilder::circle(double cx, double cy, double r, std::string_view fill, std::string_view tooltip) {
  body_ += element(
      "circle", " cx=\"" + px(cx) + "\" cy=\"" + px(cy) + "\" r=\"" + px(r) + "\" fill=\"" + std::string(fill) + "\"",
      tooltip);
}

void SvgBuilder::diamond(double cx, double cy, double r, std::string_view fill, std::string_view tooltip) {
  const std::string points = px(cx) + "," + px(cy - r) + " " + px(cx + r) + "," + px(cy) + " " + px(cx) + "," +
                             px(cy + r) + " " + px(cx - r) + "," + px(cy);
  body_ += element("polygon", " points=\"" + points + "\" fill=\"" + std::string(fill) + "\"", tooltip);
}

void SvgBuilder::polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width) {
  std::string list;
  for (const auto& [x, y] : points) list += (list.empty() ? "" : " ") + px(x) + "," + px(y);
  body_ += "<polyline points=\"" + list + "\" fill=\"none\" stroke=\"" + std::string(stroke) + "\" stroke-width=\"" +
           px(width) + "\"/>";
}

void SvgBuilder::text(double x, double y, std::string_view content, Anchor anchor, double size, std::string_view fill,
                      bool bold, std::string_view tooltip) {
  body_ += "<text x=\"" + px(x) + "\" y=\"" + px(y) + "\" text-anchor=\"" + anchor_name(anchor) + "\" font-size=\"" +
           px(size) + "\" fill=\"" + std::string(fill) + "\"" + (bold ? " font-weight=\"600\"" : "") + ">" +
           xml_escape(content) + tooltip_element(tooltip) + "</text>";
}

void SvgBuilder::slanted_text(double x, double y, std::string_view content, double size, std::string_view fill) {
  body_ += "<text transform=\"translate(" + px(x) + "," + px(y) + ") rotate(-60)\" text-anchor=\"end\" font-size=\"" +
           px(size) + "\" fill=\"" + std::string(fill) + "\">" + xml_escape(content) + "</text>";
}

void SvgBuilder::pixel_image(double x, double y, double width, double height, std::string_view data_url) {
  body_ += "<image x=\"" + px(x) + "\" y=\"" + px(y) + "\" width=\"" + px(width) + "\" height=\"" + px(height) +
           "\" preserveAspectRatio=\"none\" style=\"image-rendering:pixelated\" href=\"" + xml_escape(data_url) +
           "\"/>";
}

void SvgBuilder::x_axis(const LinearScale& scale, double y, int tick_count, std::string (*label)(double),
                        double grid_top) {
  line(scale.range_low, y, scale.range_high, y);
  for (const double tick : scale.ticks(tick_count)) {
    const double x = scale(tick);
    if (grid_top >= 0) line(x, grid_top, x, y, "#8c959f", 0.5, true);
    line(x, y, x, y + 4);
    text(x, y + 16, label(tick), Anchor::kMiddle, 11);
  }
}

Figure SvgBuilder::figure(std::string name, double width, double height, std::string caption, bool on_demand) {
  return Figure{std::move(name), width, height, std::move(body_), std::move(caption), on_demand};
}

std::string diverging_colour(double value, double limit) {
  const double t = limit > 0 ? std::clamp(value / limit, -1.0, 1.0) : 0;
  // White towards #b2182b (positive) or #2166ac (negative), as ColorBrewer's RdBu ends.
  const int target[2][3] = {{0x21, 0x66, 0xac}, {0xb2, 0x18, 0x2b}};
  const int* end = target[t > 0 ? 1 : 0];
  const double a = std::abs(t);
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", static_cast<int>(std::lround(255 + (end[0] - 255) * a)),
                static_cast<int>(std::lround(255 + (end[1] - 255) * a)),
                static_cast<int>(std::lround(255 + (end[2] - 255) * a)));
  return buffer;
}

std::string fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  std::string out = buffer;
  if (out.find_first_not_of("-0.") == std::string::npos && out.front() == '-') out.erase(0, 1);
  return out;
}

std::string shortest(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%g", value);
  return buffer;
}

std::string percent(double rate) { return fixed(rate * 100, 1) + "%"; }

std::string count_text(long long k, long long n) {
  return std::to_string(k) + "/" + std::to_string(n) + (n > 0 ? " (" + percent(static_cast<double>(k) / n) + ")" : "");
}

std::string signed_fixed(double value, int decimals) {
  std::string out = fixed(value, decimals);
  return out.front() == '-' ? out : "+" + out;
}

std::string signed_interval(double low, double high, int decimals) {
  return "[" + signed_fixed(low, decimals) + ", " + signed_fixed(high, decimals) + "]";
}

std::string percent_interval(double low, double high) { return "[" + percent(low) + ", " + percent(high) + "]"; }

std::string p_value(double p) {
  if (p >= 0.9995) return "1";
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, p >= 0.001 ? "%.3g" : "%.2g", p);
  return buffer;
}

std::string shorten(std::string_view raw, std::size_t max_chars) {
  const std::string text = util::valid_utf8(raw);
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (chars == max_chars) return text.substr(0, i) + "…";
    ++chars;
  }
  return text;
}

}  // namespace forensics::report
