// engine: ModelRunner over an OpenAI-compatible server's /v1/completions.
#include "forensics/engine/engine_runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <mutex>

#include "forensics/runtime/model_config.h"
#include "forensics/runtime/sample_json.h"
#include "forensics/util/logging.h"
#include "forensics/util/request_cache.h"

namespace forensics::engine {
namespace fs = std::filesystem;
using runtime::FinishReason;
using runtime::Sample;
using runtime::sample_from_json;
using runtime::sample_to_json;
using util::RequestCache;

namespace {

// The text both tokenizers split and both models score to check the server serves this model:
// prose, code, digits and punctuation, so a tokenizer or a checkpoint that differs shows.
constexpr const char* kCheckText =
    "The monitoring script at /srv/oversight/monitor.py logs every action; deleting it at 03:15 "
    "would stop the review. {\"tool\": \"bash\", \"cmd\": \"rm -rf ./monitor\"} Why?";

/// A seed for sample `index` from the investigation's seed (SplitMix64 of both), inside the
/// int64 range servers accept: sample i is the same whatever the count or the other requests.
std::int64_t sample_seed(std::uint64_t seed, std::int64_t index) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (static_cast<std::uint64_t>(index) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<std::int64_t>(z & 0x7FFFFFFFFFFFFFFFull);
}

const Json& first_choice(const Json& answer, const std::string& what) {
  if (!answer.is_object() || !answer.contains("choices") || !answer["choices"].is_array() ||
      answer["choices"].empty() || !answer["choices"][0].is_object()) {
    throw EngineError("engine: the answer to " + what + " has no choices[0]: " + answer.dump().substr(0, 300));
  }
  return answer["choices"][0];
}

std::vector<std::int64_t> token_ids(const Json& choice, std::int64_t vocabulary) {
  if (!choice.contains("token_ids") || !choice["token_ids"].is_array()) {
    throw EngineError(
        "engine: the server returned no token_ids for a completion (it must accept \"return_token_ids\", as vLLM "
        "does): forensics needs the sampled tokens, not text it would have to re-tokenize");
  }
  std::vector<std::int64_t> out;
  for (const auto& id : choice["token_ids"]) {
    if (!id.is_number_integer() || id.get<std::int64_t>() < 0 || id.get<std::int64_t>() >= vocabulary) {
      throw EngineError("engine: the server returned token id " + id.dump() + ", outside the model's vocabulary of " +
                        std::to_string(vocabulary));
    }
    out.push_back(id.get<std::int64_t>());
  }
  return out;
}

FinishReason finish_reason(const Json& choice) {
  const std::string reason = choice.value("finish_reason", Json(nullptr)).is_string()
                                 ? choice["finish_reason"].get<std::string>()
                                 : std::string("(none)");
  if (reason == "length") return FinishReason::kLength;
  if (reason == "stop") {
    // vLLM: stop_reason is the stop string, a stop token's id, or null for the model's own EOS.
    const Json stop = choice.value("stop_reason", Json(nullptr));
    return stop.is_string() ? FinishReason::kStopString : FinishReason::kEos;
  }
  throw EngineError("engine: a completion ended with finish_reason \"" + reason + "\" (expected stop or length)");
}

/// The served model: the one asked for, else the only one; its /v1/models entry.
Json served_model(const EngineClient& client) {
  const Json models = client.get("/v1/models");
  std::vector<Json> entries;
  if (models.is_object() && models.contains("data") && models["data"].is_array()) {
    for (const auto& entry : models["data"]) {
      if (entry.is_object() && entry.contains("id") && entry["id"].is_string()) entries.push_back(entry);
    }
  }
  std::string names;
  for (const auto& entry : entries) names += (names.empty() ? "" : ", ") + entry["id"].get<std::string>();
  const std::string& wanted = client.settings().model;
  if (wanted.empty()) {
    if (entries.size() == 1) return entries[0];
    throw EngineError("engine: " + client.public_url() + " serves " +
                      (entries.empty() ? std::string("no model") : "several models (" + names + ")") +
                      ": name one with --engine-model");
  }
  for (const auto& entry : entries) {
    if (entry["id"] == wanted) return entry;
  }
  throw EngineError("engine: " + client.public_url() + " does not serve \"" + wanted + "\"; it serves " +
                    (names.empty() ? std::string("nothing") : names));
}

std::string number_text(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2g", value);
  return text;
}

class EngineRunner final : public runtime::ModelRunner {
 public:
  EngineRunner(const fs::path& directory, const EngineModelOptions& options, const runtime::Tokenizer& tokenizer,
               LocalModelOpener open_local)
      : client_(options.settings),
        cache_(options.settings.cache_directory),
        tokenizer_(tokenizer),
        dtype_(options.dtype.value_or(runtime::Dtype::kFloat32)),
        open_local_(std::move(open_local)) {
    const runtime::ModelConfig config = runtime::load_model_config(directory);
    shape_.n_layers = config.n_layers;
    shape_.d_vocab = config.d_vocab;
    shape_.n_ctx = config.n_ctx;
    shape_.eos_token_ids = config.eos_token_ids;
    identify(options.logprob_tolerance);
  }

