// Our forward pass against transformers on small random models of every architecture
// (made at test time by make_reference_models.py): logits and every hook point within 1e-4 in
// float32, KV-cache decoding equal to a full pass, a padded batch equal to its rows alone.
// FORENSICS_PARITY_DEVICE=cuda (or cuda:N) runs the same suite with every model on that GPU in
// float32, comparing on the CPU; unset or "cpu", the CPU.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <ATen/ATen.h>
#include <ATen/Context.h>

#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/prefix_cache.h"
#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/tokenizer.h"

using namespace forensics::runtime;
namespace fs = std::filesystem;

namespace {

fs::path models_dir() {
  const char* dir = std::getenv("FORENSICS_PARITY_MODELS");
  REQUIRE(dir != nullptr);
  return dir;
}

// The device under test, from FORENSICS_PARITY_DEVICE: "cpu" (the default) or "cuda"/"cuda:N".
// The GPU runs in float32, not the CUDA default bfloat16, so the CPU's tolerances apply unchanged.
LoadOptions parity_load_options() {
  static const LoadOptions options = [] {
    LoadOptions chosen;
    const char* device = std::getenv("FORENSICS_PARITY_DEVICE");
    if (device == nullptr || std::string(device).empty() || std::string(device) == "cpu") return chosen;
    chosen.device = c10::Device(device);
    chosen.dtype = c10::kFloat;
    // libtorch's float32 matmuls are full precision unless TF32 is allowed; TF32 (about 1e-3
    // relative) would fail the 1e-4 tolerances, so say which one ran.
    std::cout << "parity device " << chosen.device << ", float32, TF32 matmuls "
              << (at::globalContext().allowTF32CuBLAS() ? "ALLOWED" : "off") << "\n";
    return chosen;
  }();
  return options;
}

Model load_model(const fs::path& directory) { return Model::load(directory, parity_load_options()); }

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(models_dir())) {
    if (fs::exists(entry.path() / "reference.safetensors")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  REQUIRE(names.size() >= 6);
  return names;
}

// The reference tensors of one model directory, copied out of their file.
std::map<std::string, at::Tensor> reference_at(const fs::path& directory) {
  const auto file = SafetensorsFile::open(directory / "reference.safetensors");
  std::map<std::string, at::Tensor> out;
  for (const auto& view : file->tensors()) {
    const auto dtype = view.dtype == DType::kF32 ? at::kFloat : at::kLong;
    at::Tensor t = at::empty(view.shape, at::TensorOptions().dtype(dtype));
    std::memcpy(t.data_ptr(), view.data, view.size);
    out[view.name] = t;
  }
  return out;
}

std::map<std::string, at::Tensor> reference(const std::string& name) { return reference_at(models_dir() / name); }

// Compared on the CPU: either side may come from the device under test.
double max_diff(const at::Tensor& a, const at::Tensor& b) {
  return (a.to(at::kCPU, at::kFloat) - b.to(at::kCPU, at::kFloat)).abs().max().item<double>();
}

// Largest logit magnitude, at least 1: the scale float32 rounding errors grow with.
double logit_scale(const at::Tensor& logits) { return std::max(1.0, logits.abs().max().item<double>()); }

std::vector<HookPoint> all_hook_points(const ModelConfig& config) {
  std::vector<HookPoint> points{{HookSite::kEmbed, -1}, {HookSite::kLnFinal, -1}};
  if (config.is_gpt2()) points.push_back({HookSite::kPosEmbed, -1});
  for (int l = 0; l < config.n_layers; ++l) {
    for (auto site :
         {HookSite::kResidPre, HookSite::kAttnPattern, HookSite::kAttnOut, HookSite::kMlpOut, HookSite::kResidPost}) {
      points.push_back({site, l});
    }
    if (config.layer_is_sparse(l)) {
      points.push_back({HookSite::kExpertWeights, l});
      points.push_back({HookSite::kExpertIndices, l});
    }
  }
  return points;
}

}  // namespace

