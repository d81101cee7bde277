#include "forensics/runtime/model_service.h"

#include <torch/cuda.h>

#include <algorithm>
#include <chrono>

#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/patching.h"
#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/tokenizer.h"
#include "forensics/util/error.h"

namespace forensics::runtime {
namespace fs = std::filesystem;

LoadOptions load_options(const DeviceChoice& choice) {
  LoadOptions options;
  const bool cuda_available = torch::cuda::is_available();
  if (choice.device == "auto") {
    options.device = cuda_available ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  } else if (choice.device == "cpu") {
    options.device = c10::Device(c10::kCPU);
  } else if (choice.device.rfind("cuda", 0) == 0) {
    if (!cuda_available) throw ModelError("--device " + choice.device + ": no CUDA device is available");
    try {
      options.device = c10::Device(choice.device);
    } catch (const std::exception&) {
      throw InputError("--device: \"" + choice.device + "\" is not a device (cuda or cuda:N)");
    }
  } else {
    throw InputError("--device: expected auto, cpu, cuda or cuda:N, got \"" + choice.device + "\"");
  }
  if (choice.dtype) options.dtype = scalar_type(*choice.dtype);
  return options;
}

c10::ScalarType scalar_type(Dtype dtype) {
  switch (dtype) {
    case Dtype::kFloat32: return c10::kFloat;
    case Dtype::kBFloat16: return c10::kBFloat16;
    case Dtype::kFloat16: return c10::kHalf;
  }
  return c10::kFloat;
}

Dtype dtype_of(c10::ScalarType type) {
  for (const auto& entry : kDtypeNames.entries()) {
    if (scalar_type(entry.value) == type) return entry.value;
  }
  throw ModelError(std::string("a model computes in ") + c10::toString(type) + ", not a supported dtype");
}

namespace {

// The model commands' inputs must fit the model's context, as an incident's prompts must (the
// probes' unrunnable_prompt): past it a learned position table has no row, and rotary positions
// were never trained.
void check_context(const Model& model, std::int64_t tokens, const std::string& what) {
  const std::int64_t context = model.config().n_ctx;
  if (context > 0 && tokens > context) {
    throw InputError(what + " is " + std::to_string(tokens) + " tokens, more than the model's " +
                     std::to_string(context) + "-token context (max_position_embeddings)");
  }
}

}  // namespace

std::vector<TokenScore> score_text(const fs::path& directory, const std::string& context,
                                   const std::string& continuation, const DeviceChoice& device) {
  const LoadOptions options = load_options(device);  // a bad --device fails before any loading
  const Tokenizer tokenizer = Tokenizer::from_path(directory);
  const Model model = Model::load(directory, options);
  const auto context_ids = tokenizer.model_ids(context);
  const auto continuation_ids = tokenizer.model_ids(continuation);
  if (context_ids.empty()) throw InputError("--context tokenizes to nothing; give some context");
  if (continuation_ids.empty()) throw InputError("--continuation tokenizes to nothing");
  check_context(model, static_cast<std::int64_t>(context_ids.size() + continuation_ids.size()),
                "--context with --continuation");
  const auto scores = score_continuations(model, {context_ids}, {continuation_ids});
  std::vector<TokenScore> out;
  for (std::size_t j = 0; j < continuation_ids.size(); ++j) {
    out.push_back({continuation_ids[j],
                   tokenizer.id_to_token(static_cast<std::uint32_t>(continuation_ids[j])).value_or(""), scores[0][j]});
  }
  return out;
}

std::vector<SampledText> sample_text(const fs::path& directory, const std::string& prompt, const TextSampling& sampling,
                                     const DeviceChoice& device) {
  const LoadOptions options = load_options(device);
  const Tokenizer tokenizer = Tokenizer::from_path(directory);
  const Model model = Model::load(directory, options);
  const auto prefix = tokenizer.model_ids(prompt);
  if (prefix.empty()) throw InputError("--prompt tokenizes to nothing");
  check_context(model, static_cast<std::int64_t>(prefix.size()) + sampling.params.max_new_tokens,
                "--prompt with --max-new-tokens");
  SamplingParams params = sampling.params;
  params.eos_token_ids = model.config().eos_token_ids;
  std::vector<SampledText> out;
  for (const auto& sample : sample_continuations(model, prefix, sampling.count, sampling.seed, params, &tokenizer)) {
    SampledText text;
    text.tokens = sample.tokens;
    text.text = tokenizer.decode(std::vector<std::uint32_t>(sample.tokens.begin(), sample.tokens.end()), true);
    text.finish = sample.finish;
    out.push_back(std::move(text));
  }
  return out;
}

TimedPatching patch_model(const fs::path& directory, const PatchingInput& input, const DeviceChoice& device) {
  using Clock = std::chrono::steady_clock;
  const LoadOptions options = load_options(device);
  const auto start = Clock::now();
  const Model model = Model::load(directory, options);
  const auto loaded = Clock::now();
  std::size_t width = 0;
  for (const auto& continuation : input.continuations) width = std::max(width, continuation.size());
  check_context(model,
                static_cast<std::int64_t>(std::max(input.clean_prompt.size(), input.corrupted_prompt.size()) + width),
                "the longer prompt with the longest --continuation");
  TimedPatching out;
  out.result = patch_activations(model, input);  // metrics come back as host doubles: the device is done
  out.load_seconds = std::chrono::duration<double>(loaded - start).count();
  out.patch_seconds = std::chrono::duration<double>(Clock::now() - loaded).count();
  return out;
}

}  // namespace forensics::runtime
