// probes: `patch`: activation patching between the incident (the clean run) and the
// counterfactual one intervention makes of it (the corrupted run), both followed by the action's
// turn as the model wrote it. For every site x layer x position, denoising (clean activation into
// the corrupted run: is it sufficient?) and noising (corrupted into clean: is it necessary?), with
// the normalized effect on the metric. Tells where in the context, and at which depth, the
// information that drives the action sits. Deterministic and descriptive, like `ablate`
// (docs/probes.md). The pure steps are in patch_map.h; this file reads options, runs the model
// and writes the result.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>

#include "forensics/probes/patch_map.h"
#include "forensics/probes/steps.h"
#include "forensics/util/error.h"

namespace forensics::probes {
namespace {

/// What a patched run measures, teacher-forcing the action's turn as written: log P(action turn)
/// - log P(alternative turn), which isolates the choice between the two commands given the
/// reasoning; or log P(action turn) alone, which also counts the reasoning that leads to it.
enum class Metric { kLogprobDifference, kActionLogprob };
inline constexpr util::NameTable kMetricNames{std::array{
    util::NameEntry<Metric>{Metric::kLogprobDifference, "logprob-difference"},
    util::NameEntry<Metric>{Metric::kActionLogprob, "action-logprob"},
}};

/// Exact: one patched run per cell. Attribution: a gradient estimate of every cell, the largest
/// then patched exactly. Auto: exact up to kExactBudgetFlops, else attribution.
enum class Method { kAuto, kExact, kAttribution };
inline constexpr util::NameTable kMethodNames{std::array{
    util::NameEntry<Method>{Method::kAuto, "auto"},
    util::NameEntry<Method>{Method::kExact, "exact"},
    util::NameEntry<Method>{Method::kAttribution, "attribution"},
}};

// Below this clean - corrupted gap (nats) a normalized effect would divide by rounding noise: the
// counterfactual does not move the action, and there is nothing to localize.
constexpr double kMinimumGap = 0.1;
// Auto switches to attribution above this many floating-point operations for the exact map
// (about a minute on one core of the development machine; the organisms' maps cost 1.5e11-8e11).
constexpr double kExactBudgetFlops = 5e12;
// Attribution estimates confirmed by exact patching, per direction.
constexpr std::size_t kConfirmedCells = 16;
// A normalized effect beyond this means one patched cell moved the metric much further than the
// whole counterfactual does: the metric is not bounded by the two runs, and effects are no longer
// fractions of the counterfactual's effect (docs/probes.md, "patch").
constexpr double kEffectRange = 1.5;
// A largest early-layer effect below this is rounding-sized: nothing to name as the location.
constexpr double kSmallestLocatedEffect = 0.05;

struct PatchOptions {
  std::string intervention;  // the counterfactual: an intervention id
  // Absent: logprob-difference when the action has an alternative, else action-logprob.
  std::optional<Metric> metric;
  Method method = Method::kAuto;
  std::vector<PatchSite> sites{PatchSite::kResidPre, PatchSite::kAttnOut, PatchSite::kMlpOut};
  PatchDirection direction = PatchDirection::kBoth;
};

// ---- Reading the options ----

std::vector<PatchSite> read_sites(util::ObjectReader& reader) {
  const Json* sites = reader.array("sites", util::Need::kOptional);
  if (sites == nullptr) return PatchOptions{}.sites;
  std::vector<PatchSite> out;
  for (std::size_t i = 0; i < sites->size(); ++i) {
    const Json& item = (*sites)[i];
    const auto site = item.is_string() ? kPatchSiteNames.parse(item.get<std::string>()) : std::nullopt;
    if (!site) {
      reader.diagnostics().error(reader.path() / "sites" / i,
                                 "expected " + kPatchSiteNames.choices() + ", got " + item.dump());
    } else if (std::find(out.begin(), out.end(), *site) != out.end()) {
      reader.diagnostics().error(reader.path() / "sites" / i, "site listed twice");
    } else {
      out.push_back(*site);
    }
  }
  if (sites->empty()) reader.diagnostics().error(reader.path() / "sites", "expected at least one site");
  return out;
}

PatchOptions read(util::ObjectReader& reader, const incident::Incident& incident) {
  PatchOptions options;
  options.intervention = reader.text("intervention", util::Need::kRequired).value_or("");
  options.sites = read_sites(reader);
  options.direction =
      reader.enumeration("direction", util::Need::kOptional, kPatchDirectionNames).value_or(options.direction);
  options.metric = reader.enumeration("metric", util::Need::kOptional, kMetricNames);
  options.method = reader.enumeration("method", util::Need::kOptional, kMethodNames).value_or(options.method);
  const bool declared = std::any_of(incident.interventions.begin(), incident.interventions.end(),
                                    [&](const auto& intervention) { return intervention.id == options.intervention; });
  if (!options.intervention.empty() && !declared) {
    reader.diagnostics().error(reader.path() / "intervention", "no intervention has id \"" + options.intervention +
                                                                   "\"; patching needs a declared counterfactual");
  }
  if (options.metric == Metric::kLogprobDifference && !incident.action.alternative) {
    reader.diagnostics().error(reader.path() / "metric",
                               "\"logprob-difference\" needs action.alternative (the command to compare with)");
  }
  return options;
}

// ---- The inputs of the two runs ----

struct PatchSetup {
  Metric metric = Metric::kActionLogprob;
  incident::RenderedTranscript clean_prompt;
  std::vector<std::pair<std::size_t, std::size_t>> clean_offsets;  // the clean prompt's token byte offsets
  std::vector<std::pair<std::size_t, std::size_t>> turn_offsets;   // the action turn's
  Alignment alignment;
  runtime::PatchingInput input;
};

PatchSetup setup(const ProbeContext& context, const PatchOptions& options) {
  const auto& incident = context.incident;
  const auto found = std::find_if(incident.interventions.begin(), incident.interventions.end(),
                                  [&](const auto& intervention) { return intervention.id == options.intervention; });
  if (found == incident.interventions.end()) {
    throw InputError("patch: no intervention has id \"" + options.intervention + "\"");
  }
  const auto& format = incident.format;
  PatchSetup out;
  out.clean_prompt = incident::render_prompt(incident.transcript, incident.action.message, format);
  const auto edited = incident::apply_edits(incident.transcript, incident.action.message, found->edits);
  const auto corrupted_text = incident::render_prompt(edited.transcript, edited.action_message, format).text;
  const auto clean = context.tokenizer.encode(out.clean_prompt.text, /*add_special_tokens=*/false);
  const auto turn = context.tokenizer.encode(context.action_turn.text, /*add_special_tokens=*/false);
  out.clean_offsets = clean.offsets;
  out.turn_offsets = turn.offsets;
  auto& input = out.input;
  input.clean_prompt.assign(clean.ids.begin(), clean.ids.end());
  input.corrupted_prompt = context.tokenizer.model_ids(corrupted_text);
  if (input.clean_prompt.empty() || input.corrupted_prompt.empty()) {
    throw InputError("the prompt before the action tokenizes to nothing");
  }
  if (input.clean_prompt == input.corrupted_prompt) {
    throw InputError("patch: intervention \"" + options.intervention + "\" leaves the prompt's tokens unchanged");
  }
  out.alignment = align(input.clean_prompt, input.corrupted_prompt);

  input.continuations.push_back({turn.ids.begin(), turn.ids.end()});
  input.weights.push_back(1.0);
  const auto alternative = alternative_turn(context);
  out.metric = options.metric.value_or(alternative ? Metric::kLogprobDifference : Metric::kActionLogprob);
  if (out.metric == Metric::kLogprobDifference) {
    if (!alternative) {
      throw InputError(
          "patch: metric \"logprob-difference\" needs an alternative turn (action.alternative, "
          "found in the action's turn)");
    }
    input.continuations.push_back(context.tokenizer.model_ids(*alternative));
    input.weights.push_back(-1.0);
  }
  if (input.continuations[0].empty()) throw InputError("the action's turn tokenizes to nothing");
  for (const PatchSite site : options.sites) input.sites.push_back(hook_site(site));
  input.prompt_positions = out.alignment.pairs;
  input.denoising = options.direction != PatchDirection::kNoising;
  input.noising = options.direction != PatchDirection::kDenoising;
  return out;
}

// ---- Measuring the cells: the one place the exact / attribution policy lives ----

/// An attribution estimate checked by exact patching, both normalized.
struct ConfirmedCell {
  std::string direction;
  std::size_t site = 0;
  std::int64_t layer = 0;
  std::int64_t position = 0;
  double estimate = 0;
  double exact = 0;
};

struct Measurement {
  bool attribution = false;
  runtime::PatchingResult cells;  // the maps: exact values, or estimates with the confirmed cells exact
  std::vector<ConfirmedCell> confirmed;
  double gap() const { return cells.clean_metric - cells.corrupted_metric; }
  bool localizable() const { return std::abs(gap()) >= kMinimumGap; }
};

std::vector<ConfirmedCell> confirmation_rows(const runtime::PatchingResult& estimates,
                                             const runtime::PatchingResult& exact,
                                             const std::vector<runtime::PatchingCell>& cells, double gap) {
  std::vector<ConfirmedCell> out;
  for (const auto& [name, estimate_grid, exact_grid] : {std::tuple{"denoising", &estimates.denoising, &exact.denoising},
                                                        std::tuple{"noising", &estimates.noising, &exact.noising}}) {
    if (!*estimate_grid || !*exact_grid) continue;
    const double unpatched = std::string(name) == "denoising" ? estimates.corrupted_metric : estimates.clean_metric;
    for (const auto& cell : cells) {
      const std::size_t at = (*estimate_grid)->index(cell.site, cell.layer, cell.position);
      const double exact_value = (*exact_grid)->identical[at] ? 0.0 : ((*exact_grid)->metric[at] - unpatched) / gap;
      out.push_back({name, static_cast<std::size_t>(cell.site), cell.layer, cell.position,
                     ((*estimate_grid)->metric[at] - unpatched) / gap, exact_value});
    }
  }
  return out;
}

/// Exact patching of every cell; or, with attribution, gradient estimates of every cell and the
/// largest kConfirmedCells per direction patched exactly, their exact values replacing the
/// estimates in the maps. No cell is run when the counterfactual moves the metric by less than
/// kMinimumGap. Progress counts the cells run exactly.
Measurement measure(const ProbeContext& context, runtime::PatchingInput input, bool attribution) {
  const std::int64_t directions = (input.denoising ? 1 : 0) + (input.noising ? 1 : 0);
  const auto sites = static_cast<std::int64_t>(input.sites.size());
  std::int64_t turn_positions = 0;  // continuation tokens whose logits are scored, after the first
  for (const auto& turn : input.continuations)
    turn_positions = std::max(turn_positions, static_cast<std::int64_t>(turn.size()) - 1);
  const std::int64_t every_cell = directions * sites * context.runner.shape().n_layers *
                                  (static_cast<std::int64_t>(input.prompt_positions.size()) + turn_positions);
  context.progress->total_known(attribution ? directions * static_cast<std::int64_t>(kConfirmedCells) : every_cell);
  input.on_cells_run = [&context](std::int64_t cells) { context.progress->in_step(cells); };
  Measurement out;
  out.attribution = attribution;
  runtime::PatchingInput first = input;
  first.minimum_gap = kMinimumGap;
  if (attribution) first.method = runtime::PatchingMethod::kAttribution;
  out.cells = context.runner.patch(first);
  if (!out.localizable() || !attribution) return out;
  runtime::PatchingInput check = input;
  check.only = top_cells(out.cells, kConfirmedCells);
  const runtime::PatchingResult exact = context.runner.patch(check);
  out.cells.forward_passes += exact.forward_passes;
  out.cells.cells_run = exact.cells_run;
  out.confirmed = confirmation_rows(out.cells, exact, check.only, out.gap());
  adopt_exact_cells(out.cells, exact, check.only);
  return out;
}

// ---- The result ----

/// One direction's normalized effects, per site.
struct DirectionEffects {
  const char* name = "denoising";
  std::vector<SiteEffects> sites;
};

Json cell_json(const EffectCell& cell, const PositionMap& map) {
  return Json{{"effect", rounded_effect(cell.effect)},
              {"layer", cell.layer},
              {"position", cell.position},
              {"segment", map.positions[static_cast<std::size_t>(cell.position)].segment}};
}

/// Whether `effect` is larger in size than a cell as the document writes it (rounded).
bool larger(double effect, const EffectCell& written) {
  return std::abs(effect) > std::abs(rounded_effect(written.effect));
}

struct PatchResult final : ProbeResult {
  std::string intervention;
  Metric metric = Metric::kActionLogprob;
  double estimated_exact_flops = 0;
  Measurement measurement;
  Alignment alignment;
  std::int64_t clean_tokens = 0;
  std::int64_t corrupted_tokens = 0;
  std::int64_t turn_tokens = 0;
  std::vector<PatchSite> sites;
  std::int64_t layers = 0;
  std::int64_t early_layers = 0;
  PositionMap map;
  std::vector<std::string> segment_texts;    // display text per map segment
  std::vector<DirectionEffects> directions;  // empty when not localizable
  runtime::PatchingInput input;

