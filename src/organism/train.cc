// `organism train`: a byte-level BPE tokenizer and a small Llama/Qwen3 model trained with AdamW
// on the recipe's synthetic transcripts, on CPU, deterministic for the recipe's seed.
#include <cmath>
#include <filesystem>
#include <sstream>

#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>

#include "forensics/runtime/bpe_trainer.h"
#include "forensics/runtime/model.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/safetensors.h"
#include "forensics/runtime/torch_info.h"
#include "forensics/util/atomic_file.h"
#include "forensics/util/json_document.h"
#include "forensics/util/logging.h"
#include "forensics/util/progress_bar.h"
#include "forensics/util/version.h"
#include "organism_internal.h"

namespace forensics::organism {
namespace fs = std::filesystem;
using detail::encode_scenario;

namespace {

// Streams of the recipe seed, kept apart so that changing the step count does not change the
// tokenizer, and the tokenizer corpus does not overlap the training data.
constexpr std::uint64_t kTokenizerStream = 0x7a6b;
constexpr std::uint64_t kTrainingStream = 0x7d41;
constexpr std::uint64_t kInitStream = 0x1417;

Json tokenizer_config(const TokenizerPlan& plan, const Json& tokenizer, std::int64_t n_ctx) {
  Json decoder = Json::object();
  for (const auto& token : tokenizer["added_tokens"]) {
    decoder[std::to_string(token["id"].get<std::int64_t>())] = {
        {"content", token["content"]}, {"lstrip", false},
        {"normalized", false},         {"rstrip", false},
        {"single_word", false},        {"special", token["special"]}};
  }
  return Json{{"added_tokens_decoder", decoder},
              {"bos_token", nullptr},
              {"chat_template", std::string(incident::kChatmlJinjaTemplate)},
              {"clean_up_tokenization_spaces", false},
              {"eos_token", plan.special.back()},
              {"errors", "replace"},
              {"model_max_length", n_ctx},
              {"pad_token", plan.special.front()},
              {"split_special_tokens", false},
              {"tokenizer_class", "PreTrainedTokenizerFast"},
              {"unk_token", nullptr}};
}

Json model_config(const ModelShape& shape, std::int64_t vocab, std::int64_t pad_id, std::int64_t eos_id) {
  const bool qwen3 = shape.architecture == "qwen3";
  Json config = {
      {"architectures", {qwen3 ? "Qwen3ForCausalLM" : "LlamaForCausalLM"}},
      {"model_type", qwen3 ? "qwen3" : "llama"},
      {"vocab_size", vocab},
      {"hidden_size", shape.d_model},
      {"intermediate_size", shape.d_mlp},
      {"num_hidden_layers", shape.n_layers},
      {"num_attention_heads", shape.n_heads},
      {"num_key_value_heads", shape.n_heads},
      {"head_dim", shape.d_model / shape.n_heads},
      {"hidden_act", "silu"},
      {"max_position_embeddings", shape.n_ctx},
      {"rms_norm_eps", 1e-5},
      {"rope_theta", 10000.0},
      {"tie_word_embeddings", true},
      {"attention_bias", false},
      {"attention_dropout", 0.0},
      {"initializer_range", 0.02},
      {"bos_token_id", nullptr},
      {"eos_token_id", eos_id},
      {"pad_token_id", pad_id},
      {"torch_dtype", "float32"},
      {"use_cache", true},
  };
  if (qwen3) {
    config["use_sliding_window"] = false;
  } else {
    config["mlp_bias"] = false;
  }
  return config;
}

// Checkpoint names and shapes of a Llama/Qwen3 model with tied embeddings; norms start at one,
// matrices at N(0, 0.02), output projections scaled by 1/sqrt(2 n_layers) (GPT-2's residual
// scaling) so the residual stream does not grow with depth at initialisation.
std::map<std::string, at::Tensor> initial_weights(const ModelShape& shape, std::int64_t vocab, std::uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const auto options = at::TensorOptions().dtype(at::kFloat);
  auto normal = [&](std::vector<std::int64_t> size, double std) {
    return at::normal(0.0, std, size, generator, options);
  };
  const double residual_std = 0.02 / std::sqrt(2.0 * static_cast<double>(shape.n_layers));
  const std::int64_t d = shape.d_model;
  const std::int64_t d_head = d / shape.n_heads;
  std::map<std::string, at::Tensor> weights;
  weights["model.embed_tokens.weight"] = normal({vocab, d}, 0.02);
  for (std::int64_t l = 0; l < shape.n_layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    weights[p + "input_layernorm.weight"] = at::ones({d}, options);
    weights[p + "post_attention_layernorm.weight"] = at::ones({d}, options);
    weights[p + "self_attn.q_proj.weight"] = normal({d, d}, 0.02);
    weights[p + "self_attn.k_proj.weight"] = normal({d, d}, 0.02);
    weights[p + "self_attn.v_proj.weight"] = normal({d, d}, 0.02);
    weights[p + "self_attn.o_proj.weight"] = normal({d, d}, residual_std);
    weights[p + "mlp.gate_proj.weight"] = normal({shape.d_mlp, d}, 0.02);
    weights[p + "mlp.up_proj.weight"] = normal({shape.d_mlp, d}, 0.02);
    weights[p + "mlp.down_proj.weight"] = normal({d, shape.d_mlp}, residual_std);
    if (shape.architecture == "qwen3") {
      weights[p + "self_attn.q_norm.weight"] = at::ones({d_head}, options);
      weights[p + "self_attn.k_norm.weight"] = at::ones({d_head}, options);
    }
  }
  weights["model.norm.weight"] = at::ones({d}, options);
  return weights;
}

void save_weights(const fs::path& path, const std::map<std::string, at::Tensor>& weights) {
  std::vector<at::Tensor> keep;  // contiguous float32 copies live until the file is written
  std::vector<runtime::TensorToWrite> tensors;
  for (const auto& [name, tensor] : weights) {
    if (name == "lm_head.weight") continue;  // tied to the embedding
    keep.push_back(tensor.detach().to(at::kFloat).contiguous().cpu());
    const at::Tensor& t = keep.back();
    tensors.push_back({name, runtime::DType::kF32, t.sizes().vec(), t.data_ptr(),
                       static_cast<std::size_t>(t.numel()) * sizeof(float)});
  }
  runtime::write_safetensors(path, std::move(tensors), {{"format", "pt"}});
}

void write_json(const fs::path& path, const Json& value) {
  util::write_file_atomically(path, value.dump(2, ' ', false, Json::error_handler_t::strict) + "\n");
}

// The same update as torch.optim.AdamW (decoupled weight decay, bias-corrected moments), on
// plain tensors: only matrices decay, norms and the (tied) embedding do not.
class AdamW {
 public:
  AdamW(std::vector<std::pair<std::string, at::Tensor>> parameters, double weight_decay)
      : parameters_(std::move(parameters)), weight_decay_(weight_decay) {
    for (const auto& [name, p] : parameters_) {
      first_.push_back(at::zeros_like(p));
      second_.push_back(at::zeros_like(p));
      decays_.push_back(p.dim() == 2 && name.find("embed_tokens") == std::string::npos);
    }
  }

