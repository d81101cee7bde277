"""config.json files of the released models' shapes read as transformers reads them: for each,
transformers builds the model on the meta device (no memory) and we read the same file (the
[config-parity] case of the torch-free unit-test binary); sizes, which layers slide, the attention
scale, soft-capping, rope base and attention factor (global and Gemma 3's local), and which layers
are mixtures of how many experts must agree. The shapes are transformers' defaults for each
config class (each the shape of a released checkpoint) or written out below; Gemma 3's are in the
transformers-4 spelling the released files use (rope_local_base_freq, sliding_window_pattern).

usage: config_parity.py UNIT_TEST_BINARY WORK_DIR
"""
import json
import math
import os
import subprocess
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import torch  # noqa: E402
import transformers  # noqa: E402

BINARY, WORK = sys.argv[1], sys.argv[2]


def factors(n, scale):
    return [round(1.0 + scale * i / n, 4) for i in range(n)]


# name -> (config class, the config.json dict as written to disk)
CONFIGS = {
    "llama-3.1-8b": ("LlamaConfig", dict(
        vocab_size=128256, hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
        num_key_value_heads=8, max_position_embeddings=131072, rope_theta=500000.0,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                      "original_max_position_embeddings": 8192})),
    "gemma-2-2b": ("Gemma2Config", {}),
    "gemma-3-1b": ("Gemma3TextConfig", dict(
        vocab_size=262144, hidden_size=1152, intermediate_size=6912, num_hidden_layers=26, num_attention_heads=4,
        num_key_value_heads=1, head_dim=256, query_pre_attn_scalar=256, sliding_window=512, sliding_window_pattern=6,
        rope_theta=1000000, rope_local_base_freq=10000, rope_scaling=None, max_position_embeddings=32768,
        attn_logit_softcapping=None, final_logit_softcapping=None)),
    "gemma-3-4b-text": ("Gemma3TextConfig", dict(
        vocab_size=262208, hidden_size=2560, intermediate_size=10240, num_hidden_layers=34, num_attention_heads=8,
        num_key_value_heads=4, head_dim=256, query_pre_attn_scalar=256, sliding_window=1024, sliding_window_pattern=6,
        rope_theta=1000000.0, rope_local_base_freq=10000.0, rope_scaling={"factor": 8.0, "rope_type": "linear"},
        max_position_embeddings=131072)),
    "olmo-2-7b": ("Olmo2Config", {}),
    "phi-3-mini-128k": ("Phi3Config", dict(
        vocab_size=32064, hidden_size=3072, intermediate_size=8192, num_hidden_layers=32, num_attention_heads=32,
        max_position_embeddings=131072, original_max_position_embeddings=4096, sliding_window=262144,
        rope_scaling={"type": "longrope", "long_factor": factors(48, 20), "short_factor": factors(48, 0.5)},
        pad_token_id=32000)),
    "phi-4-mini": ("Phi3Config", dict(
        vocab_size=200064, hidden_size=3072, intermediate_size=8192, num_hidden_layers=32, num_attention_heads=24,
        num_key_value_heads=8, max_position_embeddings=131072, original_max_position_embeddings=4096,
        partial_rotary_factor=0.75, tie_word_embeddings=True, pad_token_id=199999,
        rope_scaling={"type": "longrope", "long_factor": factors(48, 30), "short_factor": factors(48, 0.2)})),
    "mixtral-8x7b": ("MixtralConfig", {}),
    "qwen3-30b-a3b": ("Qwen3MoeConfig", dict(
        vocab_size=151936, hidden_size=2048, intermediate_size=6144, moe_intermediate_size=768, num_hidden_layers=48,
        num_attention_heads=32, num_key_value_heads=4, head_dim=128, num_experts=128, num_experts_per_tok=8,
        norm_topk_prob=True, decoder_sparse_step=1, mlp_only_layers=[], rope_theta=1000000.0)),
    "qwen3-moe-dense-layers": ("Qwen3MoeConfig", dict(
        vocab_size=1000, hidden_size=256, intermediate_size=512, moe_intermediate_size=64, num_hidden_layers=8,
        num_attention_heads=4, num_key_value_heads=2, num_experts=16, num_experts_per_tok=4, decoder_sparse_step=2,
        mlp_only_layers=[3])),
    "gpt-oss-20b": ("GptOssConfig", dict(
        vocab_size=201088, hidden_size=2880, intermediate_size=2880, num_hidden_layers=24, num_attention_heads=64,
        num_key_value_heads=8, head_dim=64, num_local_experts=32, num_experts_per_tok=4, sliding_window=128,
        rope_theta=150000, max_position_embeddings=131072,
        rope_scaling={"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0, "original_max_position_embeddings": 4096,
                      "rope_type": "yarn", "truncate": False})),
}