  std::string site_name(std::size_t s) const { return std::string(kPatchSiteNames.name(sites[s])); }

  /// Per site, the early cell of largest size across directions (the first direction on ties).
  std::vector<std::pair<EffectCell, const char*>> largest_early() const {
    std::vector<std::pair<EffectCell, const char*>> out;
    for (const auto& direction : directions) {
      for (std::size_t s = 0; s < direction.sites.size(); ++s) {
        const EffectCell& cell = direction.sites[s].early;
        if (out.size() <= s) {
          out.emplace_back(cell, direction.name);
        } else if (larger(cell.effect, out[s].first)) {
          out[s] = {cell, direction.name};
        }
      }
    }
    return out;
  }

  /// {direction: {site: f(effects of that site)}}.
  template <class F>
  Json per_direction_and_site(F&& f) const {
    Json out = Json::object();
    for (const auto& direction : directions) {
      Json sites_json = Json::object();
      for (std::size_t s = 0; s < direction.sites.size(); ++s) sites_json[site_name(s)] = f(direction.sites[s]);
      out[direction.name] = sites_json;
    }
    return out;
  }

  Json maps_json() const {
    return per_direction_and_site([](const SiteEffects& site) {
      Json rows = Json::array();
      for (const auto& row : site.effects) {
        Json values = Json::array();
        for (const double effect : row) values.push_back(rounded_effect(effect));
        rows.push_back(values);
      }
      return rows;
    });
  }

