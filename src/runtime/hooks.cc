#include "forensics/runtime/hooks.h"

#include <charconv>

namespace forensics::runtime {

bool is_block_site(HookSite site) {
  return site != HookSite::kEmbed && site != HookSite::kPosEmbed && site != HookSite::kLnFinal;
}

bool is_patchable_site(HookSite site) {
  return site != HookSite::kAttnPattern && site != HookSite::kExpertWeights && site != HookSite::kExpertIndices &&
         site != HookSite::kExpertOutputs;
}

std::string HookPoint::to_string() const {
  const std::string suffix(kHookSiteNames.name(site));
  return is_block_site(site) ? "blocks." + std::to_string(layer) + "." + suffix : suffix;
}

std::optional<HookPoint> HookPoint::parse(std::string_view name) {
  constexpr std::string_view kBlocks = "blocks.";
  if (name.substr(0, kBlocks.size()) != kBlocks) {
    const auto site = kHookSiteNames.parse(name);
    if (!site || is_block_site(*site)) return std::nullopt;
    return HookPoint{*site, -1};
  }
  name.remove_prefix(kBlocks.size());
  const auto dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  std::int32_t layer = 0;
  const auto [end, error] = std::from_chars(name.data(), name.data() + dot, layer);
  if (error != std::errc() || end != name.data() + dot || layer < 0) return std::nullopt;
  const auto site = kHookSiteNames.parse(name.substr(dot + 1));
  if (!site || !is_block_site(*site)) return std::nullopt;
  return HookPoint{*site, layer};
}

}  // namespace forensics::runtime
