// report: activation-patching maps as heatmaps — one SVG cell per (layer, column) when they fit,
// one pixel per cell in an embedded PNG when a map is too large for that.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>

#include <zlib.h>

#include "forensics/report/figures.h"
#include "forensics/report/svg.h"
#include "forensics/util/error.h"

namespace forensics::report {
namespace {

constexpr double kLeft = 118;    // site and layer labels
constexpr double kTop = 34;      // the legend
constexpr double kSiteGap = 10;  // between the sites' blocks
constexpr double kPlotWidth = 940;

std::size_t layer_count(const HeatmapData& data) { return data.values.empty() ? 0 : data.values.front().size(); }
std::size_t column_count(const HeatmapData& data) { return data.column_labels.size(); }

double cell_height(const HeatmapData& data) {
  return std::clamp(320.0 / static_cast<double>(std::max<std::size_t>(1, layer_count(data) * data.sites.size())), 3.0,
                    16.0);
}

/// The colour legend: −limit (blue) … 0 (white) … +limit (red).
void legend(SvgBuilder& svg, double limit) {
  constexpr int kSteps = 21;
  constexpr double kWidth = 210;
  for (int i = 0; i < kSteps; ++i) {
    const double value = limit * (2.0 * i / (kSteps - 1) - 1);
    svg.rect(kLeft + kWidth * i / kSteps, 8, kWidth / kSteps + 0.5, 12, diverging_colour(value, limit));
  }
  svg.text(kLeft - 6, 18, signed_fixed(-limit, 2), Anchor::kEnd, 11);
  svg.text(kLeft + kWidth + 6, 18,
           signed_fixed(limit, 2) + "   normalized effect (1 = the whole clean\u2013corrupted gap)", Anchor::kStart,
           11);
}

/// Site names and layer numbers on the left; returns the y where the column axis starts.
double row_labels(SvgBuilder& svg, const HeatmapData& data) {
  const double row = cell_height(data);
  const std::size_t layers = layer_count(data);
  double y = kTop;
  const std::size_t label_every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(11 / row)));
  for (const auto& site : data.sites) {
    svg.text(8, y + row * static_cast<double>(layers) / 2 + 4, site, Anchor::kStart, 12, "currentColor", true);
    for (std::size_t layer = 0; layer < layers; layer += label_every) {
      svg.text(kLeft - 6, y + row * (static_cast<double>(layer) + 0.5) + 3.5, "L" + std::to_string(layer), Anchor::kEnd,
               std::min(10.0, row + 1));
    }
    y += row * static_cast<double>(layers) + kSiteGap;
  }
  return y - kSiteGap;
}

/// Under the maps: each token when they are few, else brackets for the groups; edited columns
/// marked with a bar. Returns the figure's height.
double column_axis(SvgBuilder& svg, const HeatmapData& data, double y, double column_width) {
  const std::size_t columns = column_count(data);
  for (std::size_t c = 0; c < columns; ++c) {
    if (c < data.edited.size() && data.edited[c]) {
      svg.rect(kLeft + column_width * static_cast<double>(c), y + 2, column_width, 5, "#bf8700",
               "edited by the counterfactual: " + data.column_tooltips[c]);
    }
  }
  if (column_width >= 7) {
    for (std::size_t c = 0; c < columns; ++c) {
      svg.slanted_text(kLeft + column_width * (static_cast<double>(c) + 0.6), y + 14,
                       shorten(data.column_labels[c], 18), std::min(10.0, column_width + 1),
                       c < data.edited.size() && data.edited[c] ? "#bf8700" : "currentColor");
    }
    return y + 120;
  }
  double label_y = y + 22;
  for (std::size_t g = 0; g < data.groups.size(); ++g) {
    const auto& [label, range] = data.groups[g];
    const double from = kLeft + column_width * static_cast<double>(range.first);
    const double to = kLeft + column_width * static_cast<double>(range.second);
    const double tick_y = y + 10 + (g % 2) * 14;
    svg.line(from + 0.5, tick_y, to - 0.5, tick_y, "#8c959f", 1.5);
    if (to - from >= 24)
      svg.text((from + to) / 2, tick_y + 11, shorten(label, static_cast<std::size_t>((to - from) / 6.5)),
               Anchor::kMiddle, 9.5, "currentColor", false, label);
    label_y = std::max(label_y, tick_y + 14);
  }
  return label_y + 8;
}

