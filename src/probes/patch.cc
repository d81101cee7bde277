// probes: `patch` (DESIGN §4, REFERENCE §5): activation patching between the incident (the clean
// run) and the counterfactual one intervention makes of it (the corrupted run), both followed by
// the action's turn as the model wrote it. For every site x layer x position, denoising (clean
// activation into the corrupted run: is it sufficient?) and noising (corrupted into clean: is it
// necessary?), with the normalized effect on log P(action turn) - log P(alternative turn). Tells
// where in the context, and at which depth, the information that drives the action sits.
// Deterministic and descriptive, like `ablate`: no samples, no evidence for the verdict.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <string>
#include <vector>

#include "forensics/probes/probe.h"
#include "forensics/runtime/patching.h"
#include "forensics/util/error.h"
#include "forensics/util/text.h"

namespace forensics::probes {

namespace {

using incident::PatchDirection;
using incident::PatchSite;

// Below this clean - corrupted gap (nats) a normalized effect would divide by rounding noise: the
// counterfactual does not move the action, and there is nothing to localize.
constexpr double kMinimumGap = 0.1;

runtime::HookSite hook_site(PatchSite site) {
  switch (site) {
    case PatchSite::kResidPre: return runtime::HookSite::kResidPre;
    case PatchSite::kAttnOut: return runtime::HookSite::kAttnOut;
    case PatchSite::kMlpOut: return runtime::HookSite::kMlpOut;
  }
  return runtime::HookSite::kResidPre;
}

double rounded(double value) { return std::round(value * 1e4) / 1e4; }

// How the two prompts' token positions correspond.
struct Alignment {
  bool equal_length = false;
  std::int64_t shared_prefix = 0;  // tokens equal from the start
  std::int64_t shared_suffix = 0;  // tokens equal from the end (not overlapping the prefix)
  // The positions patched: (clean, corrupted). Equal lengths: every position. Otherwise the shared
  // prefix and the shared suffix aligned from the end; the edited middle has no counterpart.
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
};

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

// A run of consecutive map positions with the same place in the transcript.
struct PositionSegment {
  std::string kind;  // "begin", "message", "edit", "generation-prompt", "turn"
  std::optional<std::size_t> message;
  std::int64_t first = 0;  // map positions [first, end)
  std::int64_t end = 0;
  incident::TextSpan bytes;  // in the clean prompt, or in the action's turn for "turn"
};

struct MapPosition {
  std::int64_t clean = -1;      // prompt position in the clean run, -1 for a turn token
  std::int64_t corrupted = -1;  // prompt position in the corrupted run
  std::int64_t turn_token = -1; // token of the action's turn
  std::size_t segment = 0;
  std::string token;
};

// What kind of place clean prompt byte `offset` is: before the first message, in message m, or in
// the generation prompt after the last one.
std::pair<std::string, std::optional<std::size_t>> place_of(const incident::RenderedTranscript& prompt,
                                                             std::size_t offset) {
  for (std::size_t m = 0; m < prompt.messages.size(); ++m) {
    if (offset < prompt.messages[m].message.end) {
      if (offset < prompt.messages[m].message.begin) return {"begin", std::nullopt};
      return {"message", m};
    }
  }
  return {"generation-prompt", std::nullopt};
}

struct EffectCell {
  double effect = 0;
  std::int64_t layer = 0;
  std::int64_t position = 0;
};

Json cell_json(const EffectCell& cell, const std::vector<MapPosition>& positions) {
  return Json{{"effect", rounded(cell.effect)}, {"layer", cell.layer}, {"position", cell.position},
              {"segment", positions[static_cast<std::size_t>(cell.position)].segment}};
}

// Auto switches to attribution above this many floating-point operations for the exact map
// (about a minute on one core of the development machine; the organisms' maps cost 1.5e11-8e11).
constexpr double kExactBudgetFlops = 5e12;
// Attribution estimates confirmed by exact patching, per direction.
constexpr std::size_t kConfirmedCells = 16;

// What exact patching costs: 2 x parameters per token recomputed, over every cell. A cell at
// prompt position p recomputes the prompt from p once and every continuation; a cell at
// continuation token j recomputes every continuation from j.
double exact_cost_flops(const runtime::Model& model, const runtime::PatchingInput& input, const Alignment& alignment) {
  std::int64_t width = 0;
  for (const auto& continuation : input.continuations) width = std::max<std::int64_t>(width, static_cast<std::int64_t>(continuation.size()));
  const auto rows = static_cast<double>(input.continuations.size());
  const auto prompt = static_cast<double>(input.clean_prompt.size());
  double tokens = 0;
  for (const auto& pair : alignment.pairs) {
    if (pair.first < alignment.shared_prefix) continue;  // identical activations: not run
    tokens += prompt - static_cast<double>(pair.first) + rows * static_cast<double>(width);
  }
  for (std::int64_t j = 0; j + 1 < width; ++j) tokens += rows * static_cast<double>(width - j);
  const double cells_per_position = static_cast<double>(input.sites.size() * static_cast<std::size_t>(model.config().n_layers));
  const double directions = (input.denoising ? 1.0 : 0.0) + (input.noising ? 1.0 : 0.0);
  return 2.0 * static_cast<double>(model.parameter_count()) * tokens * cells_per_position * directions;
}

// The cells with the largest |estimate| of each direction (not the identical ones), to patch exactly.
std::vector<runtime::PatchingCell> top_cells(const runtime::PatchingResult& estimates) {
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
    const std::size_t keep = std::min(kConfirmedCells, ranked.size());
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(keep), ranked.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (std::size_t i = 0; i < keep; ++i) chosen.insert(ranked[i].second);
  }
  return {chosen.begin(), chosen.end()};
}

// Each confirmed cell of each direction: the attribution estimate and the exact effect, normalized.
Json confirmation_rows(const runtime::PatchingResult& estimates, const runtime::PatchingResult& exact,
                       const std::vector<runtime::PatchingCell>& cells, double gap) {
  Json rows = Json::array();
  for (const auto& [name, estimate_grid, exact_grid] :
       {std::tuple{"denoising", &estimates.denoising, &exact.denoising}, std::tuple{"noising", &estimates.noising, &exact.noising}}) {
    if (!*estimate_grid || !*exact_grid) continue;
    const double unpatched = std::string(name) == "denoising" ? estimates.corrupted_metric : estimates.clean_metric;
    for (const auto& cell : cells) {
      const std::size_t at = (*estimate_grid)->index(cell.site, cell.layer, cell.position);
      rows.push_back(Json{{"direction", name}, {"site", cell.site}, {"layer", cell.layer}, {"position", cell.position},
                          {"estimate", rounded(((*estimate_grid)->metric[at] - unpatched) / gap)},
                          {"exact", rounded((*exact_grid)->identical[at] ? 0.0 : ((*exact_grid)->metric[at] - unpatched) / gap)}});
    }
  }
  return rows;
}

}  // namespace

