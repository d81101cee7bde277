// Reading a rotary embedding from config.json as transformers does (docs/formats.md, "config.json"):
// transformers 4 writes rope_theta + rope_scaling, 5 writes rope_parameters (which may carry
// rope_theta, partial_rotary_factor, and for Gemma 3 one object per layer type).
#include <cmath>
#include <cstdio>

#include "config_readers.h"

namespace forensics::runtime {
namespace {

std::string rope_type_of(const Json& object) {
  for (const char* key : {"rope_type", "type"}) {
    if (object.contains(key) && object.at(key).is_string()) return object.at(key).get<std::string>();
  }
  return "default";
}

// longrope's attention factor when the config gives none: sqrt(1 + ln(factor) / ln(original)),
// with factor = max_position_embeddings / original_max_position_embeddings unless given.
double longrope_attention_factor(const ConfigFields& sub, const ConfigFields& top, const RopeConfig& rope) {
  const double factor = sub.number_or("factor", static_cast<double>(top.positive_or("max_position_embeddings", 2048)) /
                                                    static_cast<double>(rope.original_max_position_embeddings));
  if (factor <= 1.0) return 1.0;
  return std::sqrt(1 + std::log(factor) / std::log(static_cast<double>(rope.original_max_position_embeddings)));
}

// yarn's attention factor when the config gives none: 0.1 ln(factor) + 1, or the ratio of two
// such terms when mscale and mscale_all_dim are both given (transformers' get_mscale).
double yarn_attention_factor(const ConfigFields& sub, double factor) {
  const auto mscale = [&](double m) { return factor <= 1 ? 1.0 : 0.1 * m * std::log(factor) + 1.0; };
  const double m = sub.number_or("mscale", 0), all = sub.number_or("mscale_all_dim", 0);
  return m != 0 && all != 0 ? mscale(m) / mscale(all) : mscale(1);
}

void read_yarn(const ConfigFields& sub, const ConfigFields& top, RopeConfig& rope) {
  rope.type = RopeType::kYarn;
  rope.original_max_position_embeddings =
      sub.positive_or("original_max_position_embeddings", top.positive_or("original_max_position_embeddings", 4096));
  rope.factor = sub.number_or("factor", static_cast<double>(top.positive_or("max_position_embeddings", 2048)) /
                                            static_cast<double>(rope.original_max_position_embeddings));
  rope.attention_factor = sub.number_or("attention_factor", yarn_attention_factor(sub, rope.factor));
  // transformers: `beta_fast or 32`, so a 0 means the default too.
  rope.beta_fast = sub.number_or("beta_fast", 32.0);
  rope.beta_slow = sub.number_or("beta_slow", 1.0);
  if (rope.beta_fast == 0) rope.beta_fast = 32.0;
  if (rope.beta_slow == 0) rope.beta_slow = 1.0;
  rope.truncate = sub.flag_or("truncate", true);
}

void read_scaling(const ConfigFields& top, const Json& object, const std::string& where, RopeConfig& rope) {
  if (!object.is_object()) top.fail(where + " must be an object or null");
  const ConfigFields sub(object, "config.json " + where);
  rope.theta = sub.number_or("rope_theta", rope.theta);
  rope.partial_rotary_factor = sub.number_or("partial_rotary_factor", rope.partial_rotary_factor);
  const std::string type = rope_type_of(object);
  if (type == "default") {
    rope.type = RopeType::kDefault;
  } else if (type == "linear") {
    rope.type = RopeType::kLinear;
    rope.factor = sub.number_or("factor", 1.0);
  } else if (type == "llama3") {
    rope.type = RopeType::kLlama3;
    rope.factor = sub.number_or("factor", 8.0);
    rope.low_freq_factor = sub.number_or("low_freq_factor", 1.0);
    rope.high_freq_factor = sub.number_or("high_freq_factor", 4.0);
    rope.original_max_position_embeddings = sub.positive_or("original_max_position_embeddings", 8192);
    if (rope.high_freq_factor <= rope.low_freq_factor)
      top.fail(where + ": high_freq_factor must exceed low_freq_factor");
  } else if (type == "longrope" || type == "su") {
    rope.type = RopeType::kLongRope;
    rope.original_max_position_embeddings =
        sub.positive_or("original_max_position_embeddings", top.positive_or("original_max_position_embeddings", 4096));
    rope.short_factor = sub.numbers("short_factor");
    rope.long_factor = sub.numbers("long_factor");
    rope.attention_factor = sub.number_or("attention_factor", longrope_attention_factor(sub, top, rope));
  } else if (type == "yarn") {
    read_yarn(sub, top, rope);
  } else {
    top.fail("rope type \"" + type + "\" is not supported; supported: default, linear, llama3, longrope, yarn");
  }
  if (!std::isfinite(rope.factor) || rope.factor <= 0) top.fail(where + ".factor must be a positive number");
}

void check_theta(const RopeConfig& rope, const ConfigFields& fields) {
  // A zero, negative or infinite base gives NaN or constant rotations: every logit NaN.
  if (!std::isfinite(rope.theta) || rope.theta <= 0) {
    char value[32];
    std::snprintf(value, sizeof value, "%g", rope.theta);
    fields.fail(std::string("rope_theta must be a positive number, got ") + value);
  }
}

bool keyed_by_layer_type(const Json& object) {
  return object.is_object() && (object.contains("full_attention") || object.contains("sliding_attention"));
}

}  // namespace

RopeConfig read_rope(const ConfigFields& fields, double default_theta) {
  RopeConfig rope;
  rope.theta = fields.number_or("rope_theta", default_theta);
  rope.partial_rotary_factor = fields.number_or("partial_rotary_factor", 1.0);
  if (fields.has("rope_parameters")) read_scaling(fields, fields.json().at("rope_parameters"), "rope_parameters", rope);
  if (fields.has("rope_scaling")) read_scaling(fields, fields.json().at("rope_scaling"), "rope_scaling", rope);
  check_theta(rope, fields);
  return rope;
}

void read_gemma3_ropes(const ConfigFields& fields, ModelConfig& out) {
  RopeConfig global;
  global.theta = fields.number_or("rope_theta", 1'000'000.0);
  RopeConfig local;
  local.theta = fields.number_or("rope_local_base_freq", 10'000.0);
  if (fields.has("rope_parameters") && keyed_by_layer_type(fields.json().at("rope_parameters"))) {
    const Json& parameters = fields.json().at("rope_parameters");
    if (parameters.contains("full_attention") && !parameters.at("full_attention").is_null()) {
      read_scaling(fields, parameters.at("full_attention"), "rope_parameters.full_attention", global);
    }
    if (parameters.contains("sliding_attention") && !parameters.at("sliding_attention").is_null()) {
      read_scaling(fields, parameters.at("sliding_attention"), "rope_parameters.sliding_attention", local);
    }
  } else {
    // transformers 4 (the released checkpoints): rope_scaling applies to the global layers only.
    if (fields.has("rope_parameters"))
      read_scaling(fields, fields.json().at("rope_parameters"), "rope_parameters", global);
    if (fields.has("rope_scaling")) read_scaling(fields, fields.json().at("rope_scaling"), "rope_scaling", global);
  }
  check_theta(global, fields);
  check_theta(local, fields);
  out.rope = global;
  out.local_rope = local;
}

void check_rope(const RopeConfig& rope, const ModelConfig& config, const ConfigFields& fields) {
  if (!(rope.partial_rotary_factor > 0 && rope.partial_rotary_factor <= 1)) {
    fields.fail("partial_rotary_factor must be in (0, 1]");
  }
  const auto rotary = static_cast<std::int64_t>(static_cast<double>(config.d_head) * rope.partial_rotary_factor);
  if (rotary < 2 || rotary % 2 != 0) {
    fields.fail("the rotary width (head_dim " + std::to_string(config.d_head) + " x partial_rotary_factor) must be " +
                "even and at least 2, got " + std::to_string(rotary));
  }
  if (rope.type != RopeType::kLongRope) return;
  const auto half = static_cast<std::size_t>(rotary / 2);
  if (rope.short_factor.size() != half || rope.long_factor.size() != half) {
    fields.fail("longrope short_factor and long_factor must each have rotary width / 2 = " + std::to_string(half) +
                " entries, got " + std::to_string(rope.short_factor.size()) + " and " +
                std::to_string(rope.long_factor.size()));
  }
  for (const auto* factors : {&rope.short_factor, &rope.long_factor}) {
    for (const double f : *factors) {
      if (!std::isfinite(f) || f <= 0) fields.fail("longrope factors must be positive numbers");
    }
  }
}

}  // namespace forensics::runtime
