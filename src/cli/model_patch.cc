// `forensics model patch` (model_patch.h): text in, patching maps out.
#include "model_patch.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <iostream>

#include "command.h"
#include "forensics/probes/patch_map.h"
#include "forensics/runtime/model_service.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/error.h"
#include "forensics/util/json.h"

namespace forensics::cli {
namespace {

std::vector<std::int64_t> ids_of(const runtime::Tokenizer& tokenizer, const std::string& text, const char* option) {
  auto ids = tokenizer.model_ids(text);
  if (ids.empty()) throw InputError(std::string(option) + " tokenizes to nothing");
  return ids;
}

template <typename Table>
auto parse_name(const Table& table, const std::string& text, const char* option) {
  const auto value = table.parse(text);
  if (!value) throw InputError(std::string(option) + ": expected " + table.choices() + ", got \"" + text + "\"");
  return *value;
}

inline constexpr util::NameTable kPatchMethodNames{std::array{
    util::NameEntry<runtime::PatchingMethod>{runtime::PatchingMethod::kExact, "exact"},
    util::NameEntry<runtime::PatchingMethod>{runtime::PatchingMethod::kAttribution, "attribution"},
}};

runtime::PatchingInput patching_input(const ModelPatchOptions& options, const runtime::Tokenizer& tokenizer) {
  runtime::PatchingInput input;
  input.clean_prompt = ids_of(tokenizer, options.clean, "--clean");
  input.corrupted_prompt = ids_of(tokenizer, options.corrupted, "--corrupted");
  if (options.continuations.empty()) throw InputError("give at least one --continuation");
  for (const auto& text : options.continuations)
    input.continuations.push_back(ids_of(tokenizer, text, "--continuation"));
  input.weights = options.weights;
  if (input.weights.empty()) input.weights.assign(input.continuations.size(), 1.0);
  if (input.weights.size() != input.continuations.size()) {
    throw InputError("--weight given " + std::to_string(input.weights.size()) + " times for " +
                     std::to_string(input.continuations.size()) + " continuations: give one per continuation or none");
  }
  for (const auto& site : options.sites) {
    const auto parsed = probes::hook_site(parse_name(probes::kPatchSiteNames, site, "--site"));
    if (std::find(input.sites.begin(), input.sites.end(), parsed) != input.sites.end()) {
      throw InputError("--site " + site + " given twice");
    }
    input.sites.push_back(parsed);
  }
  input.prompt_positions = probes::align(input.clean_prompt, input.corrupted_prompt).pairs;
  if (input.prompt_positions.empty()) {
    throw InputError("the prompts share no aligned token (no common prefix or suffix): nothing to patch");
  }
  const auto direction = parse_name(probes::kPatchDirectionNames, options.direction, "--direction");
  input.denoising = direction != probes::PatchDirection::kNoising;
  input.noising = direction != probes::PatchDirection::kDenoising;
  input.method = parse_name(kPatchMethodNames, options.method, "--method");
  input.cells_per_batch = options.cells_per_batch;
  // Equal metrics leave no gap to divide effects by: no cells run, and the output says why.
  input.minimum_gap = 1e-12;
  return input;
}

std::string token_text(const runtime::Tokenizer& tokenizer, std::int64_t id) {
  return tokenizer.decode_model_ids({id});
}

/// Map positions: the aligned prompt pairs, then the continuation tokens the patch reaches.
Json positions_json(const runtime::PatchingInput& input, const runtime::PatchingResult& result,
                    const runtime::Tokenizer& tokenizer) {
  Json out = Json::array();
  for (const auto& [clean, corrupted] : input.prompt_positions) {
    out.push_back({{"clean", clean},
                   {"corrupted", corrupted},
                   {"token", token_text(tokenizer, input.clean_prompt[static_cast<std::size_t>(clean)])}});
  }
  for (std::int64_t j = 0; j < result.continuation_positions; ++j) {
    const auto& first = input.continuations.front();
    out.push_back({{"continuation", j},
                   {"token", j < static_cast<std::int64_t>(first.size())
                                 ? token_text(tokenizer, first[static_cast<std::size_t>(j)])
                                 : std::string()}});
  }
  return out;
}

/// One [layer][position] array of patched metrics per site, under the names the command was
/// given (patching_input keeps their order); NaN (a cell not run) as null.
Json grid_json(const runtime::PatchingGrid& grid, const std::vector<std::string>& site_names) {
  Json out = Json::object();
  for (std::int64_t s = 0; s < grid.sites; ++s) {
    Json layers = Json::array();
    for (std::int64_t l = 0; l < grid.layers; ++l) {
      Json row = Json::array();
      for (std::int64_t p = 0; p < grid.positions; ++p) {
        const double value = grid.metric[grid.index(s, l, p)];
        row.push_back(std::isfinite(value) ? Json(value) : Json(nullptr));
      }
      layers.push_back(std::move(row));
    }
    out[site_names[static_cast<std::size_t>(s)]] = std::move(layers);
  }
  return out;
}

Json result_json(const ModelPatchOptions& options, const runtime::PatchingInput& input,
                 const runtime::TimedPatching& timed, const runtime::Tokenizer& tokenizer) {
  const auto& result = timed.result;
  Json out = {{"clean_tokens", input.clean_prompt},
              {"corrupted_tokens", input.corrupted_prompt},
              {"continuations", input.continuations},
              {"weights", input.weights},
              {"clean_metric", result.clean_metric},
              {"corrupted_metric", result.corrupted_metric},
              {"positions", positions_json(input, result, tokenizer)},
              {"cells_run", result.cells_run},
              {"forward_passes", result.forward_passes},
              {"load_seconds", timed.load_seconds},
              {"patch_seconds", timed.patch_seconds}};
  if (result.denoising) out["denoising"] = grid_json(*result.denoising, options.sites);
  if (result.noising) out["noising"] = grid_json(*result.noising, options.sites);
  if (!result.denoising && !result.noising)
    out["no_cells_reason"] = "the clean and corrupted metrics are equal: no effect to patch";
  return out;
}

/// The strongest cells of each map, as fractions of the clean-corrupted gap.
void print_text(const Json& out) {
  const double clean = out["clean_metric"].get<double>();
  const double corrupted = out["corrupted_metric"].get<double>();
  std::cout << std::fixed << std::setprecision(4) << "clean metric " << clean << ", corrupted " << corrupted << " (gap "
            << clean - corrupted << " nats); " << out["cells_run"].get<std::int64_t>() << " cells run in "
            << std::setprecision(2) << out["patch_seconds"].get<double>() << " s\n";
  for (const char* direction : {"denoising", "noising"}) {
    if (!out.contains(direction)) continue;
    const double unpatched = std::string(direction) == "denoising" ? corrupted : clean;
    for (const auto& [site, layers] : out[direction].items()) {
      struct Cell {
        double effect;
        std::size_t layer, position;
      };
      std::vector<Cell> cells;
      for (std::size_t l = 0; l < layers.size(); ++l) {
        for (std::size_t p = 0; p < layers[l].size(); ++p) {
          if (layers[l][p].is_number())
            cells.push_back({(layers[l][p].get<double>() - unpatched) / (clean - corrupted), l, p});
        }
      }
      const std::size_t shown = std::min<std::size_t>(5, cells.size());
      std::partial_sort(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(shown), cells.end(),
                        [](const Cell& a, const Cell& b) { return std::abs(a.effect) > std::abs(b.effect); });
      std::cout << direction << " " << site << ", strongest cells (effect as a fraction of the gap):\n";
      for (std::size_t i = 0; i < shown; ++i) {
        std::cout << "  layer " << std::setw(3) << cells[i].layer << "  position " << std::setw(5) << cells[i].position
                  << "  " << std::setprecision(3) << std::setw(7) << cells[i].effect << "  "
                  << out["positions"][cells[i].position]["token"].dump() << "\n";
      }
    }
  }
}

}  // namespace

int run_model_patch(const ModelPatchOptions& options, const runtime::DeviceChoice& device) {
  const runtime::Tokenizer tokenizer = runtime::Tokenizer::from_path(options.directory);
  const runtime::PatchingInput input = patching_input(options, tokenizer);
  const runtime::TimedPatching timed = runtime::patch_model(options.directory, input, device);
  const Json out = result_json(options, input, timed, tokenizer);
  if (options.json) {
    std::cout << out.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  } else {
    print_text(out);
  }
  return kExitOk;
}

}  // namespace forensics::cli
