// runtime (internal): the one way log-probabilities of given tokens are read from logits, shared
// by teacher-forced scoring (generation.cc) and activation patching (patching.cc).
#pragma once

#include <ATen/core/Tensor.h>

namespace forensics::runtime::detail {

/// log_softmax(logits)[..., targets]: logits [rows, positions, d_vocab], targets [rows, positions]
/// int64 -> [rows, positions] float64 on the CPU (computed in the logits' dtype, gathered before
/// the copy, so the vocabulary never crosses to the host).
inline at::Tensor target_logprobs(const at::Tensor& logits, const at::Tensor& targets) {
  return logits.log_softmax(-1)
      .gather(-1, targets.to(logits.device()).unsqueeze(-1))
      .squeeze(-1)
      .to(at::kCPU, at::kDouble)
      .contiguous();
}

}  // namespace forensics::runtime::detail
