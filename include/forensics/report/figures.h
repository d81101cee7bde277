// report: the figures of a verdict report as plain data in, SVG out: the forest plot of the
// interventions, dose-response plots of the sweeps, the ablation bar chart and the patching
// heatmaps (docs/report.md). Each takes what it draws already read from the verdict.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "forensics/report/page.h"

namespace forensics::report {

/// A measured rate with its Wilson 95% interval.
struct RatePoint {
  long long k = 0;
  long long n = 0;
  double rate = 0;
  double low = 0;
  double high = 0;
};

struct ForestRow {
  std::string id;
  RatePoint rate;
  std::string outcome;  // "decrease", "increase", "no-change", "unclear"; empty for the baseline
  double fisher_p = 1;
  std::vector<std::string> cells;  // per hypothesis: "consistent", "inconsistent", "neutral"
  std::string counted_through;     // empty when counted; else the group's representative
  bool new_group = false;          // a line above it separates confound groups
};

struct ForestData {
  std::vector<std::string> hypotheses;  // column ids, the null last
  RatePoint baseline;
  std::vector<ForestRow> rows;  // the baseline is drawn first, from `baseline`
};

/// Baseline and every intervention's rate with its interval, the baseline's band behind them,
/// each line's outcome, Fisher p and what each hypothesis predicted (✓ consistent, ✗ not).
Figure forest_plot(const ForestData& data);

struct DosePoint {
  std::string label;
  double dose = 0;
  RatePoint rate;
};

struct SweepData {
  std::string id;
  std::vector<DosePoint> points;
  double trend_z = 0;
  double trend_p = 1;
  std::string outcome;
  RatePoint baseline;
};

/// The action's rate against the dose, with intervals, the baseline for reference, and the
/// Cochran–Armitage trend in the title.
Figure dose_response(const SweepData& data, const std::string& name);

/// One rate measured on two sides (two versions of a model).
struct PairedRate {
  std::string id;
  RatePoint a;
  RatePoint b;
  bool changed = false;  // the diff's criterion: significant after correction and beyond the margin
  std::string tooltip;
};

/// Each rate on side A (hollow, grey) and side B (filled) with their intervals; a changed rate in
/// bold with an asterisk.
Figure paired_rates(const std::vector<PairedRate>& rows, const std::string& name, const std::string& caption);

struct Bar {
  std::string label;    // shown (shortened) beside the bar
  std::string tooltip;  // the full text and the numbers
  double value = 0;
};

/// Horizontal bars from a zero line: negative values to the left (blue), positive to the right (red).
Figure bar_chart(const std::vector<Bar>& bars, const std::string& axis_label, const std::string& name,
                 const std::string& caption);

/// A patching map: per site, layers × columns (token positions, or segments when aggregated).
struct HeatmapData {
  std::vector<std::string> sites;
  std::vector<std::vector<std::vector<double>>> values;  // [site][layer][column]
  std::vector<std::string> column_labels;                // tokens, or segment texts
  std::vector<std::string> column_tooltips;
  std::vector<bool> edited;  // per column: the counterfactual edited it
  // Runs of columns that belong together (transcript segments), drawn as brackets under the axis
  // when the columns are too many to label one by one.
  std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>> groups;
  double limit = 1;  // |value| drawn at full colour, the same for every site
};

/// One heatmap per site stacked over a shared column axis; a colour legend centred on 0.
Figure heatmap(const HeatmapData& data, const std::string& name, const std::string& caption, bool on_demand = false);

/// The same map drawn one pixel per cell as an embedded PNG (for maps too large for one SVG
/// element per cell), with the site and layer axes and the group brackets.
Figure pixel_heatmap(const HeatmapData& data, const std::string& name, const std::string& caption);

}  // namespace forensics::report
