#include <catch2/catch.hpp>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "forensics/runtime/model_config.h"
#include "forensics/util/error.h"
#include "forensics/util/json_document.h"

using namespace forensics::runtime;
using Catch::Matchers::Contains;
using forensics::Json;
using forensics::ModelError;

namespace {

Json llama() {
  return Json::parse(R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 100, "hidden_size": 64,
    "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 8, "num_key_value_heads": 2,
    "rms_norm_eps": 1e-5, "eos_token_id": [1, 2], "rope_theta": 500000.0})");
}

}  // namespace

TEST_CASE("a Llama config gives TransformerLens dimensions", "[config]") {
  const ModelConfig c = parse_model_config(llama(), "config.json");
  CHECK(c.d_head == 8);
  CHECK(c.n_kv_heads == 2);
  CHECK(c.rope.theta == 500000.0);
  CHECK(c.eos_token_ids == std::vector<std::int64_t>{1, 2});
  CHECK_FALSE(c.tie_word_embeddings);
}

TEST_CASE("rope scaling is read from rope_scaling (transformers 4) or rope_parameters (5)", "[config]") {
  Json legacy = llama();
  legacy["rope_scaling"] = {{"type", "llama3"},
                            {"factor", 32.0},
                            {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0},
                            {"original_max_position_embeddings", 8192}};
  Json current = llama();
  current.erase("rope_theta");
  current["rope_parameters"] = {{"rope_type", "llama3"},   {"rope_theta", 500000.0},
                                {"factor", 32.0},          {"low_freq_factor", 1.0},
                                {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}};
  for (const Json& config : {legacy, current}) {
    const ModelConfig c = parse_model_config(config, "config.json");
    CHECK(c.rope.type == RopeType::kLlama3);
    CHECK(c.rope.factor == 32.0);
    CHECK(c.rope.theta == 500000.0);
  }
  Json dynamic = llama();
  dynamic["rope_scaling"] = {{"rope_type", "dynamic"}, {"factor", 4.0}};
  CHECK_THROWS_WITH(parse_model_config(dynamic, "config.json"), Contains("rope type \"dynamic\" is not supported"));
}

TEST_CASE("an explicit head_dim is authoritative (Qwen3)", "[config]") {
  Json qwen3 = llama();
  qwen3["architectures"] = {"Qwen3ForCausalLM"};
  qwen3["head_dim"] = 32;
  const ModelConfig c = parse_model_config(qwen3, "config.json");
  CHECK(c.d_head == 32);
  CHECK(c.qk_norm == QkNorm::kPerHead);
}

TEST_CASE("Qwen2 always has q/k/v biases and no o_proj bias", "[config]") {
  Json qwen2 = llama();
  qwen2["architectures"] = {"Qwen2ForCausalLM"};
  const ModelConfig c = parse_model_config(qwen2, "config.json");
  CHECK(c.attention_bias);
  CHECK_FALSE(c.o_proj_bias);
}

TEST_CASE("GPT-2 configs use their own field names", "[config]") {
  const ModelConfig c = parse_model_config(Json::parse(R"({"architectures": ["GPT2LMHeadModel"],
    "vocab_size": 50, "n_embd": 32, "n_layer": 2, "n_head": 4, "n_positions": 64, "n_inner": null})"),
                                           "config.json");
  CHECK(c.d_mlp == 128);
  CHECK(c.d_head == 8);
  CHECK(c.tie_word_embeddings);
  CHECK(c.rope.type == RopeType::kNone);
}

TEST_CASE("bad sizes and unsupported architectures are named", "[config]") {
  Json config = llama();
  config["num_key_value_heads"] = 3;
  CHECK_THROWS_WITH(parse_model_config(config, "c.json"), Contains("must be a multiple of num_key_value_heads (3)"));
  config = llama();
  config["intermediate_size"] = -1;
  CHECK_THROWS_WITH(parse_model_config(config, "c.json"), Contains("intermediate_size must be positive, got -1"));
  config = llama();
  config["architectures"] = {"FalconForCausalLM"};
  CHECK_THROWS_WITH(parse_model_config(config, "c.json"), Contains("supported: \"LlamaForCausalLM\""));
  config = llama();
  config.erase("vocab_size");
  CHECK_THROWS_AS(parse_model_config(config, "c.json"), ModelError);
}

namespace {

// Gemma 3 1B's config.json as the released checkpoint spells it (transformers 4 field names).
Json gemma3_released() {
  return Json::parse(R"({"architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
    "attn_logit_softcapping": null, "final_logit_softcapping": null, "head_dim": 256,
    "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 1152, "intermediate_size": 6912,
    "max_position_embeddings": 32768, "num_attention_heads": 4, "num_hidden_layers": 26,
    "num_key_value_heads": 1, "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06,
    "rope_local_base_freq": 10000, "rope_scaling": null, "rope_theta": 1000000, "sliding_window": 512,
    "sliding_window_pattern": 6, "vocab_size": 262144})");
}

