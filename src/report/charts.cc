// report: the forest plot, dose-response plots and bar charts of a verdict report.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "forensics/report/figures.h"
#include "forensics/report/svg.h"

namespace forensics::report {
namespace {

constexpr const char* kBandColour = "#8c959f";

const char* outcome_colour(const std::string& outcome) {
  if (outcome == "decrease") return "#2166ac";
  if (outcome == "increase") return "#b2182b";
  if (outcome == "unclear") return "#bf8700";
  if (outcome == "no-change") return "#6e7781";
  return "currentColor";
}

std::string percent_tick(double value) { return fixed(value * 100, 0) + "%"; }
std::string number_tick(double value) { return shortest(value); }

std::string rate_tooltip(const std::string& id, const RatePoint& rate) {
  return id + ": " + count_text(rate.k, rate.n) + ", Wilson 95% " + percent_interval(rate.low, rate.high);
}

/// ✓, ✗ or · for a competing-hypotheses cell.
std::pair<const char*, const char*> cell_mark(const std::string& cell) {
  if (cell == "consistent") return {"\u2713", "#1a7f37"};
  if (cell == "inconsistent") return {"\u2717", "#cf222e"};
  return {"\u00b7", "#8c959f"};
}

}  // namespace

Figure forest_plot(const ForestData& data) {
  constexpr double kRow = 24;
  constexpr double kTop = 40;
  constexpr double kLabelRight = 232;
  constexpr double kPlotLeft = 244;
  constexpr double kPlotRight = 584;
  constexpr double kOutcomeX = 604;
  constexpr double kPX = 700;
  constexpr double kFirstHypothesisX = 790;
  constexpr double kHypothesisStep = 96;
  const double width = kFirstHypothesisX + kHypothesisStep * static_cast<double>(data.hypotheses.size()) - 24;
  const double plot_bottom = kTop + kRow * static_cast<double>(data.rows.size() + 1);
  const double height = plot_bottom + 34;
  const LinearScale x{0, 1, kPlotLeft, kPlotRight};

  SvgBuilder svg;
  svg.text(kPlotLeft, 16, "rate of the action (Wilson 95%)", Anchor::kStart, 12, "currentColor", true);
  svg.text(kOutcomeX, 30, "outcome", Anchor::kStart, 11, "currentColor", true);
  svg.text(kPX, 30, "Fisher p", Anchor::kStart, 11, "currentColor", true);
  for (std::size_t h = 0; h < data.hypotheses.size(); ++h) {
    const double cx = kFirstHypothesisX + kHypothesisStep * static_cast<double>(h);
    svg.text(cx, 30, shorten(data.hypotheses[h], 14), Anchor::kMiddle, 11, "currentColor", true, data.hypotheses[h]);
  }
  // The baseline's interval behind every row: an edit whose interval leaves the band moved the rate.
  svg.rect(x(data.baseline.low), kTop - 4, x(data.baseline.high) - x(data.baseline.low), plot_bottom - kTop + 4,
           "rgba(140,149,159,0.22)");
  svg.line(x(data.baseline.rate), kTop - 4, x(data.baseline.rate), plot_bottom, kBandColour, 1, true);
  svg.x_axis(x, plot_bottom, 5, percent_tick, kTop - 4);

  auto draw_row = [&](double y, const std::string& label, const RatePoint& rate, const char* colour, bool muted,
                      bool diamond, const std::string& tooltip) {
    const char* text_colour = muted ? "#8c959f" : "currentColor";
    svg.text(kLabelRight, y + 4, shorten(label, 34), Anchor::kEnd, 12, text_colour, false, tooltip);
    if (rate.n == 0) {
      svg.text(kPlotLeft + 6, y + 4, "not measured", Anchor::kStart, 11, "#8c959f");
      return;
    }
    svg.line(x(rate.low), y, x(rate.high), y, colour, 2);
    svg.line(x(rate.low), y - 4, x(rate.low), y + 4, colour, 1.5);
    svg.line(x(rate.high), y - 4, x(rate.high), y + 4, colour, 1.5);
    if (diamond) {
      svg.diamond(x(rate.rate), y, 6, colour, tooltip);
    } else {
      svg.circle(x(rate.rate), y, 4.5, colour, tooltip);
    }
  };

  draw_row(kTop + kRow / 2, "baseline", data.baseline, "currentColor", false, true,
           rate_tooltip("baseline", data.baseline));
  for (std::size_t r = 0; r < data.rows.size(); ++r) {
    const auto& row = data.rows[r];
    const double y = kTop + kRow * static_cast<double>(r + 1) + kRow / 2;
    if (row.new_group) svg.line(24, y - kRow / 2, width - 8, y - kRow / 2, "#d1d9e0", 1);
    const bool muted = !row.counted_through.empty();
    std::string tooltip = rate_tooltip(row.id, row.rate) + "; " + row.outcome + ", Fisher p " + p_value(row.fisher_p);
    if (muted) tooltip += "; counted through " + row.counted_through + " (same confound group)";
    draw_row(y, (muted ? "\u21b3 " : "") + row.id, row.rate, outcome_colour(row.outcome), muted, false, tooltip);
    svg.text(kOutcomeX, y + 4, row.outcome, Anchor::kStart, 12, outcome_colour(row.outcome), !muted);
    svg.text(kPX, y + 4, p_value(row.fisher_p), Anchor::kStart, 12);
    for (std::size_t h = 0; h < row.cells.size() && h < data.hypotheses.size(); ++h) {
      const auto [mark, colour] = cell_mark(row.cells[h]);
      const double cx = kFirstHypothesisX + kHypothesisStep * static_cast<double>(h);
      svg.text(cx, y + 5, mark, Anchor::kMiddle, 15, colour, true, data.hypotheses[h] + ": " + row.cells[h]);
    }
  }
  return svg.figure("forest", width, height,
                    "Forest plot: the baseline (diamond, grey band = its 95% interval) and each intervention's rate "
                    "with its Wilson 95% interval; colour = outcome class; \u2713/\u2717 = the outcome is "
                    "consistent/inconsistent with what each hypothesis predicted; \u21b3 = not counted, its confound "
                    "group counts once.");
}

Figure dose_response(const SweepData& data, const std::string& name) {
  constexpr double kLeft = 56;
  constexpr double kRight = 560;
  constexpr double kTop = 34;
  constexpr double kBottom = 224;
  double low = data.points.empty() ? 0 : data.points.front().dose;
  double high = low;
  for (const auto& point : data.points) {
    low = std::min(low, point.dose);
    high = std::max(high, point.dose);
  }
  const double pad = high > low ? (high - low) * 0.06 : 1;
  const LinearScale x{low - pad, high + pad, kLeft, kRight};
  const LinearScale y{0, 1, kBottom, kTop};

  SvgBuilder svg;
  svg.text(kLeft, 16,
           data.id + ": trend z " + signed_fixed(data.trend_z, 2) + ", p " + p_value(data.trend_p) + " \u2192 " +
               data.outcome,
           Anchor::kStart, 12, outcome_colour(data.outcome), true);
  for (const double tick : y.ticks(4)) {
    svg.line(kLeft, y(tick), kRight, y(tick), "#8c959f", 0.5, true);
    svg.text(kLeft - 6, y(tick) + 4, percent_tick(tick), Anchor::kEnd, 11);
  }
  if (data.baseline.n > 0) {
    svg.line(kLeft, y(data.baseline.rate), kRight, y(data.baseline.rate), "currentColor", 1, true);
    svg.text(kRight, y(data.baseline.rate) - 4, "baseline " + percent(data.baseline.rate), Anchor::kEnd, 10);
  }
  svg.x_axis(x, kBottom, 6, number_tick);
  svg.text((kLeft + kRight) / 2, kBottom + 34, "dose", Anchor::kMiddle, 11);
  std::vector<std::pair<double, double>> path;
  for (const auto& point : data.points) path.emplace_back(x(point.dose), y(point.rate.rate));
  const char* colour = outcome_colour(data.outcome);
  svg.polyline(path, colour);
  for (const auto& point : data.points) {
    const double cx = x(point.dose);
    svg.line(cx, y(point.rate.low), cx, y(point.rate.high), colour, 1.5);
    svg.circle(cx, y(point.rate.rate), 4.5, colour,
               point.label + " (dose " + shortest(point.dose) + "): " + count_text(point.rate.k, point.rate.n) +
                   ", Wilson 95% " + percent_interval(point.rate.low, point.rate.high));
  }
  return svg.figure(name, 580, kBottom + 44,
                    "Sweep " + data.id +
                        ": the action's rate at each dose with its Wilson 95% interval; the title "
                        "gives the Cochran\u2013Armitage trend test and the outcome class.");
}

Figure paired_rates(const std::vector<PairedRate>& rows, const std::string& name, const std::string& caption) {
  constexpr double kRow = 26;
  constexpr double kTop = 34;
  constexpr double kLabelRight = 262;
  const LinearScale x{0, 1, 276, 700};
  const double bottom = kTop + kRow * static_cast<double>(rows.size());
  SvgBuilder svg;
  svg.text(280, 18, "\u25cb A", Anchor::kStart, 12, "#6e7781", true);
  svg.text(330, 18, "\u25cf B", Anchor::kStart, 12, "#b2182b", true);
  svg.text(380, 18, "rate of the action (Wilson 95%); * changed", Anchor::kStart, 11);
  svg.x_axis(x, bottom + 4, 5, percent_tick, kTop - 4);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const double y = kTop + kRow * static_cast<double>(i) + kRow / 2;
    svg.text(kLabelRight, y + 4, shorten(row.id, 36) + (row.changed ? " *" : ""), Anchor::kEnd, 12, "currentColor",
             row.changed, row.tooltip);
    for (const auto& [rate, colour, offset] : {std::tuple{row.a, "#6e7781", -4.0}, std::tuple{row.b, "#b2182b", 4.0}}) {
      if (rate.n == 0) continue;
      svg.line(x(rate.low), y + offset, x(rate.high), y + offset, colour, 2);
      svg.circle(x(rate.rate), y + offset, 4.5, colour, row.tooltip);
    }
    if (row.a.n > 0) svg.circle(x(row.a.rate), y - 4, 2.5, "#ffffff");  // hollow: side A
  }
  return svg.figure(name, 720, bottom + 30, caption);
}