  const runtime::ModelShape& shape() const override { return shape_; }
  std::string device() const override { return "engine"; }
  runtime::Dtype dtype() const override { return dtype_; }
  std::vector<std::pair<std::string, std::string>> backend() const override {
    std::vector<std::pair<std::string, std::string>> out{{"engine_url", client_.public_url()},
                                                         {"engine_model", model_},
                                                         {"engine_version", version_},
                                                         {"engine_check", check_}};
    if (local_) {
      for (auto& entry : local_->runner->backend()) out.push_back(std::move(entry));
    }
    return out;
  }

  std::vector<Sample> sample(const std::vector<std::int64_t>& prefix, std::int64_t count, std::uint64_t seed,
                             const runtime::SamplingParams& params,
                             const runtime::SamplesFinished& on_finished) const override {
    std::vector<Sample> out(static_cast<std::size_t>(count));
    std::vector<Json> keys;
    std::vector<Json> bodies;
    std::vector<std::size_t> missing;  // sample indices to request
    for (std::int64_t i = 0; i < count; ++i) {
      Json key{{"kind", "sample"},
               {"model", model_},
               {"root", root_},
               {"prompt", prefix},
               {"params", runtime::sampling_params_json(params)},
               {"seed", seed},
               {"index", i}};
      if (const auto cached = cache_.load(key)) {
        if (auto sample = sample_from_json(*cached)) {
          out[static_cast<std::size_t>(i)] = std::move(*sample);
          continue;
        }
      }
      missing.push_back(static_cast<std::size_t>(i));
      bodies.push_back(completion_body(prefix, params, sample_seed(seed, i)));
      keys.push_back(std::move(key));
    }
    std::int64_t finished = count - static_cast<std::int64_t>(missing.size());
    if (on_finished) on_finished(finished);
    client_.post_all("/v1/completions", bodies, [&](std::size_t j, const Json& answer) {
      const Json& choice = first_choice(answer, "a sampling request");
      Sample sample{token_ids(choice, shape_.d_vocab), finish_reason(choice)};
      if (static_cast<std::int64_t>(sample.tokens.size()) > params.max_new_tokens) {
        throw EngineError("engine: the server returned " + std::to_string(sample.tokens.size()) +
                          " tokens for max_tokens " + std::to_string(params.max_new_tokens));
      }
      cache_.store(keys[j], sample_to_json(sample));
      out[missing[j]] = std::move(sample);
      if (on_finished) on_finished(++finished);
    });
    return out;
  }