TEST_CASE("logits and every hook point match transformers within 1e-4", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
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

// A bfloat16 checkpoint computes in bfloat16 by default (no float32 copy). Two bfloat16
// implementations cannot agree to float32 tolerances (8 mantissa bits, kernels that round at
// different places: measured here up to 0.1 on logits of scale 5, and a flipped expert choice in a
// mixture moves more), so the bound is device_parity.py's: ours in bfloat16 is no further from
// transformers in float32 than 3x transformers' own bfloat16 error, plus 0.05.
TEST_CASE("a bfloat16 checkpoint runs as stored, as close to float32 as transformers' bfloat16", "[parity][bfloat16]") {
  if (!parity_load_options().device.is_cpu()) return;  // the GPU suite runs float32 (device_parity.py: bf16)
  int models = 0;
  for (const auto& entry : fs::directory_iterator(models_dir() / "bfloat16")) {
    const std::string name = entry.path().filename();
    INFO("model " << name);
    const Model model = Model::load(entry.path(), {});
    CHECK(model.dtype() == at::kBFloat16);
    const auto theirs_bf16 = reference_at(entry.path()).at("logits");
    const auto theirs_fp32 = reference(name).at("logits");
    const at::Tensor ours = model.forward(reference(name).at("input_ids")).logits;
    const double ours_error = max_diff(ours, theirs_fp32);
    const double their_error = max_diff(theirs_bf16, theirs_fp32);
    std::cout << name << " bfloat16: ours vs transformers-fp32 " << ours_error << ", transformers-bf16 vs fp32 "
              << their_error << ", ours vs transformers-bf16 " << max_diff(ours, theirs_bf16) << "\n";
    CHECK(ours_error <= 3 * their_error + 0.05);
    ++models;
  }
  CHECK(models == 5);
}

// TransformerLens names one hook per expert; ours keeps each token's chosen experts' outputs in one
// tensor. They must be what the mixture adds up: the routing-weighted sum of the chosen experts'
// outputs (weights: the router's softmax at the chosen experts, renormalised where the family
// does) is hook_mlp_out, which the first test holds to transformers.
TEST_CASE("each chosen expert's output, weighted by the router, sums to the MLP output", "[parity][moe]") {
  int mixtures = 0;
  for (const auto& name : model_names()) {
    const Model model = load_model(models_dir() / name);
    const ModelConfig& c = model.config();
    if (c.moe.n_experts == 0) continue;
    INFO("model " << name);
    ForwardOptions options;
    for (int l = 0; l < c.n_layers; ++l) {
      if (!c.layer_is_sparse(l)) continue;
      for (auto site :
           {HookSite::kExpertWeights, HookSite::kExpertIndices, HookSite::kExpertOutputs, HookSite::kMlpOut}) {
        options.record.push_back({site, l});
      }
    }
    const ForwardResult result = model.forward(reference(name).at("input_ids"), options);
    for (int l = 0; l < c.n_layers; ++l) {
      if (!c.layer_is_sparse(l)) continue;
      const auto& a = result.activations;
      const at::Tensor outputs = a.at({HookSite::kExpertOutputs, l});
      at::Tensor weights = a.at({HookSite::kExpertWeights, l}).gather(-1, a.at({HookSite::kExpertIndices, l}));
      if (c.moe.normalize_top_k) weights = weights / weights.sum(-1, true);
      const at::Tensor summed = (outputs * weights.unsqueeze(-1).to(outputs.scalar_type())).sum(2);
      const at::Tensor mlp_out = a.at({HookSite::kMlpOut, l});
      CHECK(outputs.size(2) == c.moe.top_k);
      CHECK(max_diff(summed, mlp_out) <= 1e-5 * std::max(1.0, mlp_out.abs().max().item<double>()));
    }
    ++mixtures;
  }
  CHECK(mixtures == 4);  // Mixtral, Qwen3-MoE, gpt-oss twice
}

TEST_CASE("decoding with the KV cache equals a full forward pass", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids");
    const at::Tensor full = model.forward(ids).logits;
    KvCache cache = model.new_cache();
    ForwardOptions options;
    options.cache = &cache;
    std::vector<at::Tensor> pieces{model.forward(ids.narrow(1, 0, 7), options).logits};
    for (int p = 7; p < ids.size(1); ++p) pieces.push_back(model.forward(ids.narrow(1, p, 1), options).logits);
    // Relative to the logits' scale: a trained organism's logits reach tens, where float32
    // rounding of differently shaped matmuls alone is above 1e-5 absolute.
    const double diff = max_diff(at::cat(pieces, 1), full);
    CHECK(diff <= 1e-5 * logit_scale(full));
  }
}

