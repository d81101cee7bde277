// probes: alignment, position map, cost model, cell choice and normalized effects of `patch`
// (docs/probes.md).
#include "forensics/probes/patch_map.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string_view>

#include "forensics/util/text.h"

namespace forensics::probes {

runtime::HookSite hook_site(PatchSite site) {
  switch (site) {
    case PatchSite::kResidPre: return runtime::HookSite::kResidPre;
    case PatchSite::kAttnOut: return runtime::HookSite::kAttnOut;
    case PatchSite::kMlpOut: return runtime::HookSite::kMlpOut;
  }
  return runtime::HookSite::kResidPre;
}

Alignment align(const std::vector<std::int64_t>& clean, const std::vector<std::int64_t>& corrupted) {
  Alignment out;
  const auto clean_size = static_cast<std::int64_t>(clean.size());
  const auto corrupted_size = static_cast<std::int64_t>(corrupted.size());
  const std::int64_t shorter = std::min(clean_size, corrupted_size);
  while (out.shared_prefix < shorter && clean[out.shared_prefix] == corrupted[out.shared_prefix]) ++out.shared_prefix;
  while (out.shared_suffix < shorter - out.shared_prefix &&
         clean[clean_size - 1 - out.shared_suffix] == corrupted[corrupted_size - 1 - out.shared_suffix]) {
    ++out.shared_suffix;
  }
  out.equal_length = clean_size == corrupted_size;
  if (out.equal_length) {
    for (std::int64_t p = 0; p < clean_size; ++p) out.pairs.emplace_back(p, p);
  } else {
    for (std::int64_t p = 0; p < out.shared_prefix; ++p) out.pairs.emplace_back(p, p);
    for (std::int64_t i = out.shared_suffix; i > 0; --i) out.pairs.emplace_back(clean_size - i, corrupted_size - i);
  }
  return out;
}

void PositionMap::add(MapPosition position, PlaceKind kind, std::optional<std::size_t> message,
                      incident::TextSpan bytes) {
  const auto index = static_cast<std::int64_t>(positions.size());
  if (segments.empty() || segments.back().kind != kind || segments.back().message != message ||
      segments.back().end != index) {
    segments.push_back({kind, message, index, index, {bytes.begin, bytes.begin}});
  }
  segments.back().end = index + 1;
  segments.back().bytes.end = std::max(segments.back().bytes.end, bytes.end);
  position.segment = segments.size() - 1;
  positions.push_back(std::move(position));
}

namespace {

/// What kind of place clean prompt byte `offset` is: before the first message, in message m, or
/// in the generation prompt after the last one.
std::pair<PlaceKind, std::optional<std::size_t>> place_of(const incident::RenderedTranscript& prompt,
                                                          std::size_t offset) {
  for (std::size_t m = 0; m < prompt.messages.size(); ++m) {
    if (offset < prompt.messages[m].message.end) {
      if (offset < prompt.messages[m].message.begin) return {PlaceKind::kBegin, std::nullopt};
      return {PlaceKind::kMessage, m};
    }
  }
  return {PlaceKind::kGenerationPrompt, std::nullopt};
}

std::string token_text(std::string_view text, std::size_t begin, std::size_t end) {
  return util::valid_utf8(text.substr(begin, end - begin));
}

}  // namespace

PositionMap prompt_positions(const incident::RenderedTranscript& clean_prompt,
                             const std::vector<std::pair<std::size_t, std::size_t>>& offsets,
                             const Alignment& alignment) {
  PositionMap map;
  const std::int64_t edit_begin = alignment.shared_prefix;
  const std::int64_t edit_end = static_cast<std::int64_t>(offsets.size()) - alignment.shared_suffix;
  for (const auto& [clean, corrupted] : alignment.pairs) {
    const auto [begin, end] = offsets[static_cast<std::size_t>(clean)];
    auto [kind, message] = place_of(clean_prompt, begin);
    if (clean >= edit_begin && clean < edit_end) kind = PlaceKind::kEdit;
    MapPosition position;
    position.clean = clean;
    position.corrupted = corrupted;
    position.token = token_text(clean_prompt.text, begin, end);
    map.add(std::move(position), kind, message, {begin, end});
  }
  return map;
}

void add_turn_positions(PositionMap& map, const std::string& turn_text,
                        const std::vector<std::pair<std::size_t, std::size_t>>& turn_offsets, std::int64_t count) {
  for (std::int64_t j = 0; j < count; ++j) {
    const auto [begin, end] = j < static_cast<std::int64_t>(turn_offsets.size())
                                  ? turn_offsets[static_cast<std::size_t>(j)]
                                  : std::pair{turn_text.size(), turn_text.size()};
    MapPosition position;
    position.turn_token = j;
    position.token = token_text(turn_text, begin, end);
    map.add(std::move(position), PlaceKind::kTurn, std::nullopt, {begin, end});
  }
}

double exact_cost_flops(std::int64_t parameter_count, std::int64_t n_layers, const runtime::PatchingInput& input,
                        const Alignment& alignment) {
  std::int64_t width = 0;
  for (const auto& continuation : input.continuations) {
    width = std::max<std::int64_t>(width, static_cast<std::int64_t>(continuation.size()));
  }
  const auto rows = static_cast<double>(input.continuations.size());
  const auto prompt = static_cast<double>(input.clean_prompt.size());
  double tokens = 0;
  for (const auto& pair : alignment.pairs) {
    if (pair.first < alignment.shared_prefix) continue;  // identical activations: not run
    tokens += prompt - static_cast<double>(pair.first) + rows * static_cast<double>(width);
  }
  for (std::int64_t j = 0; j + 1 < width; ++j) tokens += rows * static_cast<double>(width - j);
  // Layer l's cell runs n_layers - l of the n_layers layers: summed over l, (n_layers + 1) / 2 passes.
  const double cells_per_position = static_cast<double>(input.sites.size()) * static_cast<double>(n_layers + 1) / 2.0;
  const double directions = (input.denoising ? 1.0 : 0.0) + (input.noising ? 1.0 : 0.0);
  return 2.0 * static_cast<double>(parameter_count) * tokens * cells_per_position * directions;
}

std::vector<runtime::PatchingCell> top_cells(const runtime::PatchingResult& estimates, std::size_t per_direction) {
  std::set<runtime::PatchingCell> chosen;
  for (const auto* grid : {&estimates.denoising, &estimates.noising}) {
    if (!*grid) continue;
    const double unpatched = grid == &estimates.denoising ? estimates.corrupted_metric : estimates.clean_metric;
    std::vector<std::pair<double, runtime::PatchingCell>> ranked;
    for (std::int64_t s = 0; s < (*grid)->sites; ++s) {
      for (std::int64_t l = 0; l < (*grid)->layers; ++l) {
        for (std::int64_t p = 0; p < (*grid)->positions; ++p) {
          const std::size_t at = (*grid)->index(s, l, p);
          if (!(*grid)->identical[at]) ranked.push_back({std::abs((*grid)->metric[at] - unpatched), {s, l, p}});
        }
      }
    }
    const std::size_t keep = std::min(per_direction, ranked.size());
    std::partial_sort(
        ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
        [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (std::size_t i = 0; i < keep; ++i) chosen.insert(ranked[i].second);
  }
  return {chosen.begin(), chosen.end()};
}

void adopt_exact_cells(runtime::PatchingResult& estimates, const runtime::PatchingResult& exact,
                       const std::vector<runtime::PatchingCell>& cells) {
  for (auto [estimate_grid, exact_grid] :
       {std::pair{&estimates.denoising, &exact.denoising}, std::pair{&estimates.noising, &exact.noising}}) {
    if (!*estimate_grid || !*exact_grid) continue;
    for (const auto& cell : cells) {
      const std::size_t at = (*estimate_grid)->index(cell.site, cell.layer, cell.position);
      (*estimate_grid)->metric[at] = (*exact_grid)->metric[at];
      (*estimate_grid)->identical[at] = (*exact_grid)->identical[at];
    }
  }
}

std::vector<SiteEffects> normalized_effects(const runtime::PatchingGrid& grid, double unpatched, double gap,
                                            std::int64_t early_layers) {
  std::vector<SiteEffects> out;
  for (std::int64_t s = 0; s < grid.sites; ++s) {
    SiteEffects site;
    for (std::int64_t l = 0; l < grid.layers; ++l) {
      std::vector<double> row;
      EffectCell best{0, l, 0};
      for (std::int64_t p = 0; p < grid.positions; ++p) {
        const std::size_t at = grid.index(s, l, p);
        const double effect = grid.identical[at] ? 0.0 : (grid.metric[at] - unpatched) / gap;
        row.push_back(effect);
        if (std::abs(effect) > std::abs(best.effect)) best = {effect, l, p};
      }
      site.effects.push_back(std::move(row));
      site.strongest.push_back(best);
      if (l < early_layers && std::abs(best.effect) > std::abs(site.early.effect)) site.early = best;
    }
    out.push_back(std::move(site));
  }
  return out;
}

double rounded_effect(double effect) { return std::round(effect * 1e4) / 1e4; }

std::int64_t early_layer_count(std::int64_t n_layers) { return std::max<std::int64_t>(1, (n_layers + 3) / 4); }

}  // namespace forensics::probes