  Json strongest_json() const {
    return per_direction_and_site([&](const SiteEffects& site) {
      Json per_layer = Json::array();
      for (const auto& cell : site.strongest) per_layer.push_back(cell_json(cell, map));
      return per_layer;
    });
  }

  Json largest_early_json() const {
    Json out = Json::object();
    const auto cells = largest_early();
    for (std::size_t s = 0; s < cells.size(); ++s) {
      Json cell = cell_json(cells[s].first, map);
      cell["direction"] = cells[s].second;
      cell["on_edit"] = map.on_edit(cells[s].first.position);
      out[site_name(s)] = cell;
    }
    return out;
  }

  /// Per segment, direction and site: the cell of largest |effect| inside it.
  std::vector<Json> segment_maxima() const {
    std::vector<Json> out(map.segments.size(), Json::object());
    for (const auto& direction : directions) {
      for (std::size_t s = 0; s < direction.sites.size(); ++s) {
        std::vector<std::optional<EffectCell>> best(map.segments.size());
        const auto& effects = direction.sites[s].effects;
        for (std::size_t l = 0; l < effects.size(); ++l) {
          for (std::size_t p = 0; p < effects[l].size(); ++p) {
            auto& slot = best[map.positions[p].segment];
            if (!slot || larger(effects[l][p], *slot)) {
              slot = EffectCell{effects[l][p], static_cast<std::int64_t>(l), static_cast<std::int64_t>(p)};
            }
          }
        }
        for (std::size_t g = 0; g < best.size(); ++g) {
          if (best[g]) out[g][direction.name][site_name(s)] = cell_json(*best[g], map);
        }
      }
    }
    return out;
  }