TEST_CASE("rows that share one copy of the prefix decode as rows with their own copies", "[parity]") {
  // Models with sliding windows, soft caps or sinks take the copying path inside; the rest attend
  // to the shared prefix directly. Both must equal the rows decoded with copies of the prefix.
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids").narrow(0, 0, 1);
    constexpr std::int64_t kPrefix = 7, kRows = 3, kSteps = 4;
    KvCache copied = model.new_cache();
    KvCache shared = model.new_cache();
    ForwardOptions copied_options, shared_options;
    copied_options.cache = &copied;
    shared_options.cache = &shared;
    model.forward(ids.narrow(1, 0, kPrefix), copied_options);
    model.forward(ids.narrow(1, 0, kPrefix), shared_options);
    copied.expand_rows(kRows, kSteps);
    shared.share_rows(kRows, kSteps);
    for (std::int64_t step = 0; step < kSteps; ++step) {
      // A different token in each row, so rows differ after the prefix.
      const at::Tensor next =
          at::stack({ids[0][kPrefix + step], ids[0][step], ids[0][kPrefix - 1 - step]}).view({kRows, 1});
      const at::Tensor expected = model.forward(next, copied_options).logits;
      const at::Tensor got = model.forward(next, shared_options).logits;
      CHECK(max_diff(got, expected) <= 1e-5 * logit_scale(expected));
    }
    CHECK(shared.used == kPrefix + kSteps);
  }
}

TEST_CASE("greedy samples from a prefix long enough to be shared equal greedy full passes", "[parity]") {
  const Model model = load_model(models_dir() / "llama-tied");
  const std::int64_t length = kLongPrefix + 8;
  REQUIRE(shares_prefix(model.config(), length));
  at::manual_seed(3);
  const at::Tensor random = at::randint(0, model.config().d_vocab, {length}, at::kLong);
  std::vector<std::int64_t> prefix(random.data_ptr<std::int64_t>(), random.data_ptr<std::int64_t>() + length);
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 6;
  std::vector<std::int64_t> expected = prefix;
  for (int step = 0; step < greedy.max_new_tokens; ++step) {
    const at::Tensor logits = model.forward(at::tensor(expected, at::kLong).unsqueeze(0)).logits[0][-1];
    expected.push_back(logits.argmax().item<std::int64_t>());
  }
  for (const auto placement : {SamplerPlacement::kHost, SamplerPlacement::kDevice}) {
    for (const auto& sample : sample_continuations(model, prefix, 3, 5, greedy, nullptr, {}, placement)) {
      CHECK(sample.tokens == std::vector<std::int64_t>(expected.begin() + length, expected.end()));
    }
  }
}

namespace {
std::vector<std::int64_t> random_tokens(const Model& model, std::int64_t length, std::uint64_t seed) {
  at::manual_seed(seed);
  const at::Tensor random = at::randint(0, model.config().d_vocab, {length}, at::kLong);
  return {random.data_ptr<std::int64_t>(), random.data_ptr<std::int64_t>() + length};
}

bool same_cache(const KvCache& a, const KvCache& b) {
  if (a.used != b.used) return false;
  for (std::size_t l = 0; l < a.keys.size(); ++l) {
    if (!at::equal(a.keys[l].narrow(2, 0, a.used), b.keys[l].narrow(2, 0, b.used))) return false;
    if (!at::equal(a.values[l].narrow(2, 0, a.used), b.values[l].narrow(2, 0, b.used))) return false;
  }
  return true;
}
}  // namespace