void run_patch(const ProbeContext& context, const ProbeBudget& /*budget: patching draws no samples*/,
               ProbeOutput& output) {
  if (!context.config.patch) {
    throw InputError("patch needs a counterfactual: set probes.patch.intervention in the incident "
                     "(an intervention id; one that replaces the cue by neutral text of the same "
                     "token length gives a full position map)");
  }
  const auto& options = *context.config.patch;
  const auto& incident = context.incident;
  const auto found = std::find_if(incident.interventions.begin(), incident.interventions.end(),
                                  [&](const auto& intervention) { return intervention.id == options.intervention; });
  if (found == incident.interventions.end()) {
    throw InputError("patch: no intervention has id \"" + options.intervention + "\"");
  }
  const auto chat_template = incident.format.chat_template;
  const auto clean_prompt = incident::render_prompt(incident.transcript, incident.action.message, chat_template);
  const auto edited = incident::apply_edits(incident.transcript, incident.action.message, found->edits);
  const auto corrupted_prompt = incident::render_prompt(edited.transcript, edited.action_message, chat_template);
  const auto clean_encoding = context.tokenizer.encode(clean_prompt.text, /*add_special_tokens=*/false);
  const auto turn_encoding = context.tokenizer.encode(context.action_turn.text, /*add_special_tokens=*/false);
  const std::vector<std::int64_t> clean_ids(clean_encoding.ids.begin(), clean_encoding.ids.end());
  const std::vector<std::int64_t> corrupted_ids = encode(context, corrupted_prompt.text);
  if (clean_ids.empty() || corrupted_ids.empty()) throw InputError("the prompt before the action tokenizes to nothing");
  if (clean_ids == corrupted_ids) {
    throw InputError("patch: intervention \"" + options.intervention + "\" leaves the prompt's tokens unchanged");
  }
  const Alignment alignment = align(clean_ids, corrupted_ids);

  runtime::PatchingInput input;
  input.clean_prompt = clean_ids;
  input.corrupted_prompt = corrupted_ids;
  input.continuations.push_back({turn_encoding.ids.begin(), turn_encoding.ids.end()});
  input.weights.push_back(1.0);
  const auto alternative = alternative_turn(context);
  const incident::PatchMetric metric = options.metric.value_or(
      alternative ? incident::PatchMetric::kLogprobDifference : incident::PatchMetric::kActionLogprob);
  if (metric == incident::PatchMetric::kLogprobDifference) {
    if (!alternative) {
      throw InputError("patch: metric \"logprob-difference\" needs an alternative turn (action.alternative, "
                       "found in the action's turn)");
    }
    input.continuations.push_back(encode(context, *alternative));
    input.weights.push_back(-1.0);
  }
  if (input.continuations[0].empty()) throw InputError("the action's turn tokenizes to nothing");
  for (const auto site : options.sites) input.sites.push_back(hook_site(site));
  input.prompt_positions = alignment.pairs;
  input.denoising = options.direction != PatchDirection::kNoising;
  input.noising = options.direction != PatchDirection::kDenoising;

  // Map positions and the segments they belong to, in clean-prompt terms.
  const std::int64_t edit_begin = alignment.shared_prefix;
  const auto clean_size = static_cast<std::int64_t>(clean_ids.size());
  const std::int64_t edit_end = clean_size - alignment.shared_suffix;
  std::vector<MapPosition> positions;
  std::vector<PositionSegment> segments;
  const auto place_position = [&](MapPosition position, const std::string& kind, std::optional<std::size_t> message,
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
  };
  for (const auto& [clean, corrupted] : alignment.pairs) {
    const auto [begin, end] = clean_encoding.offsets[static_cast<std::size_t>(clean)];
    auto [kind, message] = place_of(clean_prompt, begin);
    if (clean >= edit_begin && clean < edit_end) kind = "edit";
    MapPosition position;
    position.clean = clean;
    position.corrupted = corrupted;
    position.token = util::valid_utf8(std::string_view(clean_prompt.text).substr(begin, end - begin));
    place_position(std::move(position), kind, message, {begin, end});
  }

  const double exact_flops = exact_cost_flops(context.model, input, alignment);
  const bool attribution = options.method == incident::PatchMethod::kAttribution ||
                           (options.method == incident::PatchMethod::kAuto && exact_flops > kExactBudgetFlops);
  // One call measures the unpatched runs and, when they differ enough, every cell.
  runtime::PatchingInput first = input;
  first.minimum_gap = kMinimumGap;
  if (attribution) first.method = runtime::PatchingMethod::kAttribution;
  runtime::PatchingResult patched = runtime::patch_activations(context.model, first);
  const double gap = patched.clean_metric - patched.corrupted_metric;
  const bool localizable = std::abs(gap) >= kMinimumGap;
  Json confirmed = Json::array();
  if (localizable && attribution) {
    runtime::PatchingInput check = input;
    check.only = top_cells(patched);
    const runtime::PatchingResult exact = runtime::patch_activations(context.model, check);
    patched.forward_passes += exact.forward_passes;
    patched.cells_run = exact.cells_run;
    confirmed = confirmation_rows(patched, exact, check.only, gap);
    // The confirmed cells are measured: the maps and their summaries use the exact values there.
    for (auto [estimate_grid, exact_grid] : {std::pair{&patched.denoising, &exact.denoising}, std::pair{&patched.noising, &exact.noising}}) {
      if (!*estimate_grid || !*exact_grid) continue;
      for (const auto& cell : check.only) {
        const std::size_t at = (*estimate_grid)->index(cell.site, cell.layer, cell.position);
        (*estimate_grid)->metric[at] = (*exact_grid)->metric[at];
        (*estimate_grid)->identical[at] = (*exact_grid)->identical[at];
      }
    }
  }
  for (std::int64_t j = 0; j < patched.continuation_positions; ++j) {
    // Past the end of the action's turn (a longer alternative): no text of the action's own.
    const auto [begin, end] = j < static_cast<std::int64_t>(turn_encoding.offsets.size())
                                  ? turn_encoding.offsets[static_cast<std::size_t>(j)]
                                  : std::pair{context.action_turn.text.size(), context.action_turn.text.size()};
    MapPosition position;
    position.turn_token = j;
    position.token = util::valid_utf8(std::string_view(context.action_turn.text).substr(begin, end - begin));
    place_position(std::move(position), "turn", std::nullopt, {begin, end});
  }

  auto& results = output.results;
  results["intervention"] = options.intervention;
  results["method"] = attribution ? "attribution" : "exact";
  results["estimated_exact_flops"] = exact_flops;
  if (attribution) {
    for (auto& row : confirmed) {
      row["site"] = std::string(incident::kPatchSiteNames.name(options.sites[row["site"].get<std::size_t>()]));
      row["segment"] = positions[row["position"].get<std::size_t>()].segment;
    }
    results["confirmed"] = confirmed;
  }
  results["metric"] = std::string(incident::kPatchMetricNames.name(metric));
  results["clean_metric"] = patched.clean_metric;
  results["corrupted_metric"] = patched.corrupted_metric;
  results["alignment"] = Json{{"equal_length", alignment.equal_length},
                              {"clean_tokens", clean_size},
                              {"corrupted_tokens", static_cast<std::int64_t>(corrupted_ids.size())},
                              {"shared_prefix", alignment.shared_prefix},
                              {"shared_suffix", alignment.shared_suffix},
                              {"turn_tokens", static_cast<std::int64_t>(input.continuations[0].size())}};
  Json sites = Json::array();
  for (const auto site : options.sites) sites.push_back(std::string(incident::kPatchSiteNames.name(site)));
  results["sites"] = sites;
  const std::int64_t layers = context.model.config().n_layers;
  results["layers"] = layers;
  // The first quarter of the blocks (at least one): where the residual stream still holds the
  // information at the tokens it came from, before attention moves it.
  const std::int64_t early_layers = std::max<std::int64_t>(1, (layers + 3) / 4);
  results["early_layers"] = early_layers;

  Json position_rows = Json::array();
  for (std::size_t i = 0; i < positions.size(); ++i) {
    const auto& position = positions[i];
    Json row = Json{{"index", static_cast<std::int64_t>(i)}, {"segment", position.segment}, {"token", position.token}};
    if (position.turn_token >= 0) {
      row["turn_token"] = position.turn_token;
    } else {
      row["clean"] = position.clean;
      row["corrupted"] = position.corrupted;
    }
    position_rows.push_back(row);
  }

  // Per segment, per direction and site: the cell with the largest |effect|.
  std::vector<Json> segment_max(segments.size(), Json::object());
  if (!localizable) {
    results["reason"] = "the counterfactual moves the metric by " + std::to_string(gap) +
                        " nats, less than 0.1: there is no effect to localize";
    results["maps"] = nullptr;
  } else {
    Json maps = Json::object();
    Json strongest = Json::object();
    Json largest_early = Json::object();
      for (const auto& [name, grid] : {std::pair{"denoising", &patched.denoising}, std::pair{"noising", &patched.noising}}) {
      if (!*grid) continue;
      // Denoising: 1 = the clean activation alone restores the clean metric. Noising: -1 = the
      // corrupted activation alone destroys it. REFERENCE §5.
      const double reference = std::string(name) == "denoising" ? patched.corrupted_metric : patched.clean_metric;
      Json site_maps = Json::object();
      Json site_strongest = Json::object();
      for (std::int64_t s = 0; s < (*grid)->sites; ++s) {
        const std::string site(incident::kPatchSiteNames.name(options.sites[static_cast<std::size_t>(s)]));
        Json rows = Json::array();
        Json per_layer = Json::array();
        EffectCell early_best{0, 0, 0};
        for (std::int64_t l = 0; l < layers; ++l) {
          Json row = Json::array();
          EffectCell best{0, l, 0};
          for (std::int64_t p = 0; p < (*grid)->positions; ++p) {
            const std::size_t at = (*grid)->index(s, l, p);
            const double effect = (*grid)->identical[at] ? 0.0 : ((*grid)->metric[at] - reference) / gap;
            row.push_back(rounded(effect));
            if (std::abs(effect) > std::abs(best.effect)) best = {effect, l, p};
            auto& slot = segment_max[positions[static_cast<std::size_t>(p)].segment][name][site];
            if (slot.is_null() || std::abs(effect) > std::abs(slot["effect"].get<double>())) {
              slot = cell_json({effect, l, p}, positions);
            }
          }
          rows.push_back(row);
          per_layer.push_back(cell_json(best, positions));
          if (l < early_layers && std::abs(best.effect) > std::abs(early_best.effect)) early_best = best;
        }
        site_maps[site] = rows;
        site_strongest[site] = per_layer;
        // Across directions: the cell that restores or destroys the most.
        Json& early = largest_early[site];
        if (early.is_null() || std::abs(early_best.effect) > std::abs(early["effect"].get<double>())) {
          early = cell_json(early_best, positions);
          early["direction"] = name;
          early["on_edit"] = segments[positions[static_cast<std::size_t>(early_best.position)].segment].kind == "edit";
        }
      }
      maps[name] = site_maps;
      strongest[name] = site_strongest;
    }
    results["maps"] = maps;
    results["strongest"] = strongest;
    results["largest_early_effect"] = largest_early;
  }
  Json segment_rows = Json::array();
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& segment = segments[i];
    const std::string& text = segment.kind == "turn" ? context.action_turn.text : clean_prompt.text;
    Json row = Json{{"index", i}, {"kind", segment.kind}, {"positions", Json::array({segment.first, segment.end})},
                    {"text", display_text(segment.bytes.of(text))}};
    row["message"] = segment.message ? Json(*segment.message) : Json(nullptr);
    if (localizable) row["max_effect"] = segment_max[i];
    segment_rows.push_back(row);
  }
  results["segments"] = segment_rows;
  results["positions"] = position_rows;
  // The token ids of both runs, so anyone can recompute a cell with another library.
  results["inputs"] = Json{{"clean_prompt", input.clean_prompt},
                           {"corrupted_prompt", input.corrupted_prompt},
                           {"continuations", input.continuations},
                           {"weights", input.weights}};
  results["cells"] = Json{{"patched", patched.cells_run}, {"forward_passes", patched.forward_passes}};
}

}  // namespace forensics::probes