  Json to_json() const override {
    Json results = Json::object();
    results["intervention"] = intervention;
    results["method"] = measurement.attribution ? "attribution" : "exact";
    results["estimated_exact_flops"] = estimated_exact_flops;
    if (measurement.attribution) {
      Json confirmed = Json::array();
      for (const auto& cell : measurement.confirmed) {
        confirmed.push_back(Json{{"direction", cell.direction},
                                 {"site", site_name(cell.site)},
                                 {"layer", cell.layer},
                                 {"position", cell.position},
                                 {"estimate", rounded_effect(cell.estimate)},
                                 {"exact", rounded_effect(cell.exact)},
                                 {"segment", map.positions[static_cast<std::size_t>(cell.position)].segment}});
      }
      results["confirmed"] = confirmed;
    }
    results["metric"] = std::string(kMetricNames.name(metric));
    results["clean_metric"] = measurement.cells.clean_metric;
    results["corrupted_metric"] = measurement.cells.corrupted_metric;
    results["alignment"] = Json{{"equal_length", alignment.equal_length},   {"clean_tokens", clean_tokens},
                                {"corrupted_tokens", corrupted_tokens},     {"shared_prefix", alignment.shared_prefix},
                                {"shared_suffix", alignment.shared_suffix}, {"turn_tokens", turn_tokens}};
    Json site_names = Json::array();
    for (std::size_t s = 0; s < sites.size(); ++s) site_names.push_back(site_name(s));
    results["sites"] = site_names;
    results["layers"] = layers;
    results["early_layers"] = early_layers;
    if (!measurement.localizable()) {
      results["reason"] = not_localizable_reason();
      results["maps"] = nullptr;
    } else {
      results["maps"] = maps_json();
      results["strongest"] = strongest_json();
      results["largest_early_effect"] = largest_early_json();
    }
    const auto maxima = measurement.localizable() ? segment_maxima() : std::vector<Json>();
    Json segment_rows = Json::array();
    for (std::size_t i = 0; i < map.segments.size(); ++i) {
      const auto& segment = map.segments[i];
      Json row = Json{{"index", i},
                      {"kind", std::string(kPlaceKindNames.name(segment.kind))},
                      {"positions", Json::array({segment.first, segment.end})},
                      {"text", segment_texts[i]}};
      row["message"] = segment.message ? Json(*segment.message) : Json(nullptr);
      if (measurement.localizable()) row["max_effect"] = maxima[i];
      segment_rows.push_back(row);
    }
    results["segments"] = segment_rows;
    results["caveats"] = caveats();
    Json position_rows = Json::array();
    for (std::size_t i = 0; i < map.positions.size(); ++i) {
      const auto& position = map.positions[i];
      Json row =
          Json{{"index", static_cast<std::int64_t>(i)}, {"segment", position.segment}, {"token", position.token}};
      if (position.turn_token >= 0) {
        row["turn_token"] = position.turn_token;
      } else {
        row["clean"] = position.clean;
        row["corrupted"] = position.corrupted;
      }
      position_rows.push_back(row);
    }
    results["positions"] = position_rows;
    // The token ids of both runs, so anyone can recompute a cell with another library.
    results["inputs"] = Json{{"clean_prompt", input.clean_prompt},
                             {"corrupted_prompt", input.corrupted_prompt},
                             {"continuations", input.continuations},
                             {"weights", input.weights}};
    results["cells"] =
        Json{{"patched", measurement.cells.cells_run}, {"forward_passes", measurement.cells.forward_passes}};
    return results;
  }