TEST_CASE("a long prefix prefilled block by block equals one pass, stored blocks or not", "[parity]") {
  const Model model = load_model(models_dir() / "llama-tied");
  const auto prefix = random_tokens(model, kLongPrefix + 190, 11);  // two whole blocks and a tail
  at::InferenceMode inference;
  const Prefilled alone = prefill(model, prefix, nullptr);
  const at::Tensor one_pass = model.forward(at::tensor(prefix, at::kLong).unsqueeze(0)).logits[0][-1];
  CHECK(max_diff(alone.last_logits[0], one_pass) <= 1e-5 * logit_scale(one_pass));
  CHECK(alone.cache.used == static_cast<std::int64_t>(prefix.size()));

  PrefixStore store;
  const Prefilled first = prefill(model, prefix, &store);
  CHECK(store.hits() == 0);
  const Prefilled again = prefill(model, prefix, &store);
  CHECK(store.hits() == 2);
  // A prefix that leaves the first after 600 tokens shares its first two blocks only.
  auto other = prefix;
  other.resize(600);
  const auto tail = random_tokens(model, 100, 12);
  other.insert(other.end(), tail.begin(), tail.end());
  const Prefilled branched = prefill(model, other, &store);
  CHECK(store.hits() == 4);
  // The store changes what is computed, never the result: bit for bit.
  CHECK(at::equal(first.last_logits, alone.last_logits));
  CHECK(at::equal(again.last_logits, alone.last_logits));
  CHECK(same_cache(first.cache, alone.cache));
  CHECK(same_cache(again.cache, alone.cache));
  const Prefilled branched_alone = prefill(model, other, nullptr);
  CHECK(at::equal(branched.last_logits, branched_alone.last_logits));
  CHECK(same_cache(branched.cache, branched_alone.cache));

  // Samples too, with and without the store, and when the prefix is exactly whole blocks.
  SamplingParams params;
  params.max_new_tokens = 5;
  for (const std::int64_t length : {static_cast<std::int64_t>(prefix.size()), kLongPrefix}) {
    const std::vector<std::int64_t> cut(prefix.begin(), prefix.begin() + length);
    const auto without = sample_continuations(model, cut, 4, 8, params);
    const auto with = sample_continuations(model, cut, 4, 8, params, nullptr, {}, SamplerPlacement::kAuto, &store);
    for (std::size_t i = 0; i < without.size(); ++i) CHECK(with[i].tokens == without[i].tokens);
  }
}

TEST_CASE("the prefix store forgets the least recently used blocks past its budget", "[parity]") {
  const Model model = load_model(models_dir() / "llama-tied");
  at::InferenceMode inference;
  PrefixStore probe_size;
  prefill(model, random_tokens(model, kLongPrefix, 1), &probe_size);
  const std::int64_t block_bytes = probe_size.held_bytes() / 2;
  PrefixStore store(3 * block_bytes);
  const auto first = random_tokens(model, kLongPrefix, 1);
  const auto second = random_tokens(model, kLongPrefix, 2);
  prefill(model, first, &store);
  prefill(model, second, &store);  // holds three blocks: first's first block, the least recent, went
  CHECK(store.held_bytes() == 3 * block_bytes);
  prefill(model, second, &store);
  CHECK(store.hits() == 2);
  // first's first block is recomputed, pushing out its second (now the least recent): no hit.
  prefill(model, first, &store);
  CHECK(store.hits() == 2);
}