Figure bar_chart(const std::vector<Bar>& bars, const std::string& axis_label, const std::string& name,
                 const std::string& caption) {
  constexpr double kRow = 22;
  constexpr double kTop = 30;
  constexpr double kLabelRight = 452;
  constexpr double kPlotLeft = 464;
  constexpr double kPlotRight = 900;
  double low = 0;
  double high = 0;
  for (const auto& bar : bars) {
    low = std::min(low, bar.value);
    high = std::max(high, bar.value);
  }
  const double pad = std::max(high - low, 1e-9) * 0.08;
  const LinearScale x{low - (low < 0 ? pad : 0), high + (high > 0 ? pad : 0), kPlotLeft, kPlotRight};
  const double bottom = kTop + kRow * static_cast<double>(bars.size());

  SvgBuilder svg;
  svg.text((kPlotLeft + kPlotRight) / 2, 16, axis_label, Anchor::kMiddle, 12, "currentColor", true);
  svg.x_axis(x, bottom + 4, 6, number_tick, kTop - 4);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& bar = bars[i];
    const double y = kTop + kRow * static_cast<double>(i);
    svg.text(kLabelRight, y + kRow / 2 + 4, shorten(bar.label, 62), Anchor::kEnd, 12, "currentColor", false,
             bar.tooltip);
    const double from = x(std::min(0.0, bar.value));
    const double to = x(std::max(0.0, bar.value));
    svg.rect(from, y + 4, std::max(1.0, to - from), kRow - 8, bar.value < 0 ? "#2166ac" : "#b2182b", bar.tooltip);
    // The value inside a long bar (in white), else beside its end on the side away from zero.
    const bool inside = to - from > 44;
    const double at = bar.value < 0 ? (inside ? from + 4 : from - 4) : (inside ? to - 4 : to + 4);
    const bool start = (bar.value < 0) == inside;
    svg.text(at, y + kRow / 2 + 4, signed_fixed(bar.value, 2), start ? Anchor::kStart : Anchor::kEnd, 10,
             inside ? "#ffffff" : "#8c959f");
  }
  svg.line(x(0), kTop - 4, x(0), bottom + 4, "currentColor", 1);
  return svg.figure(name, 940, bottom + 30, caption);
}

}  // namespace forensics::report