/// `value` as four big-endian bytes, as PNG writes every integer.
void append_u32(std::string& out, std::uint32_t value) {
  for (const int shift : {24, 16, 8, 0}) out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

void append_chunk(std::string& png, const char* type, const std::string& data) {
  append_u32(png, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  png += body;
  append_u32(png, static_cast<std::uint32_t>(
                      crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
}

/// An 8-bit RGB PNG of `pixels` (row-major, 3 bytes each).
std::string png_rgb(std::size_t width, std::size_t height, const std::string& pixels) {
  std::string raw;
  raw.reserve((width * 3 + 1) * height);
  for (std::size_t row = 0; row < height; ++row) {
    raw.push_back('\0');  // filter type 0
    raw.append(pixels, row * width * 3, width * 3);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::string compressed(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(compressed.data()), &size, reinterpret_cast<const Bytef*>(raw.data()),
                static_cast<uLong>(raw.size()), 9) != Z_OK) {
    throw InputError("report: could not compress a heatmap image");
  }
  compressed.resize(size);
  std::string header;
  append_u32(header, static_cast<std::uint32_t>(width));
  append_u32(header, static_cast<std::uint32_t>(height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, no filter choice, no interlace
  std::string png = "\x89PNG\r\n\x1a\n";
  append_chunk(png, "IHDR", header);
  append_chunk(png, "IDAT", compressed);
  append_chunk(png, "IEND", "");
  return png;
}

std::string base64(const std::string& bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t chunk = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (i + 1 < bytes.size() ? static_cast<unsigned char>(bytes[i + 1]) << 8 : 0) |
                                (i + 2 < bytes.size() ? static_cast<unsigned char>(bytes[i + 2]) : 0);
    out += kAlphabet[(chunk >> 18) & 63];
    out += kAlphabet[(chunk >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? kAlphabet[chunk & 63] : '=';
  }
  return out;
}

unsigned hex_byte(const std::string& colour, std::size_t at) {
  return static_cast<unsigned>(std::stoul(colour.substr(at, 2), nullptr, 16));
}

/// The parts every map figure shares: the legend, the site and layer labels, one block per site
/// (drawn by `draw_block(site, top, height)`, then framed) and the column axis. Returns the
/// figure's height.
double draw_map(SvgBuilder& svg, const HeatmapData& data,
                const std::function<void(std::size_t site, double top, double height)>& draw_block) {
  const double row = cell_height(data);
  legend(svg, data.limit);
  const double bottom = row_labels(svg, data);
  double y = kTop;
  for (std::size_t s = 0; s < data.sites.size(); ++s) {
    const double height = row * static_cast<double>(data.values[s].size());
    draw_block(s, y, height);
    svg.frame(kLeft, y, kPlotWidth, height);
    y += height + kSiteGap;
  }
  return column_axis(svg, data, bottom, kPlotWidth / static_cast<double>(std::max<std::size_t>(1, column_count(data))));
}

}  // namespace

Figure heatmap(const HeatmapData& data, const std::string& name, const std::string& caption, bool on_demand) {
  const double column_width = kPlotWidth / static_cast<double>(std::max<std::size_t>(1, column_count(data)));
  const double row = cell_height(data);
  SvgBuilder svg;
  const double height = draw_map(svg, data, [&](std::size_t s, double top, double block_height) {
    svg.rect(kLeft, top, kPlotWidth, block_height, "#ffffff");
    const auto& map = data.values[s];
    for (std::size_t layer = 0; layer < map.size(); ++layer) {
      for (std::size_t c = 0; c < map[layer].size() && c < column_count(data); ++c) {
        const double value = map[layer][c];
        if (value == 0) continue;  // white, as the background drawn above: most cells of a map are 0
        svg.rect(kLeft + column_width * static_cast<double>(c), top + row * static_cast<double>(layer),
                 column_width + 0.3, row + 0.3, diverging_colour(value, data.limit),
                 data.sites[s] + ", layer " + std::to_string(layer) + ", " + data.column_tooltips[c] + ": " +
                     signed_fixed(value, 4));
      }
    }
  });
  return svg.figure(name, kLeft + kPlotWidth + 12, height, caption, on_demand);
}

Figure pixel_heatmap(const HeatmapData& data, const std::string& name, const std::string& caption) {
  const std::size_t columns = std::max<std::size_t>(1, column_count(data));
  const std::size_t layers = layer_count(data);
  SvgBuilder svg;
  const double height = draw_map(svg, data, [&](std::size_t s, double top, double block_height) {
    std::string pixels;
    pixels.reserve(columns * layers * 3);
    for (std::size_t layer = 0; layer < layers; ++layer) {
      for (std::size_t c = 0; c < columns; ++c) {
        const double value = c < data.values[s][layer].size() ? data.values[s][layer][c] : 0;
        const std::string colour = diverging_colour(value, data.limit);
        for (const std::size_t at : {1, 3, 5}) pixels.push_back(static_cast<char>(hex_byte(colour, at)));
      }
    }
    svg.pixel_image(kLeft, top, kPlotWidth, block_height,
                    "data:image/png;base64," + base64(png_rgb(columns, layers, pixels)));
  });
  return svg.figure(name, kLeft + kPlotWidth + 12, height, caption, true);
}

}  // namespace forensics::report