  /// Why the maps should not be read as they stand, each said in full (empty: nothing to say).
  std::vector<std::string> caveats() const {
    std::vector<std::string> out;
    if (!measurement.localizable()) return out;
    std::int64_t cells = 0;
    std::int64_t outside = 0;
    double largest = 0;
    for (const auto& direction : directions) {
      for (const auto& site : direction.sites) {
        for (const auto& row : site.effects) {
          for (const double effect : row) {
            if (std::isnan(effect)) continue;
            ++cells;
            if (std::abs(effect) > kEffectRange) ++outside;
            if (std::abs(effect) > std::abs(largest)) largest = effect;
          }
        }
      }
    }
    if (outside > 0) {
      char text[64];
      std::snprintf(text, sizeof text, "%+.2f", largest);
      out.push_back(std::to_string(outside) + " of " + std::to_string(cells) +
                    " cells have normalized effects outside [-1.5, 1.5] (largest " + text +
                    "): patching one cell moved the metric further than the whole counterfactual does, so the "
                    "metric is not bounded by the clean and corrupted runs (with a deletion, positions aligned "
                    "from the end can hold different text; with logprob-difference, both turns move). Read the "
                    "maps as relative sizes, not as fractions of the counterfactual's effect");
    }
    const auto site = std::find(sites.begin(), sites.end(), PatchSite::kResidPre);
    if (site != sites.end()) {
      const double early = largest_early()[static_cast<std::size_t>(site - sites.begin())].first.effect;
      if (std::abs(early) < kSmallestLocatedEffect) {
        out.push_back("no early-layer residual cell carries 0.05 of the counterfactual's effect (largest " +
                      Json(rounded_effect(early)).dump() + "): the early layers locate nothing" +
                      (alignment.equal_length ? ""
                                              : "; the prompts differ in length, so the edited tokens have no "
                                                "counterpart to patch: a counterfactual that replaces the text with "
                                                "as many tokens (a neutral text) can locate it"));
      }
    }
    return out;
  }

