// runtime: the local libtorch model behind the ModelRunner interface the probes use.
#include <cstdlib>
#include <memory>
#include <string_view>

#include "forensics/runtime/generation.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/model_service.h"
#include "forensics/runtime/patching.h"
#include "forensics/runtime/prefix_cache.h"
#include "forensics/runtime/torch_info.h"

namespace forensics::runtime {
namespace {

// FORENSICS_PREFIX_STORE=off keeps no prefix blocks (to time or check the store: the samples are
// the same either way).
std::int64_t prefix_store_budget() {
  const char* setting = std::getenv("FORENSICS_PREFIX_STORE");
  return setting != nullptr && std::string_view(setting) == "off" ? 0 : kPrefixStoreBytes;
}

class LocalRunner final : public ModelRunner {
 public:
  LocalRunner(Model model, const Tokenizer& tokenizer) : model_(std::move(model)), tokenizer_(tokenizer) {
    const ModelConfig& config = model_.config();
    shape_.n_layers = config.n_layers;
    shape_.d_vocab = config.d_vocab;
    shape_.n_ctx = config.n_ctx;
    shape_.parameter_count = model_.parameter_count();
    shape_.eos_token_ids = config.eos_token_ids;
  }

  const ModelShape& shape() const override { return shape_; }
  std::string device() const override { return model_.device().str(); }
  Dtype dtype() const override { return dtype_of(model_.dtype()); }
  std::vector<std::pair<std::string, std::string>> backend() const override {
    return {{"libtorch", torch_info().version}};
  }

  std::vector<Sample> sample(const std::vector<std::int64_t>& prefix, std::int64_t count, std::uint64_t seed,
                             const SamplingParams& params, const SamplesFinished& on_finished) const override {
    return sample_continuations(model_, prefix, count, seed, params, &tokenizer_, on_finished, SamplerPlacement::kAuto,
                                &prefix_store_);
  }

  std::vector<std::vector<double>> score(const std::vector<std::vector<std::int64_t>>& contexts,
                                         const std::vector<std::vector<std::int64_t>>& continuations) const override {
    return score_continuations(model_, contexts, continuations);
  }

  PatchingResult patch(const PatchingInput& input) const override { return patch_activations(model_, input); }

 private:
  Model model_;
  const Tokenizer& tokenizer_;
  ModelShape shape_;
  // Conditions of one investigation share most of their prompt: its blocks are computed once.
  mutable PrefixStore prefix_store_{prefix_store_budget()};
};

}  // namespace

std::shared_ptr<const OpenModel> open_local_model(const std::filesystem::path& directory, const DeviceChoice& device) {
  const LoadOptions options = load_options(device);  // a bad --device fails before any loading
  auto model = std::make_shared<OpenModel>(OpenModel{Tokenizer::from_path(directory), nullptr});
  model->runner = std::make_unique<LocalRunner>(Model::load(directory, options), model->tokenizer);
  return model;
}

}  // namespace forensics::runtime
