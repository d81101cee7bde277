// The arguments the model benchmarks share: MODEL_DIR PREFIX_LENGTH COUNT N [DEVICE [DTYPE]],
// the model loaded on that device, a random prefix (seed 0) and a wait for the device's queue.
#pragma once

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <ATen/ATen.h>
#include <torch/cuda.h>

#include "forensics/runtime/model.h"
#include "forensics/runtime/model_service.h"

namespace forensics::bench {

struct Setup {
  runtime::Model model;
  std::vector<std::int64_t> prefix;  // random token ids
  std::int64_t count = 0;
  std::int64_t n = 0;  // the fourth argument: new tokens, or decode steps
};

/// Reads the arguments and loads the model; nothing (after printing `usage`) when they are not
/// 4 to 6. DEVICE and DTYPE as `forensics model sample --device/--dtype` takes them (default cpu, auto).
inline std::optional<Setup> read_setup(int argc, char** argv, const std::string& usage) {
  if (argc < 5 || argc > 7) {
    std::cerr << "usage: " << usage << "\n";
    return std::nullopt;
  }
  runtime::DeviceChoice choice;
  choice.device = argc > 5 ? argv[5] : "cpu";
  choice.dtype = runtime::parse_dtype_choice(argc > 6 ? argv[6] : "auto");
  Setup setup{
      runtime::Model::load(argv[1], runtime::load_options(choice)), {}, std::stoll(argv[3]), std::stoll(argv[4])};
  const std::int64_t length = std::stoll(argv[2]);
  at::manual_seed(0);
  const at::Tensor random = at::randint(0, setup.model.config().d_vocab, {length}, at::kLong);
  setup.prefix.assign(random.data_ptr<std::int64_t>(), random.data_ptr<std::int64_t>() + length);
  return setup;
}

/// A GPU runs asynchronously: waits for its queued work so a clock reading covers it.
inline void wait_for(const runtime::Model& model) {
  if (model.device().is_cuda()) torch::cuda::synchronize(model.device().index());
}

}  // namespace forensics::bench
