// runtime: activation patching (docs/method.md) between a clean and a corrupted prompt, each
// followed by the same teacher-forced continuations. Every (site, layer, position) cell is one
// patched run: denoising puts the clean activation into the corrupted run, noising the corrupted
// one into the clean run, and the metric is re-measured. Exact patching, one cell per batch row;
// a patched run recomputes only the positions from the patched one on (the positions before it
// come from the unpatched run's KV cache, which a patch cannot change). The types are torch-free
// (the probes build them); patch_activations runs on a libtorch Model.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "forensics/runtime/hooks.h"

namespace forensics::runtime {

class Model;  // model.h (torch-linked)

/// How the cells are measured. Exact: one patched run per cell. Attribution (docs/method.md): the
/// first-order estimate (a_source - a_target) . dM/da at the target run for every cell at once,
/// from one forward and one backward pass per run; it can be far off where attention saturates,
/// so the caller confirms the top cells exactly (`only`).
enum class PatchingMethod { kExact, kAttribution };

/// One cell: a site (index into PatchingInput::sites), a layer, a map position.
struct PatchingCell {
  std::int64_t site = 0;
  std::int64_t layer = 0;
  std::int64_t position = 0;
  bool operator<(const PatchingCell& other) const {
    return std::tie(site, layer, position) < std::tie(other.site, other.layer, other.position);
  }
  bool operator==(const PatchingCell& other) const {
    return std::tie(site, layer, position) == std::tie(other.site, other.layer, other.position);
  }
};

struct PatchingInput {
  std::vector<std::int64_t> clean_prompt;
  std::vector<std::int64_t> corrupted_prompt;
  /// Teacher-forced after either prompt. The metric of a run is
  /// sum over r of weights[r] * log P(continuations[r] | prompt), in nats (e.g. the action's turn
  /// with weight 1 and the alternative's with weight -1: the log-probability difference).
  std::vector<std::vector<std::int64_t>> continuations;
  std::vector<double> weights;
  /// Block sites patched: kResidPre, kAttnOut or kMlpOut. Every layer is patched.
  std::vector<HookSite> sites;
  /// The prompt positions patched, as (clean position, corrupted position) pairs: the same
  /// position when the prompts have equal length; the shared prefix and the shared suffix, aligned
  /// from the end, when not. Continuation positions are always patched after these, token j of
  /// the continuations with token j (every continuation position whose logits are scored).
  std::vector<std::pair<std::int64_t, std::int64_t>> prompt_positions;
  bool denoising = true;
  bool noising = true;
  /// Patched cells per batch (each takes one row per continuation).
  std::int64_t cells_per_batch = 16;
  PatchingMethod method = PatchingMethod::kExact;
  /// When |clean metric - corrupted metric| is below this, no cell is run (no grids come back):
  /// a normalized effect would divide by rounding noise.
  double minimum_gap = 0;
  /// Exact only: run just these cells; the others keep metric NaN. Empty: every cell.
  std::vector<PatchingCell> only;
  /// Hears the count of patched cells run so far, after every batch (for progress; may be empty).
  std::function<void(std::int64_t cells_run)> on_cells_run;
};

/// Patched metrics over sites x layers x positions (prompt_positions, then continuation positions).
struct PatchingGrid {
  std::int64_t sites = 0;
  std::int64_t layers = 0;
  std::int64_t positions = 0;
  std::vector<double> metric;   // the patched run's metric (attribution: unpatched + estimate)
  std::vector<char> identical;  // 1: the two activations were equal, nothing to patch (metric = unpatched)

  std::size_t index(std::int64_t site, std::int64_t layer, std::int64_t position) const {
    return static_cast<std::size_t>((site * layers + layer) * positions + position);
  }
};

struct PatchingResult {
  double clean_metric = 0;
  double corrupted_metric = 0;
  std::int64_t continuation_positions = 0;  // patched continuation positions (after the prompt ones)
  std::optional<PatchingGrid> denoising;    // corrupted run, clean activation patched in
  std::optional<PatchingGrid> noising;      // clean run, corrupted activation patched in
  std::int64_t forward_passes = 0;
  std::int64_t cells_run = 0;  // cells that needed a patched run (the others were identical)
};

/// Runs the unpatched clean and corrupted passes, then every cell of the chosen directions.
/// Throws Error for empty prompts or continuations, a position out of range, or a site that is
/// not one of the three block sites.
PatchingResult patch_activations(const Model& model, const PatchingInput& input);

}  // namespace forensics::runtime