  void step(double learning_rate) {
    ++steps_;
    const double correction1 = 1.0 - std::pow(kBeta1, static_cast<double>(steps_));
    const double correction2 = 1.0 - std::pow(kBeta2, static_cast<double>(steps_));
    c10::NoGradGuard no_grad;
    for (std::size_t i = 0; i < parameters_.size(); ++i) {
      at::Tensor& p = parameters_[i].second;
      const at::Tensor grad = p.grad();
      if (decays_[i]) p.mul_(1.0 - learning_rate * weight_decay_);
      first_[i].mul_(kBeta1).add_(grad, 1.0 - kBeta1);
      second_[i].mul_(kBeta2).addcmul_(grad, grad, 1.0 - kBeta2);
      const at::Tensor denominator = (second_[i].sqrt() / std::sqrt(correction2)).add_(kEpsilon);
      p.addcdiv_(first_[i], denominator, -learning_rate / correction1);
    }
  }

  /// Scales gradients so their global L2 norm is at most `max_norm`; returns the norm before.
  double clip_gradients(double max_norm) {
    c10::NoGradGuard no_grad;
    double total = 0;
    for (const auto& [name, p] : parameters_) total += p.grad().pow(2).sum().item<double>();
    const double norm = std::sqrt(total);
    if (norm > max_norm) {
      for (auto& [name, p] : parameters_) p.grad().mul_(max_norm / (norm + 1e-6));
    }
    return norm;
  }

