"""Writes tests/cli/hostile-models/: small model directories whose checkpoint or config is broken
in one way each. `forensics model info` must exit 4 on each, naming the problem (expected.tsv).
Run once with any Python 3 (stdlib only); the outputs are committed.
"""
import json
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostile-models")
CONFIG = {"architectures": ["LlamaForCausalLM"], "vocab_size": 16, "hidden_size": 8, "intermediate_size": 16,
          "num_hidden_layers": 1, "num_attention_heads": 2, "num_key_value_heads": 1, "rms_norm_eps": 1e-5,
          "tie_word_embeddings": True, "max_position_embeddings": 32}
SHAPES = {"model.embed_tokens.weight": [16, 8], "model.layers.0.input_layernorm.weight": [8],
          "model.layers.0.post_attention_layernorm.weight": [8], "model.layers.0.self_attn.q_proj.weight": [8, 8],
          "model.layers.0.self_attn.k_proj.weight": [4, 8], "model.layers.0.self_attn.v_proj.weight": [4, 8],
          "model.layers.0.self_attn.o_proj.weight": [8, 8], "model.layers.0.mlp.gate_proj.weight": [16, 8],
          "model.layers.0.mlp.up_proj.weight": [16, 8], "model.layers.0.mlp.down_proj.weight": [8, 16],
          "model.norm.weight": [8]}


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def safetensors(shapes, dtype="F32", tweak=None):
    header, offset, data = {}, 0, b""
    for name, shape in shapes.items():
        size = numel(shape) * 4
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        data += struct.pack(f"<{numel(shape)}f", *([0.01] * numel(shape)))
        offset += size
    if tweak:
        tweak(header)
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def write(name, config=CONFIG, checkpoint=None, extra=None):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)
    if checkpoint is not None:
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(checkpoint)
    for file, content in (extra or {}).items():
        with open(os.path.join(folder, file), "wb") as f:
            f.write(content)


good = safetensors(SHAPES)
write("valid", checkpoint=good)
write("truncated-file", checkpoint=good[:5])
write("header-longer-than-file", checkpoint=struct.pack("<Q", 10_000) + good[8:200])
write("header-not-json", checkpoint=struct.pack("<Q", 12) + b"{not json!!}" + b"")
write("unknown-dtype", checkpoint=safetensors(SHAPES, tweak=lambda h: h["model.norm.weight"].update(dtype="F33")))
write("span-past-end", checkpoint=good[:-8])
def overlap(h):
    h["model.norm.weight"]["data_offsets"] = [h["model.norm.weight"]["data_offsets"][0] - 4,
                                              h["model.norm.weight"]["data_offsets"][1] - 4]
write("overlapping-spans", checkpoint=safetensors(SHAPES, tweak=overlap))
write("shape-span-mismatch", checkpoint=safetensors(SHAPES, tweak=lambda h: h["model.norm.weight"].update(shape=[9])))
write("missing-tensor", checkpoint=safetensors({k: v for k, v in SHAPES.items() if "down_proj" not in k}))
write("wrong-shape", checkpoint=safetensors(dict(SHAPES, **{"model.layers.0.self_attn.k_proj.weight": [8, 8]})))
write("zero-layers", config=dict(CONFIG, num_hidden_layers=0), checkpoint=good)
write("negative-hidden-size", config=dict(CONFIG, hidden_size=-8), checkpoint=good)
write("unsupported-architecture", config=dict(CONFIG, architectures=["BertModel"]), checkpoint=good)
# A config far larger than its weights: hundreds of missing tensors, listed 20 at a time.
write("config-larger-than-weights", config=dict(CONFIG, num_hidden_layers=40), checkpoint=good)
write("no-architecture", config={k: v for k, v in CONFIG.items() if k != "architectures"}, checkpoint=good)
# What a user has before downloading the weights: the config alone.
write("config-only-unsupported", config=dict(CONFIG, architectures=["MambaForCausalLM"]))
write("model-type-only", config=dict({k: v for k, v in CONFIG.items() if k != "architectures"}, model_type="llama"),
      checkpoint=good)
write("pickle-only", extra={"pytorch_model.bin": b"\x80\x04\x95 not loaded"})
print("wrote", sorted(os.listdir(OUT)))
