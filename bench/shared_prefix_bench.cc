// Decoding from a prefix every sample shares, two ways in the same process: each row holding its
// own copy of the prefix's keys and values (KvCache::expand_rows), and every row attending to one
// copy (KvCache::share_rows). Times `steps` decode steps of `count` rows after one random
// `prefix_length` prefix; prints one JSON line. scripts/bench_growth.py runs it over prefix lengths,
// scripts/device_check.sh on a GPU.
//   usage: forensics_shared_prefix_bench MODEL_DIR PREFIX_LENGTH COUNT STEPS [DEVICE [DTYPE]]
// DEVICE and DTYPE as `forensics model sample --device/--dtype` takes them (default cpu, auto).
#include <chrono>
#include <iostream>

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include "bench_setup.h"
#include "forensics/util/json.h"

namespace {

using namespace forensics::runtime;
using forensics::bench::wait_for;

// `steps` decode steps of `count` rows after `prefix`, the prefix shared or copied: their time
// (the prefill not counted) and the last step's logits, to compare the two ways.
struct Decoded {
  double seconds = 0;
  at::Tensor logits;  // the last step's
};

Decoded decode(const Model& model, const at::Tensor& prefix, std::int64_t count, std::int64_t steps, bool share) {
  at::InferenceMode inference;
  KvCache cache = model.new_cache();
  ForwardOptions options;
  options.cache = &cache;
  model.forward(prefix.unsqueeze(0), options);
  wait_for(model);
  const auto start = std::chrono::steady_clock::now();
  if (share) {
    cache.share_rows(count, steps);
  } else {
    cache.expand_rows(count, steps);
  }
  at::Tensor logits;
  for (std::int64_t step = 0; step < steps; ++step) {
    const at::Tensor next = at::full({count, 1}, (step * 7919) % model.config().d_vocab, at::kLong);
    logits = model.forward(next, options).logits;
  }
  wait_for(model);
  return {std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), logits};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto setup = forensics::bench::read_setup(
        argc, argv, "forensics_shared_prefix_bench MODEL_DIR PREFIX_LENGTH COUNT STEPS [DEVICE [DTYPE]]");
    if (!setup) return 2;
    const Model& model = setup->model;
    const at::Tensor prefix = at::tensor(setup->prefix, at::kLong);
    decode(model, prefix, setup->count, 2, false);  // warm-up: first calls allocate and pick kernels
    const Decoded copied = decode(model, prefix, setup->count, setup->n, false);
    const Decoded shared = decode(model, prefix, setup->count, setup->n, true);
    const double difference = (copied.logits - shared.logits).abs().max().item<double>();  // float32 logits
    forensics::Json out = {{"copied_seconds", copied.seconds},   {"shared_seconds", shared.seconds},
                           {"max_logit_difference", difference}, {"threads", at::get_num_threads()},
                           {"device", model.device().str()},     {"dtype", std::string(c10::toString(model.dtype()))}};
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "forensics_shared_prefix_bench: " << e.what() << "\n";
    return 4;
  }
}
