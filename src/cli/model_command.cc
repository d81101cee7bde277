// `forensics model info|score|sample|patch`: look at a model, score a continuation, sample from it,
// patch activations between two prompts (model_patch.h).
#include <iomanip>
#include <iostream>
#include <sstream>

#include "command.h"
#include "forensics/runtime/model_directory.h"
#include "forensics/runtime/model_service.h"
#include "forensics/util/json.h"
#include "memory_fit.h"
#include "model_patch.h"
#include "model_summary.h"

namespace forensics::cli {
namespace {

std::string dump(const Json& value) { return value.dump(2, ' ', false, Json::error_handler_t::replace); }

/// --device and --dtype as typed; device() checks and converts them when the command runs.
struct DeviceOptions {
  std::string device = "auto";
  std::string dtype = "auto";
  runtime::DeviceChoice choice() const { return {device, runtime::parse_dtype_choice(dtype)}; }
};

void add_device_options(CLI::App& app, DeviceOptions& options) {
  app.add_option("--device", options.device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  app.add_option("--dtype", options.dtype,
                 "Compute dtype: auto (bfloat16 on CUDA; on the CPU a bfloat16 or float16 checkpoint's own "
                 "dtype, else float32), "
                 "float32, bfloat16, float16")
      ->capture_default_str();
}

}  // namespace

Json model_summary_json(const runtime::ModelSummary& summary) {
  const auto& c = summary.config;
  Json out = {{"directory", summary.directory.string()},
              {"architecture", runtime::kArchitectureNames.name(c.architecture)},
              {"n_layers", c.n_layers},
              {"d_model", c.d_model},
              {"n_heads", c.n_heads},
              {"n_kv_heads", c.n_kv_heads},
              {"d_head", c.d_head},
              {"d_mlp", c.d_mlp},
              {"d_vocab", c.d_vocab},
              {"n_ctx", c.n_ctx},
              {"tied_embeddings", c.tie_word_embeddings},
              {"parameters", summary.parameter_count},
              {"stored_dtype", summary.stored_dtype},
              {"weight_bytes", summary.weight_bytes},
              {"weights_sha256", summary.weights_sha256},
              {"tokenizer_fingerprint", summary.tokenizer_fingerprint}};
  if (summary.weights_sha256.empty()) out.erase("weights_sha256");
  if (c.sliding_window) out["sliding_window"] = *c.sliding_window;
  if (c.moe.n_experts > 0) {
    out["n_experts"] = c.moe.n_experts;
    out["experts_per_token"] = c.moe.top_k;
  }
  return out;
}

std::string model_summary_text(const Json& summary) {
  std::ostringstream out;
  for (const auto& [key, value] : summary.items()) {
    out << "  " << std::left << std::setw(22) << key << (value.is_string() ? value.get<std::string>() : value.dump())
        << "\n";
  }
  return out.str();
}

namespace {

int run_info(const std::string& directory, bool json, bool scan_weights) {
  const runtime::ModelSummary summary = runtime::inspect_model(directory, /*hash_weights=*/true, scan_weights);
  Json out = model_summary_json(summary);
  const Json memory = memory_fit_json(summary.parameter_count);
  if (json) {
    out["memory"] = memory;
    std::cout << dump(out) << "\n";
  } else {
    std::cout << model_summary_text(out) << memory_fit_text(memory);
  }
  return kExitOk;
}

void define_patch(CLI::App& app, Action& action) {
  struct PatchOptions {
    ModelPatchOptions patch;
    DeviceOptions device;
  };
  auto options = std::make_shared<PatchOptions>();
  auto& patch = options->patch;
  CLI::App* patch_app = app.add_subcommand(
      "patch", "Activation patching between a clean and a corrupted prompt, each followed by the continuations");
  patch_app->add_option("model", patch.directory, "Model directory")->required();
  patch_app->add_option("--clean", patch.clean, "The clean prompt (its activations are patched in by denoising)")
      ->required();
  patch_app->add_option("--corrupted", patch.corrupted, "The corrupted prompt")->required();
  patch_app
      ->add_option("--continuation", patch.continuations,
                   "Text teacher-forced after either prompt (repeatable); the metric is the weighted sum of "
                   "their log-probabilities")
      ->required();
  patch_app->add_option("--weight", patch.weights, "Weight of each continuation in the metric (default 1 each)")
      ->check(finite_number());
  patch_app->add_option("--site", patch.sites, "resid_pre, attn_out or mlp_out (repeatable)")->capture_default_str();
  patch_app->add_option("--direction", patch.direction, "denoising, noising or both")->capture_default_str();
  patch_app->add_option("--method", patch.method, "exact (one patched run per cell) or attribution (gradient estimate)")
      ->capture_default_str();
  patch_app->add_option("--cells-per-batch", patch.cells_per_batch, "Patched cells run side by side in one batch")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  patch_app->add_flag("--json", patch.json, "Machine output: every map, the token ids and the seconds spent");
  add_device_options(*patch_app, options->device);
  patch_app->callback(
      [options, &action] { action = [options] { return run_model_patch(options->patch, options->device.choice()); }; });
}

}  // namespace

void define_model(CLI::App& app, Action& action) {
  app.require_subcommand(1);

  struct InfoOptions {
    std::string directory;
    bool json = false;
    bool skip_weight_scan = false;
  };
  auto info = std::make_shared<InfoOptions>();
  CLI::App* info_app =
      app.add_subcommand("info", "Architecture, sizes, parameter count, weight and tokenizer fingerprints");
  info_app->add_option("model", info->directory, "Model directory")->required();
  info_app->add_flag("--json", info->json, "Machine output");
  info_app->add_flag("--skip-weight-scan", info->skip_weight_scan,
                     "Do not read every weight for NaN or infinity (a checkpoint too large to read twice)");
  info_app->callback(
      [info, &action] { action = [info] { return run_info(info->directory, info->json, !info->skip_weight_scan); }; });

  struct ScoreOptions {
    std::string directory, context, continuation;
    bool json = false;
    DeviceOptions device;
  };
  auto score = std::make_shared<ScoreOptions>();
  CLI::App* score_app = app.add_subcommand("score", "Teacher-forced log-probabilities of a continuation");
  score_app->add_option("model", score->directory, "Model directory")->required();
  score_app->add_option("--context", score->context, "Text before the continuation")->required();
  score_app->add_option("--continuation", score->continuation, "Text to score")->required();
  score_app->add_flag("--json", score->json, "Machine output");
  add_device_options(*score_app, score->device);
  score_app->callback([score, &action] {
    action = [score] {
      const auto tokens =
          runtime::score_text(score->directory, score->context, score->continuation, score->device.choice());
      double total = 0;
      Json rows = Json::array();
      for (const auto& t : tokens) {
        total += t.log_probability;
        rows.push_back({{"id", t.id}, {"token", t.token}, {"logprob", t.log_probability}});
      }
      if (score->json) {
        std::cout << dump({{"tokens", rows}, {"total_logprob", total}}) << "\n";
      } else {
        for (const auto& t : tokens) {
          std::cout << "  " << std::setw(8) << t.id << "  " << std::fixed << std::setprecision(4) << std::setw(10)
                    << t.log_probability << "  " << Json(t.token).dump() << "\n";
        }
        std::cout << "  total log P = " << total << "\n";
      }
      return kExitOk;
    };
  });

  struct SampleOptions {
    std::string directory, prompt;
    runtime::TextSampling sampling;
    bool json = false;
    DeviceOptions device;
  };
  auto sample = std::make_shared<SampleOptions>();
  CLI::App* sample_app = app.add_subcommand("sample", "Sample continuations of a prompt");
  sample_app->add_option("model", sample->directory, "Model directory")->required();
  sample_app->add_option("--prompt", sample->prompt, "Text to continue")->required();
  sample_app->add_option("-n,--samples", sample->sampling.count, "Number of samples")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  sample_app->add_option("--seed", sample->sampling.seed, "Seed; sample i depends only on (seed, i)")
      ->check(seed_value())
      ->capture_default_str();
  sample_app->add_option("--temperature", sample->sampling.params.temperature, "0 for greedy")
      ->check(finite_number())
      ->check(CLI::Range(0.0, 100.0))
      ->capture_default_str();
  sample_app->add_option("--top-p", sample->sampling.params.top_p)
      ->check(finite_number())
      ->check(CLI::Range(1e-9, 1.0))
      ->capture_default_str();
  sample_app->add_option("--top-k", sample->sampling.params.top_k, "0: off")
      ->check(CLI::Range(0, 1 << 30))
      ->capture_default_str();
  sample_app->add_option("--max-new-tokens", sample->sampling.params.max_new_tokens)
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  sample_app->add_option("--stop", sample->sampling.params.stop_strings, "Stop string (repeatable)");
  sample_app->add_flag("--json", sample->json, "Machine output");
  add_device_options(*sample_app, sample->device);
  sample_app->callback([sample, &action] {
    action = [sample] {
      const auto samples =
          runtime::sample_text(sample->directory, sample->prompt, sample->sampling, sample->device.choice());
      Json rows = Json::array();
      for (const auto& s : samples)
        rows.push_back({{"text", s.text},
                        {"tokens", s.tokens},
                        {"finish", std::string(runtime::kFinishReasonNames.name(s.finish))}});
      if (sample->json) {
        std::cout << dump({{"samples", rows}, {"seed", sample->sampling.seed}}) << "\n";
      } else {
        for (std::size_t i = 0; i < samples.size(); ++i) {
          std::cout << "[" << i << "] (" << runtime::kFinishReasonNames.name(samples[i].finish) << ") "
                    << samples[i].text << "\n";
        }
      }
      return kExitOk;
    };
  });

  define_patch(app, action);
}

}  // namespace forensics::cli