TEST_CASE("a run resumed at a layer from its residual stream equals the whole run", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids");
    const std::int64_t split = 5;  // the first positions run whole, the rest resume at `layer`
    const auto layer = static_cast<std::int32_t>(model.config().n_layers - 1);
    ForwardOptions whole_options;
    whole_options.record = {{HookSite::kResidPre, layer}};
    const auto whole = model.forward(ids, whole_options);

    KvCache cache = model.new_cache();
    ForwardOptions head;
    head.cache = &cache;
    model.forward(ids.narrow(1, 0, split), head);
    ForwardOptions resumed;
    resumed.cache = &cache;
    resumed.first_layer = layer;
    resumed.resid_pre = whole.activations.at({HookSite::kResidPre, layer}).narrow(1, split, ids.size(1) - split);
    resumed.logit_positions = 2;
    const at::Tensor tail = model.forward(ids.narrow(1, split, ids.size(1) - split), resumed).logits;
    REQUIRE(tail.size(1) == 2);
    CHECK(max_diff(tail, whole.logits.narrow(1, ids.size(1) - 2, 2)) <= 1e-5 * logit_scale(whole.logits));

    // The last layer computed two positions past their keys and values; the cache holds every
    // position's, so one more token decoded from it matches the whole run too.
    KvCache decode_cache = model.new_cache();
    ForwardOptions short_head = head;
    short_head.cache = &decode_cache;
    model.forward(ids.narrow(1, 0, split), short_head);
    const std::int64_t last = ids.size(1) - 1;
    ForwardOptions short_tail = resumed;
    short_tail.cache = &decode_cache;
    short_tail.resid_pre = resumed.resid_pre.narrow(1, 0, last - split);
    short_tail.logit_positions = 1;
    model.forward(ids.narrow(1, split, last - split), short_tail);
    ForwardOptions step = short_tail;
    step.resid_pre = resumed.resid_pre.narrow(1, last - split, 1);
    const at::Tensor next = model.forward(ids.narrow(1, last, 1), step).logits;
    CHECK(max_diff(next, whole.logits.narrow(1, last, 1)) <= 1e-5 * logit_scale(whole.logits));

    // A site of the last layer past its input, recorded, keeps every position.
    KvCache recorded_cache = model.new_cache();
    ForwardOptions recorded = resumed;
    recorded.cache = &recorded_cache;
    ForwardOptions recorded_head;
    recorded_head.cache = &recorded_cache;
    model.forward(ids.narrow(1, 0, split), recorded_head);
    recorded.record = {{HookSite::kResidPost, layer}};
    const auto with_record = model.forward(ids.narrow(1, split, ids.size(1) - split), recorded);
    CHECK(with_record.activations.at({HookSite::kResidPost, layer}).size(1) == ids.size(1) - split);
    CHECK(max_diff(with_record.logits, tail) <= 1e-5 * logit_scale(whole.logits));

    ForwardOptions wrong = resumed;
    wrong.resid_pre = resumed.resid_pre.narrow(1, 0, 1);
    CHECK_THROWS_WITH(model.forward(ids.narrow(1, split, ids.size(1) - split), wrong),
                      Catch::Matchers::Contains("resid_pre shaped"));
  }
}

TEST_CASE("a left-padded batch equals its rows run one by one", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids");
    const std::int64_t length = ids.size(1);
    const at::Tensor short_row = ids[1].narrow(0, 0, length - 4);
    const at::Tensor padded = at::stack({ids[0], at::cat({at::zeros({4}, at::kLong), short_row})});
    at::Tensor mask = at::ones({2, length}, at::kLong);
    mask[1].narrow(0, 0, 4).zero_();
    ForwardOptions options;
    options.attention_mask = mask;
    const at::Tensor batched = model.forward(padded, options).logits;
    const at::Tensor alone0 = model.forward(ids[0].unsqueeze(0)).logits;
    const at::Tensor alone1 = model.forward(short_row.unsqueeze(0)).logits;
    CHECK(max_diff(batched[0], alone0[0]) <= 1e-5 * logit_scale(alone0));
    CHECK(max_diff(batched[1].narrow(0, 4, length - 4), alone1[0]) <= 1e-5 * logit_scale(alone1));
  }
}

TEST_CASE("32 greedy tokens equal transformers' greedy generation", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    auto ref = reference(name);
    const at::Tensor prompt = ref.at("input_ids")[0];
    std::vector<std::int64_t> prefix(prompt.data_ptr<std::int64_t>(), prompt.data_ptr<std::int64_t>() + prompt.numel());
    SamplingParams greedy;
    greedy.temperature = 0;
    greedy.max_new_tokens = 32;
    const auto samples = sample_continuations(model, prefix, 2, 7, greedy);
    const at::Tensor expected = ref.at("greedy_ids")[0].narrow(0, prompt.numel(), 32);
    for (const auto& sample : samples) {
      REQUIRE(sample.tokens.size() == 32);
      CHECK(at::equal(at::tensor(sample.tokens, at::kLong), expected));
    }
  }
}

TEST_CASE("temperature, top-k and top-p give transformers' distribution", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    auto ref = reference(name);
    const at::Tensor logits = model.forward(ref.at("input_ids").narrow(0, 0, 1)).logits[0][-1];
    SamplingParams params;
    params.temperature = 0.7;
    params.top_k = 50;
    params.top_p = 0.9;
    CHECK(max_diff(next_token_probabilities(logits, params), ref.at("warped_probs")) <= 1e-6);
  }
}

