// probes: the pure logic of `patch` (docs/probes.md): how the clean and corrupted prompts' token
// positions align, what each position of the map is (its segment of the transcript and its
// token), what exact patching would cost, which attribution estimates to confirm, and the
// normalized effects summarised per layer, per segment and in the early layers. Torch-free and
// unit-tested on its own; src/probes/patch.cc runs the model.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forensics/incident/chat_format.h"
#include "forensics/runtime/patching.h"
#include "forensics/util/name_table.h"

namespace forensics::probes {

/// The block sites activation patching patches, named after their TransformerLens hooks
/// (`blocks.{l}.hook_<name>`): the `patch` probe's `sites` and `model patch --site`.
enum class PatchSite { kResidPre, kAttnOut, kMlpOut };
inline constexpr util::NameTable kPatchSiteNames{std::array{
    util::NameEntry<PatchSite>{PatchSite::kResidPre, "resid_pre"},
    util::NameEntry<PatchSite>{PatchSite::kAttnOut, "attn_out"},
    util::NameEntry<PatchSite>{PatchSite::kMlpOut, "mlp_out"},
}};
runtime::HookSite hook_site(PatchSite site);

/// Denoising patches clean activations into the corrupted run (is it sufficient?); noising the
/// reverse (is it necessary?): the `patch` probe's `direction` and `model patch --direction`.
enum class PatchDirection { kDenoising, kNoising, kBoth };
inline constexpr util::NameTable kPatchDirectionNames{std::array{
    util::NameEntry<PatchDirection>{PatchDirection::kDenoising, "denoising"},
    util::NameEntry<PatchDirection>{PatchDirection::kNoising, "noising"},
    util::NameEntry<PatchDirection>{PatchDirection::kBoth, "both"},
}};

/// How the two prompts' token positions correspond.
struct Alignment {
  bool equal_length = false;
  std::int64_t shared_prefix = 0;  // tokens equal from the start
  std::int64_t shared_suffix = 0;  // tokens equal from the end (not overlapping the prefix)
  // The positions patched: (clean, corrupted). Equal lengths: every position. Otherwise the shared
  // prefix and the shared suffix aligned from the end; the edited middle has no counterpart.
  std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
};

Alignment align(const std::vector<std::int64_t>& clean, const std::vector<std::int64_t>& corrupted);

/// What a run of map positions is in the transcript.
enum class PlaceKind { kBegin, kMessage, kEdit, kGenerationPrompt, kTurn };
inline constexpr util::NameTable kPlaceKindNames{std::array{
    util::NameEntry<PlaceKind>{PlaceKind::kBegin, "begin"},
    util::NameEntry<PlaceKind>{PlaceKind::kMessage, "message"},
    util::NameEntry<PlaceKind>{PlaceKind::kEdit, "edit"},
    util::NameEntry<PlaceKind>{PlaceKind::kGenerationPrompt, "generation-prompt"},
    util::NameEntry<PlaceKind>{PlaceKind::kTurn, "turn"},
}};

/// Consecutive map positions with the same place in the transcript.
struct PlaceSegment {
  PlaceKind kind = PlaceKind::kBegin;
  std::optional<std::size_t> message;  // kMessage: the message's index
  std::int64_t first = 0;              // map positions [first, end)
  std::int64_t end = 0;
  incident::TextSpan bytes;  // in the clean prompt, or in the action's turn for kTurn
};

/// One position of the map: a prompt position of both runs, or a token of the action's turn.
struct MapPosition {
  std::int64_t clean = -1;       // prompt position in the clean run, -1 for a turn token
  std::int64_t corrupted = -1;   // prompt position in the corrupted run
  std::int64_t turn_token = -1;  // token of the action's turn, -1 for a prompt position
  std::size_t segment = 0;
  std::string token;  // its text (valid UTF-8)
};

struct PositionMap {
  std::vector<MapPosition> positions;
  std::vector<PlaceSegment> segments;

  /// Appends a position, starting a new segment when its place differs from the last one's.
  void add(MapPosition position, PlaceKind kind, std::optional<std::size_t> message, incident::TextSpan bytes);
  bool on_edit(std::int64_t position) const {
    return segments[positions[static_cast<std::size_t>(position)].segment].kind == PlaceKind::kEdit;
  }
};

/// The map's prompt positions: for every aligned pair, the clean token's place (before the
/// first message, in message m, in the edit — the tokens between the shared prefix and suffix —,
/// or in the generation prompt). `offsets` are the clean prompt's token byte offsets.
PositionMap prompt_positions(const incident::RenderedTranscript& clean_prompt,
                             const std::vector<std::pair<std::size_t, std::size_t>>& offsets,
                             const Alignment& alignment);

/// Appends `count` positions of the action's turn (token j; past the turn's own tokens, e.g. a
/// longer alternative, an empty token at its end).
void add_turn_positions(PositionMap& map, const std::string& turn_text,
                        const std::vector<std::pair<std::size_t, std::size_t>>& turn_offsets, std::int64_t count);

/// Floating-point operations exact patching would take: 2 x parameters per token recomputed,
/// over every cell. A cell at prompt position p recomputes the prompt from p once and every
/// continuation; a cell at continuation token j recomputes every continuation from j; a cell at
/// layer l runs only layers l.. (the run resumes there), so a position's cells cost (n_layers + 1)
/// / 2 full passes per site. Positions in the shared prefix are identical in both runs and never
/// run.
double exact_cost_flops(std::int64_t parameter_count, std::int64_t n_layers, const runtime::PatchingInput& input,
                        const Alignment& alignment);

/// The `per_direction` cells of largest |estimate - unpatched metric| of each direction (cells
/// whose activations are identical excluded), ties to the smaller cell; the union, sorted.
std::vector<runtime::PatchingCell> top_cells(const runtime::PatchingResult& estimates, std::size_t per_direction);

/// Overwrites `estimates`' grids at `cells` with the exact results' values.
void adopt_exact_cells(runtime::PatchingResult& estimates, const runtime::PatchingResult& exact,
                       const std::vector<runtime::PatchingCell>& cells);

/// A normalized effect at one cell.
struct EffectCell {
  double effect = 0;
  std::int64_t layer = 0;
  std::int64_t position = 0;
};

/// One site's normalized effects under one direction, and where they are largest.
struct SiteEffects {
  std::vector<std::vector<double>> effects;  // [layer][position], unrounded
  std::vector<EffectCell> strongest;         // per layer, the position of largest |effect|
  EffectCell early;                          // largest |effect| in the early layers
};

/// The effects of `grid` normalized by the clean - corrupted gap (docs/probes.md): denoising
/// (M_patched - M_corrupted) / gap, 1 = restored; noising (M_patched - M_clean) / gap, -1 = the
/// corrupted metric. Identical cells are exactly 0. `early_layers` counts from layer 0.
std::vector<SiteEffects> normalized_effects(const runtime::PatchingGrid& grid, double unpatched, double gap,
                                            std::int64_t early_layers);

/// Effects as written in the document: rounded to 1e-4.
double rounded_effect(double effect);

/// The first quarter of `n_layers` (at least one): where the residual stream still holds
/// information at the tokens it came from, before attention moves it.
std::int64_t early_layer_count(std::int64_t n_layers);

}  // namespace forensics::probes
