// report: the little SVG the figures need — a builder that escapes every string it is given,
// linear scales with readable ticks, a diverging colour scale centred on 0 — and the number
// formats the report pages share, so a figure and its table print a value the same way.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "forensics/report/page.h"

namespace forensics::report {

/// Maps a data interval onto a pixel interval.
struct LinearScale {
  double domain_low = 0;
  double domain_high = 1;
  double range_low = 0;
  double range_high = 1;
  double operator()(double value) const;
  /// About `count` round values (1, 2 or 5 × 10^k apart) inside the domain.
  std::vector<double> ticks(int count) const;
};

enum class Anchor { kStart, kMiddle, kEnd };

/// SVG elements appended in drawing order. Colours are CSS colour strings from this program,
/// never user text; every user string passes through xml_escape.
class SvgBuilder {
 public:
  void rect(double x, double y, double width, double height, std::string_view fill, std::string_view tooltip = {});
  /// An unfilled rectangle: the extent of a heatmap whose cells are mostly background.
  void frame(double x, double y, double width, double height, std::string_view stroke = "#8c959f");
  void line(double x1, double y1, double x2, double y2, std::string_view stroke = "currentColor", double width = 1,
            bool dashed = false);
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view tooltip = {});
  void diamond(double cx, double cy, double r, std::string_view fill, std::string_view tooltip = {});
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke, double width = 1.5);
  void text(double x, double y, std::string_view content, Anchor anchor = Anchor::kStart, double size = 12,
            std::string_view fill = "currentColor", bool bold = false, std::string_view tooltip = {});
  /// Text rotated by -60 degrees about (x, y): token labels under a heatmap.
  void slanted_text(double x, double y, std::string_view content, double size, std::string_view fill = "currentColor");
  /// An image from a data: URL, stretched over the box without smoothing (a heatmap drawn one
  /// pixel per cell).
  void pixel_image(double x, double y, double width, double height, std::string_view data_url);
  /// Horizontal axis at `y` with ticks and labels formatted by `label`.
  void x_axis(const LinearScale& scale, double y, int tick_count, std::string (*label)(double), double grid_top = -1);

  Figure figure(std::string name, double width, double height, std::string caption, bool on_demand = false);

 private:
  std::string body_;
};

/// A colour for `value` on a diverging scale: blue below 0, white at 0, red above; |value| ≥
/// `limit` is the full colour.
std::string diverging_colour(double value, double limit);

/// "85.0%"
std::string percent(double rate);
/// "85/100 (85.0%)"
std::string count_text(long long k, long long n);
/// "+0.010" with the sign always written
std::string signed_fixed(double value, int decimals = 3);
/// "[-0.07, +0.09]"
std::string signed_interval(double low, double high, int decimals = 2);
/// "[76.7%, 90.7%]"
std::string percent_interval(double low, double high);
/// A p-value: "1", "0.033", "8.7e-35"
std::string p_value(double p);
/// A number in as few digits as it needs, up to 6 significant: "320", "0.25".
std::string shortest(double value);
/// Fixed decimals, "-0.000" written as "0.000".
std::string fixed(double value, int decimals);
/// Text cut to `max_chars` code points with "…", for labels.
std::string shorten(std::string_view text, std::size_t max_chars);

}  // namespace forensics::report