def theirs(config_class, fields):
    """What transformers' modules, built from the file, use."""
    config = getattr(transformers, config_class)(**fields)
    config._attn_implementation = "eager"
    with torch.device("meta"):
        model = transformers.AutoModelForCausalLM.from_config(config)
    layers = model.model.layers
    attention = [layer.self_attn for layer in layers]
    rotary = model.model.rotary_emb

    def rope(layer_type=None):
        parameters = config.rope_parameters[layer_type] if layer_type else config.rope_parameters
        scaling = getattr(rotary, f"{layer_type}_attention_scaling", None) if layer_type else None
        if scaling is None:
            scaling = rotary.attention_scaling
            if isinstance(scaling, dict):
                scaling = scaling[layer_type] if layer_type else scaling["full_attention"]
        return {"theta": float(parameters["rope_theta"]), "attention_factor": float(scaling)}

    # Gemma and gpt-oss attention modules carry their layer's window; Mistral, Phi-3 and Mixtral
    # build one sliding-window mask for every layer when config.sliding_window is set.
    if all(hasattr(a, "sliding_window") for a in attention):
        sliding = [a.sliding_window is not None for a in attention]
        window = next((a.sliding_window for a in attention if a.sliding_window is not None), None)
    else:
        window = getattr(config, "sliding_window", None)
        sliding = [window is not None] * len(attention)
    sparse = [hasattr(layer.mlp, "experts") for layer in layers]
    first_sparse = next((layer.mlp for layer in layers if hasattr(layer.mlp, "experts")), None)
    gemma3 = config_class == "Gemma3TextConfig"
    softcap = getattr(attention[0], "attn_logit_softcapping", None)
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
    return {
        "n_layers": config.num_hidden_layers, "d_model": config.hidden_size, "d_mlp": config.intermediate_size,
        "n_heads": config.num_attention_heads, "n_kv_heads": config.num_key_value_heads, "d_head": head_dim,
        "d_vocab": config.vocab_size, "tie_word_embeddings": bool(config.tie_word_embeddings),
        "attention_scale": attention[0].scaling,
        "sliding_layers": sliding,
        "sliding_window": window,
        "rotary_dim": int(head_dim * config.rope_parameters.get("partial_rotary_factor", 1.0))
        if not gemma3 else head_dim,
        "rope": rope("full_attention" if gemma3 else None),
        "local_rope": rope("sliding_attention") if gemma3 else None,
        # transformers' Gemma 3 attention does not pass its soft-capping to the kernel.
        "attn_logit_softcap": None if gemma3 else softcap,
        "final_logit_softcap": getattr(config, "final_logit_softcapping", None),
        "n_experts": first_sparse.experts.num_experts if first_sparse is not None else 0,
        "top_k": config.num_experts_per_tok if first_sparse is not None else 0,
        "d_expert": first_sparse.experts.intermediate_dim if first_sparse is not None and hasattr(
            first_sparse.experts, "intermediate_dim") else (
            first_sparse.experts.intermediate_size if first_sparse is not None else 0),
        "sparse_layers": sparse if first_sparse is not None else [False] * config.num_hidden_layers,
    }


def close(a, b):
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return a == b


def main():
    os.makedirs(WORK, exist_ok=True)
    expected = {}
    for name, (config_class, fields) in CONFIGS.items():
        config = getattr(transformers, config_class)(**fields)
        # The file as a released checkpoint carries it: architectures, model_type and the fields above
        # (transformers 4 spelling where given), not transformers 5's re-serialisation.
        document = {"architectures": [config.architectures[0] if config.architectures else
                                      transformers.AutoModelForCausalLM._model_mapping[type(config)].__name__],
                    "model_type": config.model_type}
        document.update(fields if fields else {k: v for k, v in config.to_dict().items()
                                               if not k.startswith("_") and k != "transformers_version"})
        if name == "gpt-oss-20b":
            document["quantization_config"] = {"quant_method": "mxfp4"}
        with open(os.path.join(WORK, name + ".config.json"), "w") as f:
            json.dump(document, f)
        expected[name] = theirs(config_class, fields)
    subprocess.run([BINARY, "[config-parity]"], check=True, env=dict(os.environ, FORENSICS_CONFIG_PARITY_DIR=WORK),
                   stdout=subprocess.DEVNULL)
    failures = 0
    for name, want in expected.items():
        ours = json.load(open(os.path.join(WORK, name + ".ours.json")))
        for key, value in want.items():
            got = ours[key]
            same = all(close(got.get(k), v) for k, v in value.items()) if isinstance(value, dict) else close(got, value)
            if not same:
                failures += 1
                print(f"FAIL {name} {key}: transformers {value}, ours {got}")
        print(f"{name}: {ours['architecture']}, {sum(ours['sliding_layers'])} sliding and "
              f"{sum(ours['sparse_layers'])} mixture layers of {ours['n_layers']}, rope {ours['rope']}")
    if failures:
        sys.exit(f"{failures} difference(s)")
    print("ok")


if __name__ == "__main__":
    main()