  std::string not_localizable_reason() const {
    return "the counterfactual moves the metric by " + std::to_string(measurement.gap()) + " nats, less than " +
           Json(kMinimumGap).dump() + ": there is no effect to localize";
  }

  std::vector<std::string> summary_lines() const override {
    const auto site = std::find(sites.begin(), sites.end(), PatchSite::kResidPre);
    if (!measurement.localizable() || site == sites.end()) {
      return {measurement.localizable() ? "no residual-stream site patched" : not_localizable_reason()};
    }
    if (const auto notes = caveats(); !notes.empty()) {
      return {intervention + ": no location named: " + notes.front().substr(0, notes.front().find(':')) +
              " (results.caveats)"};
    }
    const auto [cell, direction] = largest_early()[static_cast<std::size_t>(site - sites.begin())];
    const auto& position = map.positions[static_cast<std::size_t>(cell.position)];
    const auto& segment = map.segments[position.segment];
    char effect[32];
    std::snprintf(effect, sizeof effect, "%+.2f", rounded_effect(cell.effect));
    return {intervention + ": early-layer residual effect largest on " +
            (map.on_edit(cell.position) ? "the edited text" : std::string(kPlaceKindNames.name(segment.kind))) + " \"" +
            segment_texts[position.segment] + "\" (" + direction + " " + effect + " at \"" + position.token +
            "\", layer " + std::to_string(cell.layer) + ")"};
  }
};

// ---- The probe ----

ProbeCost cost(const incident::Incident& incident, const PatchOptions& options, std::int64_t /*samples*/,
               const CostBasis& basis) {
  // Every cell of the exact map, at most: a cell per site, layer and scored position (prompt
  // tokens and turn tokens after the first), per direction. Attribution runs far fewer.
  const std::int64_t directions = options.direction == PatchDirection::kBoth ? 2 : 1;
  const std::int64_t prompt = basis.prompt_tokens;
  const std::int64_t turn = basis.turn_tokens;
  const std::int64_t positions = prompt + std::max<std::int64_t>(turn - 1, 0);
  const std::int64_t cells_per_position = directions * static_cast<std::int64_t>(options.sites.size()) * basis.n_layers;
  // As exact_cost_flops counts them, with no shared prefix skipped: a cell at prompt position i
  // recomputes the prompt from i and every scored turn; at turn token j, the turns from j.
  const std::int64_t rows = options.metric == Metric::kActionLogprob || !incident.action.alternative ? 1 : 2;
  std::int64_t tokens = prompt * (prompt + 1) / 2 + prompt * rows * turn;
  for (std::int64_t j = 0; j + 1 < turn; ++j) tokens += rows * (turn - j);
  return {.patched_runs = cells_per_position * positions, .patched_tokens = cells_per_position * tokens};
}

std::unique_ptr<ProbeResult> run(const ProbeContext& context, const PatchOptions& options, std::int64_t /*samples*/) {
  PatchSetup inputs = setup(context, options);
  const auto& shape = context.runner.shape();
  auto result = std::make_unique<PatchResult>();
  result->intervention = options.intervention;
  result->metric = inputs.metric;
  result->alignment = inputs.alignment;
  result->clean_tokens = static_cast<std::int64_t>(inputs.input.clean_prompt.size());
  result->corrupted_tokens = static_cast<std::int64_t>(inputs.input.corrupted_prompt.size());
  result->turn_tokens = static_cast<std::int64_t>(inputs.input.continuations[0].size());
  result->sites = options.sites;
  result->layers = shape.n_layers;
  result->early_layers = early_layer_count(shape.n_layers);
  result->map = prompt_positions(inputs.clean_prompt, inputs.clean_offsets, inputs.alignment);
  result->estimated_exact_flops =
      exact_cost_flops(shape.parameter_count, shape.n_layers, inputs.input, inputs.alignment);
  const bool attribution = options.method == Method::kAttribution ||
                           (options.method == Method::kAuto && result->estimated_exact_flops > kExactBudgetFlops);
  result->measurement = measure(context, inputs.input, attribution);
  add_turn_positions(result->map, context.action_turn.text, inputs.turn_offsets,
                     result->measurement.cells.continuation_positions);
  for (const auto& segment : result->map.segments) {
    const std::string& text = segment.kind == PlaceKind::kTurn ? context.action_turn.text : inputs.clean_prompt.text;
    result->segment_texts.push_back(display_text(segment.bytes.of(text)));
  }
  if (result->measurement.localizable()) {
    const auto& cells = result->measurement.cells;
    const double gap = result->measurement.gap();
    // Denoising: 1 = the clean activation alone restores the clean metric. Noising: -1 = the
    // corrupted activation alone destroys it.
    if (cells.denoising) {
      result->directions.push_back(
          {"denoising", normalized_effects(*cells.denoising, cells.corrupted_metric, gap, result->early_layers)});
    }
    if (cells.noising) {
      result->directions.push_back(
          {"noising", normalized_effects(*cells.noising, cells.clean_metric, gap, result->early_layers)});
    }
  }
  result->input = std::move(inputs.input);
  return result;
}

}  // namespace

const ProbeDescriptor& patch_probe() {
  static const ProbeDescriptor probe = describe_probe<PatchOptions>({
      .name = "patch",
      .summary = "activation patching against a counterfactual: where in the context and at which layer the cause sits",
      .role = ProbeRole::kDescriptive,
      .on_by_default = false,  // it needs a counterfactual named by the author
      .needs_activations = true,
      .read = read,
      .cost = cost,
      .run = run,
  });
  return probe;
}

}  // namespace forensics::probes