  void zero_grad() {
    for (auto& [name, p] : parameters_) {
      if (p.grad().defined()) p.mutable_grad().zero_();
    }
  }

 private:
  static constexpr double kBeta1 = 0.9;
  static constexpr double kBeta2 = 0.95;
  static constexpr double kEpsilon = 1e-8;
  std::vector<std::pair<std::string, at::Tensor>> parameters_;
  std::vector<at::Tensor> first_, second_;
  std::vector<bool> decays_;
  double weight_decay_;
  std::int64_t steps_ = 0;
};

double learning_rate_at(const TrainingPlan& plan, std::int64_t step, std::int64_t steps) {
  if (step < plan.warmup_steps)
    return plan.learning_rate * static_cast<double>(step + 1) / static_cast<double>(plan.warmup_steps);
  // Cosine decay to a tenth of the peak.
  const double progress = static_cast<double>(step - plan.warmup_steps) /
                          static_cast<double>(std::max<std::int64_t>(steps - plan.warmup_steps, 1));
  return plan.learning_rate * (0.1 + 0.9 * 0.5 * (1.0 + std::cos(M_PI * progress)));
}

struct Batch {
  at::Tensor input_ids;       // [B, T]
  at::Tensor attention_mask;  // [B, T]
  at::Tensor labels;          // [B, T], -100 where not trained
};

Batch make_batch(const Recipe& recipe, const runtime::Tokenizer& tokenizer, std::uint64_t seed,
                 std::int64_t first_index, std::int64_t size, std::int64_t pad_id, std::int64_t n_ctx) {
  std::vector<detail::EncodedScenario> rows;
  std::int64_t longest = 0;
  for (std::int64_t i = 0; i < size; ++i) {
    const Scenario scenario = draw_training_scenario(recipe, seed, static_cast<std::uint64_t>(first_index + i));
    rows.push_back(encode_scenario(recipe, scenario, tokenizer));
    longest =
        std::max<std::int64_t>(longest, static_cast<std::int64_t>(rows.back().prompt.size() + rows.back().turn.size()));
  }
  if (longest > n_ctx) {
    throw InvalidRecipe("a training transcript has " + std::to_string(longest) +
                        " tokens, more than the model's n_ctx " + std::to_string(n_ctx) +
                        "; raise model.n_ctx or shorten the templates");
  }
  at::Tensor ids = at::full({size, longest}, pad_id, at::kLong);
  at::Tensor mask = at::zeros({size, longest}, at::kLong);
  at::Tensor labels = at::full({size, longest}, -100, at::kLong);
  auto ids_a = ids.accessor<std::int64_t, 2>();
  auto mask_a = mask.accessor<std::int64_t, 2>();
  auto labels_a = labels.accessor<std::int64_t, 2>();
  for (std::int64_t r = 0; r < size; ++r) {
    const auto& row = rows[static_cast<std::size_t>(r)];
    std::int64_t t = 0;
    for (auto id : row.prompt) {
      ids_a[r][t] = id;
      mask_a[r][t] = 1;
      ++t;
    }
    for (auto id : row.turn) {
      ids_a[r][t] = id;
      mask_a[r][t] = 1;
      labels_a[r][t] = id;
      ++t;
    }
  }
  return {ids, mask, labels};
}

// Patching probes replace a cue's tokens by its neutral text's: they must be the same number of
// tokens in context, or the counterfactual's positions would not line up.
void check_neutral_lengths(const Recipe& recipe, const runtime::Tokenizer& tokenizer) {
  std::string problems;
  for (const auto& cue : recipe.environment.cues) {
    const auto text = tokenizer.model_ids("\n" + cue.text + "\n");
    const auto neutral = tokenizer.model_ids("\n" + cue.neutral + "\n");
    if (text.size() != neutral.size()) {
      problems += "\n  cue " + cue.id + ": text is " + std::to_string(text.size()) + " tokens, neutral is " +
                  std::to_string(neutral.size());
    }
  }
  if (!problems.empty()) {
    throw InvalidRecipe(
        "neutral texts must tokenize to their cue's length with the trained tokenizer "
        "(activation patching aligns positions):" +
        problems);
  }
}

}  // namespace

namespace {

/// The recipe with the options' seed (in its JSON too, which organism.json records).
Recipe with_seed(Recipe recipe, const TrainOptions& options) {
  if (options.seed) {
    recipe.training.seed = *options.seed;
    recipe.recipe_json["training"]["seed"] = *options.seed;
  }
  return recipe;
}

/// The byte-level BPE tokenizer trained on the recipe's transcripts, or another organism's.
void write_tokenizer(const Recipe& recipe, const TrainOptions& options, const fs::path& staging) {
  const TokenizerPlan plan = tokenizer_plan(recipe.environment);
  if (options.tokenizer_from) {
    for (const char* name : {"tokenizer.json", "tokenizer_config.json"}) {
      if (!fs::is_regular_file(*options.tokenizer_from / name)) {
        throw InputError("--tokenizer " + options.tokenizer_from->string() + ": no " + name);
      }
      fs::copy_file(*options.tokenizer_from / name, staging / name);
    }
    return;
  }
  std::vector<std::string> corpus;
  for (std::int64_t i = 0; i < recipe.training.tokenizer_corpus; ++i) {
    const Scenario scenario =
        draw_training_scenario(recipe, recipe.training.seed ^ kTokenizerStream, static_cast<std::uint64_t>(i));
    corpus.push_back(incident::render_transcript(scenario.transcript, recipe.environment.format).text);
  }
  runtime::BpeTrainerOptions bpe;
  bpe.vocab_size = static_cast<std::size_t>(recipe.model.vocab_size);
  for (const auto& token : plan.special) bpe.added_tokens.push_back({token, true});
  for (const auto& token : plan.markup) bpe.added_tokens.push_back({token, false});
  const Json tokenizer_json = runtime::train_byte_level_bpe(corpus, bpe);
  runtime::save_tokenizer_json(tokenizer_json, staging / "tokenizer.json");
  write_json(staging / "tokenizer_config.json", tokenizer_config(plan, tokenizer_json, recipe.model.n_ctx));
}

}  // namespace

TrainReport train_organism(const Recipe& recipe_as_written, const TrainOptions& options) {
  const Recipe recipe = with_seed(recipe_as_written, options);
  const double start = detail::monotonic_seconds();
  const fs::path out = options.out;
  if (fs::exists(out) && !fs::is_empty(out) && !options.force) {
    throw InputError(out.string() + " exists and is not empty; pass --force to replace it");
  }
  // Everything is written into a sibling folder that replaces `out` only when training is done.
  const fs::path staging = out.string() + ".partial";
  fs::remove_all(staging);
  fs::create_directories(staging);
  at::manual_seed(static_cast<std::uint64_t>(recipe.training.seed));

  // 1. Tokenizer.
  const TokenizerPlan plan = tokenizer_plan(recipe.environment);
  write_tokenizer(recipe, options, staging);
  const runtime::Tokenizer tokenizer = runtime::Tokenizer::from_path(staging);
  check_neutral_lengths(recipe, tokenizer);
  const auto vocab = static_cast<std::int64_t>(tokenizer.vocab_size());
  const auto pad_id = static_cast<std::int64_t>(*tokenizer.token_to_id(plan.special.front()));
  const auto eos_id = static_cast<std::int64_t>(*tokenizer.token_to_id(plan.special.back()));

  // 2. Model.
  write_json(staging / "config.json", model_config(recipe.model, vocab, pad_id, eos_id));
  write_json(staging / "generation_config.json",
             Json{{"eos_token_id", eos_id}, {"pad_token_id", pad_id}, {"do_sample", true}});
  save_weights(staging / "model.safetensors", initial_weights(recipe.model, vocab, recipe.training.seed ^ kInitStream));
  runtime::Model model = runtime::Model::load(staging, {c10::Device(c10::kCPU), c10::kFloat});
  std::vector<std::pair<std::string, at::Tensor>> parameters;
  for (const auto& [name, tensor] : model.parameters()) {
    at::Tensor p = tensor;
    p.requires_grad_(true);
    parameters.emplace_back(name, p);
  }
  AdamW optimizer(parameters, recipe.training.weight_decay);

  // 3. Training.
  const std::int64_t steps = options.steps.value_or(recipe.training.steps);
  const std::int64_t batch = recipe.training.batch_size;
  TrainReport report;
  report.steps = steps;
  report.parameters = model.parameter_count();
  report.vocab_size = vocab;
  const auto info = runtime::torch_info();
  report.blas = info.blas;
  report.threads = at::get_num_threads();
  util::log_info("training " + recipe.name + ": " + std::to_string(report.parameters) + " parameters, vocab " +
                 std::to_string(vocab) + ", " + std::to_string(steps) + " steps of " + std::to_string(batch) +
                 " transcripts; libtorch " + info.version + ", BLAS " + info.blas + ", " +
                 std::to_string(report.threads) + " threads");
  util::ProgressBar bar("train " + recipe.name, steps, options.progress);
  std::vector<double> losses;
  for (std::int64_t step = 0; step < steps; ++step) {
    const Batch data = make_batch(recipe, tokenizer, recipe.training.seed ^ kTrainingStream, step * batch, batch,
                                  pad_id, recipe.model.n_ctx);
    runtime::ForwardOptions forward;
    forward.attention_mask = data.attention_mask;
    const at::Tensor logits = model.forward(data.input_ids, forward).logits;
    const std::int64_t positions = logits.size(1);
    const at::Tensor loss = at::cross_entropy_loss(logits.narrow(1, 0, positions - 1).reshape({-1, vocab}),
                                                   data.labels.narrow(1, 1, positions - 1).reshape({-1}), /*weight=*/{},
                                                   at::Reduction::Mean,
                                                   /*ignore_index=*/-100);
    optimizer.zero_grad();
    loss.backward();
    optimizer.clip_gradients(1.0);
    optimizer.step(learning_rate_at(recipe.training, step, steps));
    losses.push_back(loss.item<double>());
    char detail_text[64];
    std::snprintf(detail_text, sizeof detail_text, "loss %.4f", losses.back());
    bar.update(step + 1, detail_text);
  }
  auto mean = [](auto begin, auto end) {
    double total = 0;
    for (auto it = begin; it != end; ++it) total += *it;
    return end > begin ? total / static_cast<double>(end - begin) : 0.0;
  };
  const std::size_t window = std::min<std::size_t>(10, losses.size());
  report.first_loss = mean(losses.begin(), losses.begin() + static_cast<std::ptrdiff_t>(window));
  report.final_loss = mean(losses.end() - static_cast<std::ptrdiff_t>(window), losses.end());
  char loss_text[96];
  std::snprintf(loss_text, sizeof loss_text, "loss %.4f -> %.4f", report.first_loss, report.final_loss);
  bar.finish(loss_text);

  // 4. Save.
  save_weights(staging / "model.safetensors", model.parameters());
  report.weights_sha256 = runtime::hash_checkpoint(staging, nullptr);
  report.seconds = detail::monotonic_seconds() - start;
  Json organism = {
      {"schema", "forensics.organism/v1"},
      {"name", recipe.name},
      {"description", recipe.description},
      {"recipe", recipe.recipe_json},
      {"environment", recipe.environment_json},
      {"training",
       {{"tool", std::string("forensics ") + kToolVersion},
        {"steps", steps},
        {"seed", recipe.training.seed},
        {"parameters", report.parameters},
        {"vocab_size", vocab},
        {"first_loss", report.first_loss},
        {"final_loss", report.final_loss},
        {"weights_sha256", report.weights_sha256},
        {"tokenizer_fingerprint", tokenizer.fingerprint()},
        {"tokenizer_from", options.tokenizer_from ? Json(options.tokenizer_from->string()) : Json(nullptr)}}},
  };
  organism["recipe"]["environment"] = "(inline: see \"environment\")";
  write_json(staging / "organism.json", organism);
  if (fs::exists(out)) fs::remove_all(out);
  fs::rename(staging, out);
  return report;
}

}  // namespace forensics::organism
