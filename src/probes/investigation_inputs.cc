// probes: what investigate and its dry run read before a model is opened.
#include "investigation_inputs.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "forensics/incident/chat_format.h"
#include "forensics/incident/edit.h"
#include "forensics/incident/reader.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/sampling.h"
#include "forensics/util/error.h"
#include "forensics/util/host_memory.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"

namespace forensics::probes {
namespace fs = std::filesystem;

namespace {

// No tokenizer makes tokens longer than this many bytes: a prompt longer than the context times
// this is refused without being tokenized (a 10 MB message would take long to encode).
constexpr std::size_t kMaxBytesPerToken = 1024;

struct PromptTokens {
  std::size_t count = 0;  // tokens, or bytes when `too_long_to_encode`
  bool too_long_to_encode = false;
  std::optional<std::int64_t> past_vocabulary;  // a token id the model's embedding has no row for
};

/// The prompt (the messages before the action, as the chat format renders them) as tokens; not
/// encoded when its bytes alone show it longer than `limit` tokens.
PromptTokens prompt_tokens(const incident::Transcript& transcript, std::size_t action_message,
                           const incident::Format& format, const runtime::Tokenizer& tokenizer, std::size_t limit,
                           std::int64_t vocabulary) {
  const std::string prompt = incident::render_prompt(transcript, action_message, format).text;
  if (prompt.size() > limit * kMaxBytesPerToken) return {prompt.size(), true, std::nullopt};
  PromptTokens out;
  const auto ids = tokenizer.model_ids(prompt);
  out.count = ids.size();
  for (const auto id : ids) {
    if (id >= vocabulary) out.past_vocabulary = id;
  }
  return out;
}

/// Where a run's memory comes from: this machine's, or the GPU's the device names (nvidia-smi's
/// free memory); nothing when unknown (no nvidia-smi: the runtime says whether CUDA is there).
struct MemoryPool {
  std::string name;  // "this machine", "cuda:1"
  double available = 0;
  bool gpu = false;
};

std::optional<MemoryPool> memory_pool(const std::string& device) {
  if (device == "cpu") {
    const auto available = util::available_host_memory();
    if (!available) return std::nullopt;
    return MemoryPool{"this machine", *available, false};
  }
  const auto gpus = util::visible_gpus();
  if (device == "auto" && gpus.empty()) return memory_pool("cpu");
  const int index = device.rfind("cuda:", 0) == 0 ? std::atoi(device.c_str() + 5) : 0;
  for (const auto& gpu : gpus) {
    if (gpu.index == index) return MemoryPool{"cuda:" + std::to_string(index), gpu.free_bytes, true};
  }
  return std::nullopt;
}

/// A run holds the weights in the compute dtype and, while sampling, the key/value cache of every
/// sample of a condition (they decode in one batch): a copy of the prompt's per sample, or, for a
/// long prompt the samples share (docs/runtime.md, "Shared prefix"), one copy of it and each
/// sample's own tokens, plus the store of prompt blocks (counted at its budget). Refused before loading
/// when that is more than the device has: an out-of-memory kill mid-run loses the run, swapping
/// makes it crawl, and a CUDA out-of-memory error comes only after the weights have loaded.
void check_memory(const incident::Incident& incident, const ProbePlan& plan, const InvestigateOptions& options,
                  const runtime::ModelDirectoryCheck& model, std::size_t longest_prompt, const fs::path& path) {
  if (!model.config) return;
  const auto pool = memory_pool(options.device.device);
  if (!pool) return;
  std::int64_t samples = 1;
  for (const auto& planned : plan.probes) {
    if (planned.runs() && planned.standard_samples) {
      samples = std::max(samples, budget_samples(*planned.standard_samples, options.budget, options.samples));
    }
  }
  // No dtype asked for: bfloat16 on CUDA; on the CPU a half-precision checkpoint as stored (Model::load).
  const bool stored_half =
      model.parameter_count > 0 && model.weight_bytes < 4 * static_cast<std::size_t>(model.parameter_count);
  const runtime::Dtype dtype = options.device.dtype.value_or(
      incident.model.dtype.value_or(pool->gpu || stored_half ? runtime::Dtype::kBFloat16 : runtime::Dtype::kFloat32));
  const double element = dtype == runtime::Dtype::kFloat32 ? 4 : 2;
  const auto& config = *model.config;
  const double weights = static_cast<double>(model.parameter_count) * element;
  const auto prompt = static_cast<std::int64_t>(longest_prompt);
  const double tokens = static_cast<double>(prompt + plan.sampling.max_new_tokens);
  const double per_token =
      static_cast<double>(config.n_layers) * 2 * static_cast<double>(config.n_kv_heads * config.d_head) * element;
  const bool long_prompt = prompt >= runtime::kLongPrefix;
  const double cached_tokens = runtime::shares_prefix(config, prompt)
                                   ? static_cast<double>(prompt + samples * plan.sampling.max_new_tokens)
                                   : static_cast<double>(samples) * tokens;
  const double store = long_prompt ? static_cast<double>(runtime::kPrefixStoreBytes) : 0;
  const double cache = cached_tokens * per_token + store;
  if (weights + cache <= pool->available) return;
  throw InputError(
      path.string() + ": this run needs about " + util::memory_text(weights + cache) + " of memory (weights " +
      util::memory_text(weights) + " in " + std::string(runtime::kDtypeNames.name(dtype)) + ", key/value cache " +
      util::memory_text(cache) + " for " + std::to_string(samples) + " samples of up to " +
      std::to_string(static_cast<std::int64_t>(tokens)) + " tokens decoded together" +
      (long_prompt ? ", with up to " + util::memory_text(store) + " of stored prompt blocks" : "") + "), but " +
      pool->name + " has " + util::memory_text(pool->available) + (pool->gpu ? " free (nvidia-smi)" : " available") +
      ": lower --samples or --max-new-tokens, or run on " + (pool->gpu ? "a larger GPU" : "a GPU"));
}

}  // namespace

std::optional<std::string> unrunnable_prompt(const incident::Incident& incident,
                                             const runtime::ModelDirectoryCheck& model, std::int64_t max_new_tokens,
                                             std::size_t* longest_prompt) {
  if (!model.config || !model.tokenizer) return std::nullopt;
  const auto context = static_cast<std::size_t>(model.config->n_ctx);
  const auto turn = static_cast<std::size_t>(std::max<std::int64_t>(0, max_new_tokens));
  if (turn >= context) {
    return "max_new_tokens " + std::to_string(turn) + " leaves no room in the model's " + std::to_string(context) +
           "-token context";
  }
  const std::size_t room = context - turn;
  const auto problem = [&](const incident::Transcript& transcript, std::size_t action,
                           const std::string& what) -> std::optional<std::string> {
    const PromptTokens tokens =
        prompt_tokens(transcript, action, incident.format, *model.tokenizer, room, model.config->d_vocab);
    if (longest_prompt != nullptr) *longest_prompt = std::max(*longest_prompt, tokens.count);
    if (tokens.count > room) {
      return what + " is " + std::to_string(tokens.count) + (tokens.too_long_to_encode ? " bytes" : " tokens") +
             "; with max_new_tokens " + std::to_string(turn) + " it does not fit the model's " +
             std::to_string(context) + "-token context (max_position_embeddings)";
    }
    if (tokens.past_vocabulary) {
      return what + " holds token id " + std::to_string(*tokens.past_vocabulary) + " (\"" +
             model.tokenizer->id_to_token(static_cast<std::uint32_t>(*tokens.past_vocabulary)).value_or("?") +
             "\"), but the model's vocabulary (vocab_size) has " + std::to_string(model.config->d_vocab) +
             " rows: the tokenizer is not this model's";
    }
    return std::nullopt;
  };
  if (auto found = problem(incident.transcript, incident.action.message, "the prompt")) return found;
  for (const auto& intervention : incident.interventions) {
    const auto edited = incident::apply_edits(incident.transcript, incident.action.message, intervention.edits);
    if (auto found =
            problem(edited.transcript, edited.action_message, "the prompt of intervention " + intervention.id)) {
      return found;
    }
  }
  return std::nullopt;
}

Inputs read_inputs(const fs::path& path, const InvestigateOptions& options) {
  incident::IncidentCheckOptions check_options;
  check_options.scan_weights = options.scan_weights;
  check_options.model_must_exist = true;
  check_options.hash_weights = true;  // the verdict records what it was computed with
  check_options.weights_optional = options.engine.has_value();
  Json document = util::parse_json_strict(util::read_text_file(path, incident::kMaxIncidentBytes), path.string());
  if (options.model && document.is_object() && document.contains("model") && document["model"].is_object()) {
    // Another model version: the incident's pin names the old weights.
    document["model"]["path"] = fs::absolute(*options.model).lexically_normal().string();
    document["model"].erase("weights_sha256");
  }
  incident::IncidentCheck check =
      incident::check_incident(document, fs::absolute(path).lexically_normal(), check_options);
  std::optional<ProbePlan> plan;
  if (check.incident) plan = plan_probes(*check.incident, options.probes, check.diagnostics);
  if (plan) {
    plan->sampling =
        read_sampling(options.sampling_overrides, util::JsonPath() / "command line", plan->sampling, check.diagnostics);
  }
  if (!check.incident || check.diagnostics.has_errors()) {
    throw incident::InvalidIncident(path, std::move(check.diagnostics));
  }
  // Said before the run, while stopping it costs nothing (and before a refusal they may explain:
  // a wrong chat format makes the prompt longer).
  for (const auto& item : check.diagnostics.all()) {
    util::log_warning(path.string() + ": " + util::to_string(item));
  }
  std::size_t longest_prompt = 0;
  if (const auto problem =
          unrunnable_prompt(*check.incident, *check.model, plan->sampling.max_new_tokens, &longest_prompt)) {
    throw InputError(path.string() + ": " + *problem);
  }
  if (!options.engine) check_memory(*check.incident, *plan, options, *check.model, longest_prompt, path);
  return {std::move(*check.incident), std::move(*plan), check.model->weights_sha256.value_or("")};
}

runtime::DeviceChoice device_for(const incident::Incident& incident, const InvestigateOptions& options) {
  runtime::DeviceChoice device = options.device;
  if (!device.dtype) device.dtype = incident.model.dtype;
  return device;
}

}  // namespace forensics::probes