// Pearson's chi-square over categories with expected count >= 5 (the rest pooled), against the
// 0.999 quantile (Wilson-Hilferty): a correct sampler fails this one time in a thousand, and the
// seed is fixed, so the outcome is reproducible.
TEST_CASE("20,000 sampled next tokens follow the warped softmax (chi-square)", "[parity]") {
  const auto placement = GENERATE(SamplerPlacement::kHost, SamplerPlacement::kDevice);
  INFO("device sampler " << (placement == SamplerPlacement::kDevice));
  const std::string name = model_names().front();
  const Model model = load_model(models_dir() / name);
  auto ref = reference(name);
  const at::Tensor prompt = ref.at("input_ids")[0];
  std::vector<std::int64_t> prefix(prompt.data_ptr<std::int64_t>(), prompt.data_ptr<std::int64_t>() + prompt.numel());
  SamplingParams params;
  params.temperature = 0.7;
  params.top_p = 0.9;
  params.max_new_tokens = 1;
  const std::int64_t n = 20000;
  const auto samples = sample_continuations(model, prefix, n, 2026, params, nullptr, {}, placement);
  const at::Tensor logits = model.forward(prompt.unsqueeze(0)).logits[0][-1];
  const at::Tensor probabilities = next_token_probabilities(logits, params);
  std::vector<double> counts(static_cast<std::size_t>(probabilities.numel()), 0);
  for (const auto& sample : samples) counts[static_cast<std::size_t>(sample.tokens.at(0))] += 1;
  double statistic = 0, pooled_observed = 0, pooled_expected = 0;
  int categories = 0;
  for (std::int64_t t = 0; t < probabilities.numel(); ++t) {
    const double expected = probabilities[t].item<double>() * n;
    if (expected == 0) {
      CHECK(counts[t] == 0);  // a token cut by top-p is never drawn
      continue;
    }
    if (expected < 5) {
      pooled_observed += counts[t];
      pooled_expected += expected;
      continue;
    }
    statistic += (counts[t] - expected) * (counts[t] - expected) / expected;
    ++categories;
  }
  if (pooled_expected > 0) {
    statistic += (pooled_observed - pooled_expected) * (pooled_observed - pooled_expected) / pooled_expected;
    ++categories;
  }
  const double df = categories - 1;
  const double z = 3.090232;  // 0.999 normal quantile
  const double critical = df * std::pow(1 - 2 / (9 * df) + z * std::sqrt(2 / (9 * df)), 3);
  INFO("chi-square " << statistic << " on " << df << " df, critical " << critical);
  REQUIRE(df >= 5);
  CHECK(statistic < critical);
}

TEST_CASE("teacher-forced scores equal log-softmax of a plain forward pass", "[parity]") {
  const std::string name = model_names().back();
  const Model model = load_model(models_dir() / name);
  const at::Tensor ids = reference(name).at("input_ids");
  auto row = [&](int r, int from, int count) {
    std::vector<std::int64_t> out;
    for (int i = from; i < from + count; ++i) out.push_back(ids[r][i].item<std::int64_t>());
    return out;
  };
  const auto scores = score_continuations(model, {row(0, 0, 5), row(1, 0, 9)}, {row(0, 5, 7), row(1, 9, 3)});
  const at::Tensor reference_log_probs = model.forward(ids).logits.log_softmax(-1);
  REQUIRE(scores[0].size() == 7);
  REQUIRE(scores[1].size() == 3);
  for (int j = 0; j < 7; ++j) {
    CHECK(std::abs(scores[0][j] - reference_log_probs[0][4 + j][ids[0][5 + j].item<std::int64_t>()].item<double>()) <
          1e-5);
  }
  for (int j = 0; j < 3; ++j) {
    CHECK(std::abs(scores[1][j] - reference_log_probs[1][8 + j][ids[1][9 + j].item<std::int64_t>()].item<double>()) <
          1e-5);
  }
}

TEST_CASE("fused attention (no pattern hook) gives the same logits as transformers", "[parity]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    auto ref = reference(name);
    CHECK(max_diff(model.forward(ref.at("input_ids")).logits, ref.at("logits")) <= 1e-4);
  }
}

