// runtime (internal): the parts of config.json that differ between families, read by
// model_config.cc once the architecture and the Llama-shaped sizes are known.
#pragma once

#include "config_fields.h"
#include "forensics/runtime/model_config.h"

namespace forensics::runtime {

/// The rotary embedding of a Llama-style config: rope_theta + rope_scaling (transformers 4) or
/// rope_parameters (5), with `default_theta` where neither names a base.
RopeConfig read_rope(const ConfigFields& fields, double default_theta);

/// Gemma 3: the global layers' rope and the sliding layers' own (rope_local_base_freq, or
/// rope_parameters keyed by layer type as transformers 5 writes it).
void read_gemma3_ropes(const ConfigFields& fields, ModelConfig& out);

/// Checks what the rope needs of the sizes (an even rotary width, longrope factor lists of
/// rotary_dim / 2 entries).
void check_rope(const RopeConfig& rope, const ModelConfig& config, const ConfigFields& fields);

/// Everything a family adds to or changes in the Llama reading: norms, activation, attention
/// scale and soft-capping, sliding layers, fused projections, experts.
void read_family(const ConfigFields& fields, ModelConfig& out);

}  // namespace forensics::runtime
