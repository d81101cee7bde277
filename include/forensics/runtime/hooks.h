// runtime: activation sites named as TransformerLens names them (`blocks.3.hook_resid_pre`),
// as values from one table, so no probe builds a hook name by hand. docs/hook-points.md lists
// them with shapes; a test checks that document against this table.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "forensics/util/name_table.h"

namespace forensics::runtime {

enum class HookSite {
  kEmbed,          // hook_embed
  kPosEmbed,       // hook_pos_embed (GPT-2 only)
  kResidPre,       // blocks.{l}.hook_resid_pre
  kAttnPattern,    // blocks.{l}.attn.hook_pattern
  kAttnOut,        // blocks.{l}.hook_attn_out
  kResidMid,       // blocks.{l}.hook_resid_mid
  kMlpOut,         // blocks.{l}.hook_mlp_out
  kExpertWeights,  // blocks.{l}.mlp.hook_expert_weights (mixture layers)
  kExpertIndices,  // blocks.{l}.mlp.hook_expert_indices (mixture layers)
  kExpertOutputs,  // blocks.{l}.mlp.hook_expert_outputs (mixture layers)
  kResidPost,      // blocks.{l}.hook_resid_post
  kLnFinal,        // ln_final.hook_normalized
};

/// Name suffixes; block sites are prefixed with `blocks.{l}.`.
inline constexpr util::NameTable kHookSiteNames{std::array{
    util::NameEntry<HookSite>{HookSite::kEmbed, "hook_embed"},
    util::NameEntry<HookSite>{HookSite::kPosEmbed, "hook_pos_embed"},
    util::NameEntry<HookSite>{HookSite::kResidPre, "hook_resid_pre"},
    util::NameEntry<HookSite>{HookSite::kAttnPattern, "attn.hook_pattern"},
    util::NameEntry<HookSite>{HookSite::kAttnOut, "hook_attn_out"},
    util::NameEntry<HookSite>{HookSite::kResidMid, "hook_resid_mid"},
    util::NameEntry<HookSite>{HookSite::kMlpOut, "hook_mlp_out"},
    util::NameEntry<HookSite>{HookSite::kExpertWeights, "mlp.hook_expert_weights"},
    util::NameEntry<HookSite>{HookSite::kExpertIndices, "mlp.hook_expert_indices"},
    util::NameEntry<HookSite>{HookSite::kExpertOutputs, "mlp.hook_expert_outputs"},
    util::NameEntry<HookSite>{HookSite::kResidPost, "hook_resid_post"},
    util::NameEntry<HookSite>{HookSite::kLnFinal, "ln_final.hook_normalized"},
}};

/// Whether a site belongs to a block (and so needs a layer).
bool is_block_site(HookSite site);

/// Whether values may be written at a site: not the attention pattern or the router's choices and
/// experts' outputs (recorded only).
bool is_patchable_site(HookSite site);

struct HookPoint {
  HookSite site = HookSite::kEmbed;
  std::int32_t layer = -1;  // -1 for sites outside the blocks

  std::string to_string() const;
  /// Parses `hook_embed`, `blocks.3.hook_attn_out`, `ln_final.hook_normalized`, ...
  static std::optional<HookPoint> parse(std::string_view name);

  bool operator<(const HookPoint& other) const {
    return layer != other.layer ? layer < other.layer : site < other.site;
  }
  bool operator==(const HookPoint& other) const { return site == other.site && layer == other.layer; }
};

}  // namespace forensics::runtime
