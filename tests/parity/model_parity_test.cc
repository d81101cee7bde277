// Our forward pass against transformers on small random models of every architecture
// (made at test time by make_reference_models.py): logits and every hook point within 1e-4 in
// float32, KV-cache decoding equal to a full pass, a padded batch equal to its rows alone.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>

#include "forensics/runtime/model.h"
#include "forensics/runtime/safetensors.h"

using namespace forensics::runtime;
namespace fs = std::filesystem;

namespace {

fs::path models_dir() {
  const char* dir = std::getenv("FORENSICS_PARITY_MODELS");
  REQUIRE(dir != nullptr);
  return dir;
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(models_dir())) {
    if (fs::exists(entry.path() / "reference.safetensors")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() >= 6);
  return names;
}

// The reference tensors of one model, copied out of their file.
std::map<std::string, at::Tensor> reference(const std::string& name) {
  const auto file = SafetensorsFile::open(models_dir() / name / "reference.safetensors");
  std::map<std::string, at::Tensor> out;
  for (const auto& view : file->tensors()) {
    const auto dtype = view.dtype == DType::kF32 ? at::kFloat : at::kLong;
    at::Tensor t = at::empty(view.shape, at::TensorOptions().dtype(dtype));
    std::memcpy(t.data_ptr(), view.data, view.size);
    out[view.name] = t;
  }
  return out;
}

double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kFloat) - b.to(at::kFloat)).abs().max().item<double>();
}

std::vector<HookPoint> all_hook_points(const ModelConfig& config) {
  std::vector<HookPoint> points{{HookSite::kEmbed, -1}, {HookSite::kLnFinal, -1}};
  if (config.is_gpt2()) points.push_back({HookSite::kPosEmbed, -1});
  for (int l = 0; l < config.n_layers; ++l) {
    for (auto site : {HookSite::kResidPre, HookSite::kAttnPattern, HookSite::kAttnOut,
                      HookSite::kMlpOut, HookSite::kResidPost}) {
      points.push_back({site, l});
    }
  }
  return points;
}

}  // namespace

TEST_CASE("logits and every hook point match transformers within 1e-4", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = Model::load(models_dir() / name);
    auto ref = reference(name);
    ForwardOptions options;
    options.record = all_hook_points(model.config());
    const ForwardResult result = model.forward(ref.at("input_ids"), options);
    const double logits_diff = max_diff(result.logits, ref.at("logits"));
    std::cout << name << " logits maxdiff " << logits_diff << "\n";
    CHECK(logits_diff <= 1e-4);
    for (const auto& point : options.record) {
      const std::string hook = point.to_string();
      INFO("hook " << hook);
      REQUIRE(ref.count(hook) == 1);
      REQUIRE(result.activations.count(point) == 1);
      const double diff = max_diff(result.activations.at(point), ref.at(hook));
      if (diff > 1e-4) std::cout << name << " " << hook << " maxdiff " << diff << "\n";
      CHECK(diff <= 1e-4);
    }
  }
}

TEST_CASE("decoding with the KV cache equals a full forward pass", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = Model::load(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids");
    const at::Tensor full = model.forward(ids).logits;
    KvCache cache = model.new_cache();
    ForwardOptions options;
    options.cache = &cache;
    std::vector<at::Tensor> pieces{model.forward(ids.narrow(1, 0, 7), options).logits};
    for (int p = 7; p < ids.size(1); ++p) pieces.push_back(model.forward(ids.narrow(1, p, 1), options).logits);
    const double diff = max_diff(at::cat(pieces, 1), full);
    CHECK(diff <= 1e-5);
  }
}

TEST_CASE("a left-padded batch equals its rows run one by one", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = Model::load(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids");
    const at::Tensor short_row = ids[1].narrow(0, 0, 8);
    const at::Tensor padded = at::stack({ids[0], at::cat({at::zeros({4}, at::kLong), short_row})});
    at::Tensor mask = at::ones({2, 12}, at::kLong);
    mask[1].narrow(0, 0, 4).zero_();
    ForwardOptions options;
    options.attention_mask = mask;
    const at::Tensor batched = model.forward(padded, options).logits;
    const at::Tensor alone0 = model.forward(ids[0].unsqueeze(0)).logits;
    const at::Tensor alone1 = model.forward(short_row.unsqueeze(0)).logits;
    CHECK(max_diff(batched[0], alone0[0]) <= 1e-5);
    CHECK(max_diff(batched[1].narrow(0, 4, 8), alone1[0]) <= 1e-5);
  }
}