TEST_CASE("patching a layer's whole residual stream from another run reproduces that run", "[patching]") {
  for (const auto& name : model_names()) {
    INFO("model " << name);
    const Model model = load_model(models_dir() / name);
    const at::Tensor ids = reference(name).at("input_ids");
    const at::Tensor clean = ids.narrow(0, 0, 1);
    const at::Tensor corrupted = ids.narrow(0, 1, 1);
    const HookPoint site{HookSite::kResidPre, 1};
    ForwardOptions record;
    record.record = {site};
    const ForwardResult clean_run = model.forward(clean, record);
    const std::int64_t length = ids.size(1);
    // Denoising every position of layer 1's input makes everything downstream the clean run's.
    ForwardOptions patch;
    patch.patches.push_back(
        {site, at::zeros({length}, at::kLong), at::arange(length, at::kLong), clean_run.activations.at(site)[0]});
    CHECK(max_diff(model.forward(corrupted, patch).logits, clean_run.logits) <= 1e-5 * logit_scale(clean_run.logits));
    // Patching one position where the runs differ changes the output there and after it, never
    // before. (Organism inputs share a chat-template prefix, so the first differing position.)
    std::int64_t at_position = 0;
    while (at_position < length &&
           clean[0][at_position].item<std::int64_t>() == corrupted[0][at_position].item<std::int64_t>()) {
      ++at_position;
    }
    REQUIRE(at_position < length);
    ForwardOptions one;
    one.patches.push_back({site, at::zeros({1}, at::kLong), at::full({1}, at_position, at::kLong),
                           clean_run.activations.at(site)[0].narrow(0, at_position, 1)});
    const at::Tensor base = model.forward(corrupted).logits;
    const at::Tensor patched = model.forward(corrupted, one).logits;
    if (at_position > 0) {
      CHECK(max_diff(patched.narrow(1, 0, at_position), base.narrow(1, 0, at_position)) == 0);
    }
    CHECK(max_diff(patched.narrow(1, at_position, 1), base.narrow(1, at_position, 1)) > 1e-4);
  }
}

TEST_CASE("the forward pass supports autograd", "[autograd]") {
  const std::string name = model_names().front();
  const Model model = load_model(models_dir() / name);
  for (const auto& [param_name, tensor] : model.parameters()) const_cast<at::Tensor&>(tensor).requires_grad_(true);
  const at::Tensor ids = reference(name).at("input_ids");
  const at::Tensor logits = model.forward(ids).logits;
  const at::Tensor loss = at::cross_entropy_loss(logits.narrow(1, 0, 11).reshape({-1, logits.size(2)}),
                                                 ids.narrow(1, 1, 11).reshape({-1}).to(logits.device()));
  loss.backward();
  for (const auto& [param_name, tensor] : model.parameters()) {
    INFO(param_name);
    REQUIRE(tensor.grad().defined());
    CHECK(at::isfinite(tensor.grad()).all().item<bool>());
  }
}

TEST_CASE("a stop string ends a sample as soon as its text contains it; EOS ids end it too", "[generation]") {
  const auto placement = GENERATE(SamplerPlacement::kHost, SamplerPlacement::kDevice);
  INFO("device sampler " << (placement == SamplerPlacement::kDevice));
  const fs::path dir = models_dir() / "gpt2";  // the one reference model with a tokenizer
  const Model model = load_model(dir);
  const Tokenizer tokenizer = Tokenizer::from_path(dir);
  const std::vector<std::int64_t> prefix{10, 20, 30, 40};
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 6;
  const auto free_run = sample_continuations(model, prefix, 1, 0, greedy, nullptr, {}, placement).at(0);
  REQUIRE(free_run.tokens.size() == 6);
  CHECK(free_run.finish == FinishReason::kLength);
  const std::string third = tokenizer.decode({static_cast<std::uint32_t>(free_run.tokens[2])}, false);
  REQUIRE_FALSE(third.empty());
  SamplingParams stopping = greedy;
  stopping.stop_strings = {third};
  const auto stopped = sample_continuations(model, prefix, 1, 0, stopping, &tokenizer, {}, placement).at(0);
  CHECK(stopped.finish == FinishReason::kStopString);
  CHECK(stopped.tokens.size() <= 3);
  SamplingParams eos = greedy;
  eos.eos_token_ids = {free_run.tokens[1]};
  const auto ended = sample_continuations(model, prefix, 1, 0, eos, nullptr, {}, placement).at(0);
  CHECK(ended.finish == FinishReason::kEos);
  CHECK(ended.tokens.size() == 2);
}

