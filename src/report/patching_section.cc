// report: activation patching as heatmaps — per direction, the sites stacked, layers × token
// positions; aggregated by transcript segment when the positions are too many for one element
// per cell, with the full map as an image behind a summary.
#include <algorithm>
#include <cmath>

#include "forensics/report/svg.h"
#include "verdict_sections.h"

namespace forensics::report::detail {
namespace {

// Above these the page would grow past a few MB and the cells past a readable width: the map is
// drawn by segment, and the full map as one pixel per cell.
constexpr std::size_t kMaxPositionsPerCell = 256;
constexpr std::size_t kMaxCellsPerFigure = 12000;

struct PatchLayout {
  std::vector<std::string> tokens;
  std::vector<std::size_t> segment_of;  // per position
  std::vector<bool> edited;
  std::vector<std::pair<std::string, std::pair<std::size_t, std::size_t>>> segments;  // text, [begin, end)
  std::vector<std::string> segment_kinds;
};

/// A token as a label: line breaks and tabs made visible.
std::string token_label(std::string token) {
  std::string out;
  for (const char c : token) {
    if (c == '\n') {
      out += "\u21b5";
    } else if (c == '\t') {
      out += "\u2192";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

PatchLayout read_layout(const Json& results) {
  PatchLayout layout;
  for (const auto& position : results.value("positions", Json::array())) {
    layout.tokens.push_back(token_label(text_of(position, "token")));
    layout.segment_of.push_back(position.value("segment", std::size_t{0}));
  }
  std::vector<bool> edit_segment;
  for (const auto& segment : results.value("segments", Json::array())) {
    const Json range = segment.value("positions", Json::array({0, 0}));
    const std::size_t begin = std::min(range.at(0).get<std::size_t>(), layout.tokens.size());
    const std::size_t end = std::clamp(range.at(1).get<std::size_t>(), begin, layout.tokens.size());
    layout.segments.push_back({text_of(segment, "text"), {begin, end}});
    layout.segment_kinds.push_back(text_of(segment, "kind"));
    edit_segment.push_back(text_of(segment, "kind") == "edit");
  }
  for (const std::size_t s : layout.segment_of) layout.edited.push_back(s < edit_segment.size() && edit_segment[s]);
  return layout;
}

std::vector<std::vector<double>> read_map(const Json& map) {
  std::vector<std::vector<double>> out;
  for (const auto& layer : map) {
    std::vector<double> row;
    row.reserve(layer.size());
    for (const auto& value : layer) row.push_back(value.is_number() ? value.get<double>() : 0);
    out.push_back(std::move(row));
  }
  return out;
}

/// Per layer and segment, the value of largest |effect| over the segment's positions.
std::vector<std::vector<double>> by_segment(const std::vector<std::vector<double>>& map, const PatchLayout& layout) {
  std::vector<std::vector<double>> out;
  for (const auto& row : map) {
    std::vector<double> aggregated;
    for (const auto& [text, range] : layout.segments) {
      double strongest = 0;
      for (std::size_t p = range.first; p < range.second && p < row.size(); ++p) {
        if (std::abs(row[p]) > std::abs(strongest)) strongest = row[p];
      }
      aggregated.push_back(strongest);
    }
    out.push_back(std::move(aggregated));
  }
  return out;
}

/// A column of a drawn map: a token position, or a run of positions folded into one column.
struct MapColumn {
  std::size_t position = 0;
  std::size_t folded = 0;  // > 0: this many positions, from `position` on, every cell exactly 0
};

std::vector<MapColumn> every_position(const PatchLayout& layout) {
  std::vector<MapColumn> out;
  for (std::size_t p = 0; p < layout.tokens.size(); ++p) out.push_back({p, 0});
  return out;
}

/// Positions where some cell of some map is not exactly 0, or that were edited; each run of the
/// others folded into one column. Cells before the first edited token are never run (their two
/// activations are equal), so a long prompt is mostly such a run.
std::vector<MapColumn> informative_columns(const Json& maps, const PatchLayout& layout) {
  std::vector<bool> keep = layout.edited;
  keep.resize(layout.tokens.size(), false);
  for (const auto& [direction, per_site] : maps.items()) {
    for (const auto& [site, map] : per_site.items()) {
      for (const auto& layer : map) {
        for (std::size_t p = 0; p < layer.size() && p < keep.size(); ++p) {
          if (layer[p].is_number() && layer[p].get<double>() != 0) keep[p] = true;
        }
      }
    }
  }
  std::vector<MapColumn> out;
  for (std::size_t p = 0; p < keep.size(); ++p) {
    if (keep[p]) {
      out.push_back({p, 0});
    } else if (!out.empty() && out.back().folded > 0) {
      ++out.back().folded;
    } else {
      out.push_back({p, 1});
    }
  }
  return out;
}

HeatmapData per_position(const Json& per_site, const PatchLayout& layout, const std::vector<MapColumn>& columns) {
  HeatmapData data;
  for (const auto& [site, map] : per_site.items()) {
    data.sites.push_back(site);
    std::vector<std::vector<double>> rows;
    for (const auto& row : read_map(map)) {
      std::vector<double> drawn;
      for (const auto& column : columns)
        drawn.push_back(column.folded == 0 && column.position < row.size() ? row[column.position] : 0);
      rows.push_back(std::move(drawn));
    }
    data.values.push_back(std::move(rows));
  }
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const auto& column = columns[c];
    if (column.folded > 0) {
      data.column_labels.push_back("\u22ef");
      data.column_tooltips.push_back(std::to_string(column.folded) + " positions (" + std::to_string(column.position) +
                                     "-" + std::to_string(column.position + column.folded - 1) +
                                     ") where every cell is 0, folded into this column");
      data.edited.push_back(false);
      continue;
    }
    const std::size_t p = column.position;
    const std::size_t s = layout.segment_of[p];
    data.column_labels.push_back(layout.tokens[p]);
    data.column_tooltips.push_back("position " + std::to_string(p) + " \"" + layout.tokens[p] + "\"" +
                                   (s < layout.segment_kinds.size() ? " (" + layout.segment_kinds[s] + ")" : ""));
    data.edited.push_back(layout.edited[p]);
    // The column extends its segment's bracket (segments are consecutive runs of positions).
    if (s < layout.segments.size()) {
      auto group = std::find_if(data.groups.begin(), data.groups.end(), [&](const auto& g) {
        return g.first == layout.segments[s].first && g.second.second == c;
      });
      if (group != data.groups.end()) {
        group->second.second = c + 1;
      } else {
        data.groups.push_back({layout.segments[s].first, {c, c + 1}});
      }
    }
  }
  return data;
}

HeatmapData per_segment(const HeatmapData& full, const PatchLayout& layout) {
  HeatmapData data;
  data.sites = full.sites;
  for (const auto& map : full.values) data.values.push_back(by_segment(map, layout));
  for (std::size_t s = 0; s < layout.segments.size(); ++s) {
    const auto& [text, range] = layout.segments[s];
    data.column_labels.push_back(text);
    data.column_tooltips.push_back("segment " + std::to_string(s) + " (" + layout.segment_kinds[s] + ", positions " +
                                   std::to_string(range.first) + "-" + std::to_string(range.second) + "): " + text);
    data.edited.push_back(layout.segment_kinds[s] == "edit");
  }
  return data;
}

double largest_magnitude(const HeatmapData& data) {
  double out = 0;
  for (const auto& map : data.values) {
    for (const auto& row : map) {
      for (const double value : row) out = std::max(out, std::abs(value));
    }
  }
  return out > 0 ? out : 1;
}

std::string direction_caption(const std::string& direction) {
  return direction == "denoising"
             ? "Denoising (the corrupted run with one clean activation written in: is it sufficient to restore the "
               "action?)"
             : "Noising (the clean run with one corrupted activation written in: is it necessary for the action?)";
}

Text location_text(const std::string& site, const Json& cell, const PatchLayout& layout) {
  const std::size_t position = cell.value("position", std::size_t{0});
  const std::string token = position < layout.tokens.size() ? layout.tokens[position] : "?";
  return {{site, Tone::kCode},
          {": " + signed_fixed(cell.value("effect", 0.0), 3) + " at layer " + std::to_string(cell.value("layer", 0)) +
           ", position " + std::to_string(position) + " (\"" + token + "\"), " + text_of(cell, "direction") +
           (cell.value("on_edit", false) ? ", on the edited tokens" : ", not on the edited tokens")}};
}

}  // namespace

Section patching_section(const Json& verdict) {
  Section section{"patching", "Activation patching", {}};
  std::string why;
  const Json* results = probe_results(verdict, "patch", why);
  if (results == nullptr) {
    section.blocks.push_back(muted("Not run: " + why + "."));
    return section;
  }
  section.blocks.push_back(plain(
      "Counterfactual " + text_of(*results, "intervention", "?") + " (method " + text_of(*results, "method", "?") +
      ", metric " + text_of(*results, "metric", "?") + "): clean " + fixed(results->value("clean_metric", 0.0), 3) +
      ", corrupted " + fixed(results->value("corrupted_metric", 0.0), 3) +
      ". Effects are normalized: 1 (or \u22121 when noising) is the whole gap between the two runs."));
  for (const auto& caveat : results->value("caveats", Json::array())) {
    section.blocks.push_back(
        Paragraph{{{"Caveat: ", Tone::kWarning}, {caveat.is_string() ? caveat.get<std::string>() : caveat.dump()}}});
  }
  const Json maps = results->value("maps", Json(nullptr));
  if (!maps.is_object()) {
    section.blocks.push_back(muted("No map: " + text_of(*results, "reason", "the probe recorded none") + "."));
    return section;
  }
  const PatchLayout layout = read_layout(*results);
  BulletList early;
  const Json largest_early = results->value("largest_early_effect", Json::object());
  for (const auto& [site, cell] : largest_early.items()) {
    early.items.push_back(location_text(site, cell, layout));
  }
  if (!early.items.empty()) {
    section.blocks.push_back(Paragraph{{{"Largest early-layer effect per site", Tone::kStrong}}});
    section.blocks.push_back(early);
  }
  const std::vector<MapColumn> columns = informative_columns(maps, layout);
  for (const auto& [direction, per_site] : maps.items()) {
    HeatmapData drawn = per_position(per_site, layout, columns);
    drawn.limit = largest_magnitude(drawn);
    const std::size_t layers = drawn.values.empty() ? 0 : drawn.values.front().size();
    const std::size_t cells = columns.size() * layers * drawn.sites.size();
    const std::string scale = "full colour at |effect| " + fixed(drawn.limit, 2) + ".";
    if (columns.size() <= kMaxPositionsPerCell && cells <= kMaxCellsPerFigure) {
      section.blocks.push_back(
          heatmap(drawn, "patch-" + direction,
                  direction_caption(direction) +
                      "; sites stacked, layers down, token positions "
                      "across (\u22ef: positions where every cell is 0, folded); edited tokens marked "
                      "in amber; " +
                      scale));
      continue;
    }
    const HeatmapData full = per_position(per_site, layout, every_position(layout));
    HeatmapData segments = per_segment(full, layout);
    segments.limit = drawn.limit;
    section.blocks.push_back(heatmap(segments, "patch-" + direction + "-segments",
                                     direction_caption(direction) + ", by transcript segment (" +
                                         std::to_string(full.column_labels.size()) +
                                         " positions are too many to draw one by one): each cell is the largest "
                                         "|effect| among the segment's positions; " +
                                         scale));
    HeatmapData full_scaled = full;
    full_scaled.limit = drawn.limit;
    section.blocks.push_back(pixel_heatmap(full_scaled, "patch-" + direction + "-full",
                                           "Full map, " + direction + ": " +
                                               std::to_string(full.column_labels.size() * layers * full.sites.size()) +
                                               " cells, one pixel each"));
  }
  return section;
}

}  // namespace forensics::report::detail