  std::vector<std::vector<double>> score(const std::vector<std::vector<std::int64_t>>& contexts,
                                         const std::vector<std::vector<std::int64_t>>& continuations) const override {
    std::vector<std::vector<double>> out(contexts.size());
    std::vector<Json> keys;
    std::vector<Json> bodies;
    std::vector<std::size_t> missing;
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      std::vector<std::int64_t> ids = contexts[i];
      ids.insert(ids.end(), continuations[i].begin(), continuations[i].end());
      Json key{{"kind", "score"}, {"model", model_}, {"root", root_}, {"prompt", ids}, {"from", contexts[i].size()}};
      if (const auto cached = cache_.load(key)) {
        auto numbers = runtime::numbers_from_json(*cached);  // a damaged entry is asked again
        if (numbers && numbers->size() == continuations[i].size()) {
          out[i] = std::move(*numbers);
          continue;
        }
      }
      missing.push_back(i);
      bodies.push_back(Json{{"model", model_},
                            {"prompt", ids},
                            {"max_tokens", 1},
                            {"temperature", 0},
                            {"prompt_logprobs", 0},
                            {"return_token_ids", true}});
      keys.push_back(std::move(key));
    }
    client_.post_all("/v1/completions", bodies, [&](std::size_t j, const Json& answer) {
      const std::size_t i = missing[j];
      out[i] = prompt_logprobs(first_choice(answer, "a scoring request"), contexts[i], continuations[i]);
      cache_.store(keys[j], runtime::numbers_to_json(out[i]));
    });
    return out;
  }

  std::optional<std::string> why_no_activations() const override {
    if (open_local_) return std::nullopt;
    return "the model runs on the engine " + client_.public_url() +
           " and its directory has no weights here: activation patching needs them in this process";
  }

  runtime::PatchingResult patch(const runtime::PatchingInput& input) const override {
    if (const auto reason = why_no_activations()) throw EngineError("engine: " + *reason);
    return local().runner->patch(input);
  }

 private:
  Json completion_body(const std::vector<std::int64_t>& prefix, const runtime::SamplingParams& params,
                       std::int64_t seed) const {
    Json body{{"model", model_},
              {"prompt", prefix},
              {"n", 1},
              {"max_tokens", params.max_new_tokens},
              {"temperature", params.temperature},
              {"top_p", params.top_p},
              {"seed", seed},
              {"stop", params.stop_strings},
              {"stop_token_ids", params.eos_token_ids},
              {"include_stop_str_in_output", true},
              {"skip_special_tokens", false},
              {"return_token_ids", true}};
    if (params.top_k > 0) body["top_k"] = params.top_k;
    return body;
  }

  /// log P of each continuation token from vLLM's prompt_logprobs (one {id: {logprob}} per
  /// prompt position, null for the first).
  static std::vector<double> prompt_logprobs(const Json& choice, const std::vector<std::int64_t>& context,
                                             const std::vector<std::int64_t>& continuation) {
    if (!choice.contains("prompt_logprobs") || !choice["prompt_logprobs"].is_array()) {
      throw EngineError(
          "engine: the server returned no prompt_logprobs (it must accept \"prompt_logprobs\", as vLLM does): "
          "scoring a continuation needs the log-probabilities of prompt tokens");
    }
    const Json& positions = choice["prompt_logprobs"];
    if (positions.size() != context.size() + continuation.size()) {
      throw EngineError("engine: prompt_logprobs has " + std::to_string(positions.size()) + " positions for a " +
                        std::to_string(context.size() + continuation.size()) + "-token prompt");
    }
    std::vector<double> out;
    for (std::size_t j = 0; j < continuation.size(); ++j) {
      const Json& entry = positions[context.size() + j];
      const std::string id = std::to_string(continuation[j]);
      if (!entry.is_object() || !entry.contains(id) || !entry[id].is_object() || !entry[id].contains("logprob") ||
          !entry[id]["logprob"].is_number()) {
        throw EngineError("engine: prompt_logprobs lacks the log-prob of token " + id + " at position " +
                          std::to_string(context.size() + j));
      }
      out.push_back(entry[id]["logprob"].get<double>());
    }
    return out;
  }

  const runtime::OpenModel& local() const {
    std::call_once(local_once_, [this] { local_ = open_local_(); });
    return *local_;
  }