TEST_CASE("a sample depends on its seed and index, not on how many samples run beside it", "[generation]") {
  const auto placement = GENERATE(SamplerPlacement::kHost, SamplerPlacement::kDevice);
  INFO("device sampler " << (placement == SamplerPlacement::kDevice));
  const std::string name = model_names().front();
  const Model model = load_model(models_dir() / name);
  const std::vector<std::int64_t> prefix{5, 6, 7, 8, 9};
  SamplingParams params;
  params.temperature = 1.0;
  params.top_p = 0.95;
  params.max_new_tokens = 40;  // past the device sampler's first block of kDeviceSyncSteps
  const auto four = sample_continuations(model, prefix, 4, 99, params, nullptr, {}, placement);
  const auto nine = sample_continuations(model, prefix, 9, 99, params, nullptr, {}, placement);
  for (int i = 0; i < 4; ++i) CHECK(four[i].tokens == nine[i].tokens);
  CHECK(four[0].tokens.size() == 40);
  const auto again = sample_continuations(model, prefix, 4, 99, params, nullptr, {}, placement);
  for (int i = 0; i < 4; ++i) CHECK(again[i].tokens == four[i].tokens);
  const auto other_seed = sample_continuations(model, prefix, 4, 100, params, nullptr, {}, placement);
  bool any_different = false;
  for (int i = 0; i < 4; ++i) any_different = any_different || other_seed[i].tokens != four[i].tokens;
  CHECK(any_different);
}

TEST_CASE("the device sampler's greedy samples are the host sampler's", "[generation]") {
  const std::string name = model_names().front();
  const Model model = load_model(models_dir() / name);
  const std::vector<std::int64_t> prefix{3, 1, 4, 1, 5};
  SamplingParams greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 20;
  const auto host = sample_continuations(model, prefix, 3, 1, greedy, nullptr, {}, SamplerPlacement::kHost);
  const auto device = sample_continuations(model, prefix, 3, 1, greedy, nullptr, {}, SamplerPlacement::kDevice);
  for (int i = 0; i < 3; ++i) CHECK(host[i].tokens == device[i].tokens);
}

TEST_CASE("device uniforms are uniform, per sample and step, and the draw inverts the CDF", "[generation]") {
  const std::int64_t n = 100000;
  const at::Tensor u = device_uniforms(7, n, 3, at::kCPU);
  REQUIRE(u.size(0) == n);
  CHECK(u.min().item<double>() >= 0.0);
  CHECK(u.max().item<double>() < 1.0);
  CHECK(std::abs(u.mean().item<double>() - 0.5) < 0.005);  // sd of the mean 0.0009
  // Every tenth of [0, 1) holds a tenth of them (each count's sd is about 95).
  const at::Tensor tenths = at::floor(u * 10).to(at::kLong).bincount({}, 10);
  CHECK((tenths - n / 10).abs().max().item<std::int64_t>() < 500);
  // Another step, another seed: other numbers, uncorrelated.
  const at::Tensor next_step = device_uniforms(7, n, 4, at::kCPU);
  const at::Tensor other_seed = device_uniforms(8, n, 3, at::kCPU);
  for (const at::Tensor& other : {next_step, other_seed}) {
    const double correlation = at::corrcoef(at::stack({u, other}))[0][1].item<double>();
    CHECK(std::abs(correlation) < 0.02);
  }
  CHECK(at::equal(device_uniforms(7, 10, 3, at::kCPU), u.narrow(0, 0, 10)));  // a sample's stream ignores the count

  const at::Tensor p = at::tensor({0.0F, 0.5F, 0.0F, 0.5F, 0.0F}).expand({5, -1});
  const at::Tensor chosen = draw_on_device(p, at::tensor({0.0, 0.49, 0.5, 0.99, 1.0 - 1e-16}, at::kDouble));
  const at::Tensor as_long = chosen.to(at::kLong).contiguous();
  const std::vector<std::int64_t> tokens(as_long.data_ptr<std::int64_t>(), as_long.data_ptr<std::int64_t>() + 5);
  CHECK(tokens == std::vector<std::int64_t>{1, 1, 3, 3, 3});
}
