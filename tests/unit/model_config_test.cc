#include <catch2/catch.hpp>

#include "forensics/runtime/model_config.h"
#include "forensics/util/error.h"

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
  Json yarn = llama();
  yarn["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  CHECK_THROWS_WITH(parse_model_config(yarn, "config.json"), Contains("rope type \"yarn\" is not supported"));
}

TEST_CASE("an explicit head_dim is authoritative (Qwen3)", "[config]") {
  Json qwen3 = llama();
  qwen3["architectures"] = {"Qwen3ForCausalLM"};
  qwen3["head_dim"] = 32;
  const ModelConfig c = parse_model_config(qwen3, "config.json");
  CHECK(c.d_head == 32);
  CHECK(c.qk_norm);
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
