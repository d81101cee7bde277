// Generation throughput: `count` samples of `new_tokens` from one random `prefix_length` prefix,
// timing the prefill (done once) and the decoding apart. One JSON line; scripts/bench_generation.py
// runs it next to transformers' generate.
//   usage: forensics_generation_bench MODEL_DIR PREFIX_LENGTH COUNT NEW_TOKENS [DEVICE [DTYPE]]
// DEVICE and DTYPE as `forensics model sample --device/--dtype` takes them (default cpu, auto).
#include <chrono>
#include <iostream>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "bench_setup.h"
#include "forensics/runtime/generation.h"
#include "forensics/runtime/torch_info.h"
#include "forensics/util/json.h"

namespace {

using namespace forensics::runtime;
using forensics::bench::wait_for;

double prefill_seconds(const Model& model, const std::vector<std::int64_t>& prefix) {
  const auto start = std::chrono::steady_clock::now();
  at::InferenceMode inference;
  KvCache cache = model.new_cache();
  ForwardOptions options;
  options.cache = &cache;
  model.forward(at::tensor(prefix, at::kLong).unsqueeze(0), options);
  wait_for(model);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  using Clock = std::chrono::steady_clock;
  try {
    auto setup = forensics::bench::read_setup(
        argc, argv, "forensics_generation_bench MODEL_DIR PREFIX_LENGTH COUNT NEW_TOKENS [DEVICE [DTYPE]]");
    if (!setup) return 2;
    const Model& model = setup->model;
    const std::vector<std::int64_t>& prefix = setup->prefix;
    const std::int64_t count = setup->count;
    const std::int64_t new_tokens = setup->n;

    SamplingParams params;
    params.temperature = 1.0;
    params.max_new_tokens = new_tokens;  // no EOS: every sample runs to the end
    if (model.device().is_cuda()) {
      // The first CUDA calls load kernels and create the cuBLAS handle; keep that out of the timing.
      prefill_seconds(model, prefix);
      SamplingParams warm_up = params;
      warm_up.max_new_tokens = 4;
      sample_continuations(model, prefix, count, 0, warm_up);
    }

    // The prefill alone, timed once, to report its share of the total.
    const double prefill = prefill_seconds(model, prefix);

    auto start = Clock::now();
    const auto samples = sample_continuations(model, prefix, count, 1, params);
    wait_for(model);
    const double total = std::chrono::duration<double>(Clock::now() - start).count();
    std::int64_t generated = 0;
    for (const auto& sample : samples) generated += static_cast<std::int64_t>(sample.tokens.size());
    const TorchInfo info = torch_info();
    forensics::Json out = {{"seconds", total},
                           {"prefill_seconds", prefill},
                           {"generated_tokens", generated},
                           {"parameters", model.parameter_count()},
                           {"threads", at::get_num_threads()},
                           {"device", model.device().str()},
                           {"dtype", std::string(c10::toString(model.dtype()))},
                           {"libtorch", info.version},
                           {"blas", info.blas}};
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "forensics_generation_bench: " << e.what() << "\n";
    return 4;
  }
}