  /// Which model the server serves, and whether it is the model directory's.
  void identify(double tolerance) {
    const Json entry = served_model(client_);
    model_ = entry["id"].get<std::string>();
    root_ = entry.value("root", Json(nullptr)).is_string() ? entry["root"].get<std::string>() : model_;
    if (entry.contains("max_model_len") && entry["max_model_len"].is_number_integer()) {
      shape_.n_ctx = std::min(shape_.n_ctx, entry["max_model_len"].get<std::int64_t>());
    }
    const std::string software =
        entry.value("owned_by", Json(nullptr)).is_string() ? entry["owned_by"].get<std::string>() : "server";
    const auto version = client_.get_if_present("/version");
    version_ = software + " " +
               (version && version->is_object() && version->contains("version") && (*version)["version"].is_string()
                    ? (*version)["version"].get<std::string>()
                    : std::string("(version not reported)"));
    check_ = check_tokenizer() + "; " + check_logprobs(tolerance);
    util::log_info("engine: " + client_.public_url() + " serves " + model_ + " (" + version_ + "): " + check_);
  }

  std::string check_tokenizer() const {
    const auto ours = tokenizer_.model_ids(kCheckText);
    const auto answer = client_.post_if_present(
        "/tokenize", Json{{"model", model_}, {"prompt", kCheckText}, {"add_special_tokens", false}});
    if (!answer) return "tokenizer not compared (the server has no /tokenize)";
    if (!answer->is_object() || !answer->contains("tokens") || (*answer)["tokens"] != Json(ours)) {
      throw EngineError("engine: " + client_.public_url() + " tokenizes the check text differently from " +
                        "the model directory's tokenizer.json: it does not serve this model (server: " +
                        answer->dump().substr(0, 200) + ")");
    }
    return "tokenizer equal on " + std::to_string(ours.size()) + " tokens";
  }

  std::string check_logprobs(double tolerance) const {
    if (!open_local_) return "log-probs not compared (no local weights)";
    const auto ids = tokenizer_.model_ids(kCheckText);
    const std::vector<std::vector<std::int64_t>> contexts{{ids.front()}};
    const std::vector<std::vector<std::int64_t>> continuations{{ids.begin() + 1, ids.end()}};
    const auto server = score(contexts, continuations)[0];
    const auto ours = local().runner->score(contexts, continuations)[0];
    double largest = 0;
    for (std::size_t j = 0; j < ours.size(); ++j) largest = std::max(largest, std::abs(server[j] - ours[j]));
    if (!(largest <= tolerance)) {
      throw EngineError("engine: the server's log-probs of the check text differ from the local weights' by up to " +
                        number_text(largest) + " nats (tolerance " + number_text(tolerance) +
                        "): it serves another checkpoint, or computes in a lower precision (--engine-tolerance)");
    }
    return "log-probs within " + number_text(largest) + " of the local weights on " + std::to_string(ours.size()) +
           " tokens (tolerance " + number_text(tolerance) + ")";
  }

  EngineClient client_;
  RequestCache cache_;
  const runtime::Tokenizer& tokenizer_;
  runtime::Dtype dtype_;
  LocalModelOpener open_local_;
  mutable std::once_flag local_once_;
  mutable std::shared_ptr<const runtime::OpenModel> local_;
  runtime::ModelShape shape_;
  std::string model_;
  std::string root_;
  std::string version_;
  std::string check_;
};

}  // namespace

std::shared_ptr<const runtime::OpenModel> open_engine_model(const fs::path& model_directory,
                                                            const EngineModelOptions& options,
                                                            const LocalModelOpener& open_local) {
  auto model =
      std::make_shared<runtime::OpenModel>(runtime::OpenModel{runtime::Tokenizer::from_path(model_directory), nullptr});
  model->runner = std::make_unique<EngineRunner>(model_directory, options, model->tokenizer, open_local);
  return model;
}

}  // namespace forensics::engine
