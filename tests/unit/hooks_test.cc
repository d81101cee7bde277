// Hook names: parsing and printing agree, and docs/hook-points.md lists exactly the table.
#include <catch2/catch.hpp>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "forensics/runtime/hooks.h"
#include "test_paths.h"

using namespace forensics::runtime;

TEST_CASE("hook names round-trip through HookPoint", "[hooks]") {
  for (const auto& entry : kHookSiteNames.entries()) {
    const HookPoint point{entry.value, is_block_site(entry.value) ? 7 : -1};
    const auto parsed = HookPoint::parse(point.to_string());
    REQUIRE(parsed);
    CHECK(*parsed == point);
  }
  CHECK(HookPoint{HookSite::kResidPre, 3}.to_string() == "blocks.3.hook_resid_pre");
  CHECK(HookPoint{HookSite::kAttnPattern, 0}.to_string() == "blocks.0.attn.hook_pattern");
  CHECK_FALSE(HookPoint::parse("blocks.x.hook_resid_pre"));
  CHECK_FALSE(HookPoint::parse("blocks.1.hook_embed"));
  CHECK_FALSE(HookPoint::parse("hook_resid_pre"));
  CHECK_FALSE(HookPoint::parse("blocks.-1.hook_mlp_out"));
}

TEST_CASE("docs/hook-points.md lists exactly the hook table", "[hooks]") {
  std::ifstream in(std::string(FORENSICS_SOURCE_DIR) + "/docs/hook-points.md");
  REQUIRE(in);
  std::stringstream text;
  text << in.rdbuf();
  std::set<std::string> documented;
  const std::regex row(R"(\n\| `([^`]+)` \|)");
  const std::string content = text.str();
  for (auto it = std::sregex_iterator(content.begin(), content.end(), row); it != std::sregex_iterator(); ++it) {
    documented.insert((*it)[1].str());
  }
  std::set<std::string> table;
  for (const auto& entry : kHookSiteNames.entries()) {
    table.insert(is_block_site(entry.value) ? "blocks.{l}." + std::string(entry.name) : std::string(entry.name));
  }
  CHECK(documented == table);
}