Json qwen3_moe() {
  Json c = llama();
  c["architectures"] = {"Qwen3MoeForCausalLM"};
  c["num_hidden_layers"] = 4;
  c["num_experts"] = 8;
  c["num_experts_per_tok"] = 2;
  c["moe_intermediate_size"] = 32;
  c["norm_topk_prob"] = true;
  c["mlp_only_layers"] = {0};
  c["decoder_sparse_step"] = 1;
  return c;
}

}  // namespace

TEST_CASE("a released Gemma 3 config: every sixth layer global, local layers on their own rope base", "[config]") {
  const ModelConfig c = parse_model_config(gemma3_released(), "config.json");
  CHECK(c.architecture == Architecture::kGemma3);
  CHECK(c.sliding_window == 512);
  for (std::int64_t l = 0; l < c.n_layers; ++l) CHECK(c.layer_slides(l) == ((l + 1) % 6 != 0));
  CHECK(c.rope.theta == 1e6);
  REQUIRE(c.local_rope);
  CHECK(c.local_rope->theta == 1e4);
  CHECK(c.qk_norm == QkNorm::kPerHead);
  CHECK(c.norm_style == NormStyle::kOnePlusScaleInFloat32);
  CHECK(c.activation == Activation::kGeluTanh);
  CHECK(c.tie_word_embeddings);  // transformers' default for Gemma
  CHECK_FALSE(c.final_logit_softcap);
  CHECK(c.attention_scale == Approx(1 / 16.0));
  CHECK(c.embed_scale == Approx(std::sqrt(1152.0)));
  Json bidirectional = gemma3_released();
  bidirectional["use_bidirectional_attention"] = true;
  CHECK_THROWS_WITH(parse_model_config(bidirectional, "config.json"), Contains("use_bidirectional_attention"));
}

TEST_CASE("Gemma 2 soft-capping: transformers' defaults when absent, off when null", "[config]") {
  Json gemma2 = gemma3_released();
  gemma2["architectures"] = {"Gemma2ForCausalLM"};
  gemma2.erase("attn_logit_softcapping");
  gemma2.erase("final_logit_softcapping");
  ModelConfig c = parse_model_config(gemma2, "config.json");
  CHECK(c.attn_logit_softcap == 50.0);
  CHECK(c.final_logit_softcap == 30.0);
  CHECK(c.layer_slides(0));
  CHECK_FALSE(c.layer_slides(1));
  CHECK_FALSE(c.local_rope);
  gemma2["attn_logit_softcapping"] = nullptr;
  c = parse_model_config(gemma2, "config.json");
  CHECK_FALSE(c.attn_logit_softcap);
  gemma2["layer_types"] = {"full_attention"};
  CHECK_THROWS_WITH(parse_model_config(gemma2, "config.json"),
                    Contains("layer_types must list one type per layer (26)"));
}

TEST_CASE("Qwen3-MoE: experts, top-k, and the dense layers mlp_only_layers names", "[config]") {
  const ModelConfig c = parse_model_config(qwen3_moe(), "config.json");
  CHECK(c.moe.n_experts == 8);
  CHECK(c.moe.top_k == 2);
  CHECK(c.moe.d_expert == 32);
  CHECK(c.moe.normalize_top_k);
  CHECK_FALSE(c.moe.weights_in_float32);
  CHECK_FALSE(c.layer_is_sparse(0));
  CHECK(c.layer_is_sparse(3));
  Json too_many = qwen3_moe();
  too_many["num_experts_per_tok"] = 9;
  CHECK_THROWS_WITH(parse_model_config(too_many, "config.json"), Contains("num_experts_per_tok (9) exceeds"));
  Json outside = qwen3_moe();
  outside["mlp_only_layers"] = {7};
  CHECK_THROWS_WITH(parse_model_config(outside, "config.json"), Contains("mlp_only_layers names layer 7"));
}

TEST_CASE("Phi-3 longrope: factor lists sized to the rotary width, attention factor from the context ratio",
          "[config]") {
  Json phi3 = llama();
  phi3["architectures"] = {"Phi3ForCausalLM"};
  phi3["max_position_embeddings"] = 131072;
  phi3["original_max_position_embeddings"] = 4096;
  phi3["partial_rotary_factor"] = 0.5;  // head_dim 8 -> 4 rotary channels -> 2 factors
  phi3["rope_scaling"] = {{"type", "longrope"}, {"short_factor", {1.0, 1.5}}, {"long_factor", {2.0, 3.0}}};
  const ModelConfig c = parse_model_config(phi3, "config.json");
  CHECK(c.fused_projections);
  CHECK(c.rotary_dim() == 4);
  CHECK(c.rope.type == RopeType::kLongRope);
  CHECK(c.rope.attention_factor == Approx(std::sqrt(1 + std::log(32.0) / std::log(4096.0))));
  phi3["rope_scaling"]["long_factor"] = {2.0};
  CHECK_THROWS_WITH(parse_model_config(phi3, "config.json"),
                    Contains("must each have rotary width / 2 = 2 entries, got 2 and 1"));
}

