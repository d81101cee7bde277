// engine: the model behind a running OpenAI-compatible server (vLLM, SGLang) as a ModelRunner:
// sampling and teacher-forced scoring go to /v1/completions with our prompt as token ids, one
// request per sample, answers kept in the request cache; activation patching runs on the local
// weights when the model directory has them (docs/engine.md).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>

#include "forensics/engine/engine_client.h"
#include "forensics/runtime/runner.h"

namespace forensics::engine {

/// Opens the model locally (its weights in this process), for patching and for the log-prob
/// check; empty when the model directory has no weights.
using LocalModelOpener = std::function<std::shared_ptr<const runtime::OpenModel>()>;

/// The largest difference between the server's log-probs of the check text and ours accepted as
/// "the same model" by default. Measured (docs/engine.md): vLLM on the CPU in float32 serving the
/// confused organism is within 8.6e-6 of our runtime; serving another checkpoint with the same
/// tokenizer (organism-confused-v2) it is up to 10 nats away.
inline constexpr double kDefaultLogprobTolerance = 1e-2;

struct EngineModelOptions {
  EngineSettings settings;
  double logprob_tolerance = kDefaultLogprobTolerance;
  std::optional<runtime::Dtype> dtype;  // what the verdict records; the server decides what it computes in
};

/// Connects to the server, picks the served model, checks that it tokenizes as the model
/// directory's tokenizer does and, when `open_local` is given, that its log-probs of a fixed text
/// equal ours within the tolerance. Throws EngineError (exit 4) when the server cannot be reached
/// or serves another model, InputError for bad settings.
std::shared_ptr<const runtime::OpenModel> open_engine_model(const std::filesystem::path& model_directory,
                                                            const EngineModelOptions& options,
                                                            const LocalModelOpener& open_local);

}  // namespace forensics::engine