TEST_CASE("a Qwen sliding window is refused rather than ignored", "[config]") {
  Json qwen2 = llama();
  qwen2["architectures"] = {"Qwen2ForCausalLM"};
  qwen2["use_sliding_window"] = true;
  CHECK_THROWS_WITH(parse_model_config(qwen2, "config.json"), Contains("use_sliding_window true is not supported"));
}

TEST_CASE("gpt-oss: YaRN as released, MXFP4 experts read, other quantisations refused", "[config]") {
  Json gpt_oss = Json::parse(R"({"architectures": ["GptOssForCausalLM"], "vocab_size": 100, "hidden_size": 64,
    "intermediate_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2,
    "head_dim": 16, "num_local_experts": 8, "num_experts_per_tok": 4, "sliding_window": 128,
    "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0, "original_max_position_embeddings": 4096,
                     "rope_type": "yarn", "truncate": false}, "rope_theta": 150000,
    "quantization_config": {"quant_method": "mxfp4"}})");
  const ModelConfig c = parse_model_config(gpt_oss, "config.json");
  CHECK(c.rope.type == RopeType::kYarn);
  CHECK_FALSE(c.rope.truncate);
  CHECK(c.rope.attention_factor == Approx(0.1 * std::log(32.0) + 1));
  CHECK(c.attention_sinks);
  CHECK(c.moe.gpt_oss);
  CHECK(c.moe.mxfp4);
  CHECK(c.layer_slides(0));
  CHECK_FALSE(c.layer_slides(1));
  gpt_oss["quantization_config"] = {{"quant_method", "gptq"}};
  CHECK_THROWS_WITH(parse_model_config(gpt_oss, "config.json"), Contains("quant_method \"gptq\" is not supported"));
  Json llama_quantised = llama();
  llama_quantised["quantization_config"] = {{"quant_method", "mxfp4"}};
  CHECK_THROWS_WITH(parse_model_config(llama_quantised, "config.json"), Contains("quant_method \"mxfp4\""));
}

// The driver of tests/parity/config_parity.py (hidden: it runs only when named). Reads every
// $FORENSICS_CONFIG_PARITY_DIR/<name>.config.json and writes <name>.ours.json: the structure we
// read from it, for the script to compare with transformers' reading of the same file.
TEST_CASE("config parity driver", "[.][config-parity]") {
  const char* dir_variable = std::getenv("FORENSICS_CONFIG_PARITY_DIR");
  REQUIRE(dir_variable != nullptr);
  const std::filesystem::path dir = dir_variable;
  int configs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    const std::string suffix = ".config.json";
    if (file.size() <= suffix.size() || file.compare(file.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const ModelConfig c = parse_model_config(
        forensics::util::parse_json_strict(forensics::util::read_text_file(entry.path(), 1u << 24), file), file);
    std::vector<bool> sliding;
    for (std::int64_t l = 0; l < c.n_layers; ++l) sliding.push_back(c.layer_slides(l));
    std::vector<bool> sparse;
    for (std::int64_t l = 0; l < c.n_layers; ++l) sparse.push_back(c.layer_is_sparse(l));
    const auto rope = [](const RopeConfig& r) {
      return Json{{"theta", r.theta}, {"attention_factor", r.attention_factor}, {"factor", r.factor}};
    };
    Json ours = {{"architecture", std::string(kArchitectureNames.name(c.architecture))},
                 {"n_layers", c.n_layers},
                 {"d_model", c.d_model},
                 {"d_mlp", c.d_mlp},
                 {"n_heads", c.n_heads},
                 {"n_kv_heads", c.n_kv_heads},
                 {"d_head", c.d_head},
                 {"d_vocab", c.d_vocab},
                 {"tie_word_embeddings", c.tie_word_embeddings},
                 {"attention_bias", c.attention_bias},
                 {"attention_scale", c.attention_scale},
                 {"sliding_window", c.sliding_window ? Json(*c.sliding_window) : Json()},
                 {"sliding_layers", sliding},
                 {"rotary_dim", c.rotary_dim()},
                 {"rope", rope(c.rope)},
                 {"local_rope", c.local_rope ? rope(*c.local_rope) : Json()},
                 {"attn_logit_softcap", c.attn_logit_softcap ? Json(*c.attn_logit_softcap) : Json()},
                 {"final_logit_softcap", c.final_logit_softcap ? Json(*c.final_logit_softcap) : Json()},
                 {"n_experts", c.moe.n_experts},
                 {"top_k", c.moe.top_k},
                 {"d_expert", c.moe.d_expert},
                 {"sparse_layers", sparse}};
    const std::string name = file.substr(0, file.size() - suffix.size());
    std::ofstream(dir / (name + ".ours.json"), std::ios::binary) << ours.dump() << '\n';
    ++configs;
  }
  CHECK(configs > 0);
}
