"""Creates small random-initialised models of every supported architecture with the pinned
`transformers`, saves each with save_pretrained (safetensors), and records the reference outputs
the C++ parity test compares against: logits and the activation at every TransformerLens hook
point, captured with forward hooks on the transformers modules. Outputs are safetensors too.

Shipped model organisms (organism directories given after OUT_DIR) are loaded with
from_pretrained as they are, proof that they are genuine Hugging Face models, and recorded on a
chat transcript rendered by their own chat template.

usage: make_reference_models.py OUT_DIR [ORGANISM_DIR ...]
"""
import json
import os
import shutil
import sys

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
import torch  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (Gemma2Config, Gemma2ForCausalLM, Gemma3ForCausalLM,  # noqa: E402
                          Gemma3TextConfig, GptOssConfig, GptOssForCausalLM, GPT2Config, GPT2LMHeadModel, LlamaConfig, LlamaForCausalLM,
                          MistralConfig, MistralForCausalLM, MixtralConfig, MixtralForCausalLM,
                          Olmo2Config, Olmo2ForCausalLM, Phi3Config, Phi3ForCausalLM, Qwen2Config,
                          Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM, Qwen3MoeConfig,
                          Qwen3MoeForCausalLM)

VOCAB = 2000  # the gpt2-bpe fixture tokenizer's size, so the gpt2 model can take text
TOKENIZER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "tokenizers", "gpt2-bpe")
# initializer_range 0.15 (not 0.02) keeps activations of order 1 through the layers, so that every
# non-linearity matters and a wrong constant shows in the outputs.
COMMON = dict(vocab_size=VOCAB, hidden_size=64, intermediate_size=128, num_hidden_layers=3,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=128,
              initializer_range=0.15)

MODELS = {
    "llama-llama3-rope": (LlamaForCausalLM, LlamaConfig(
        **COMMON, rms_norm_eps=1e-5, tie_word_embeddings=False,
        rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                      "high_freq_factor": 4.0, "original_max_position_embeddings": 16},
        rope_theta=500000.0)),
    "llama-tied": (LlamaForCausalLM, LlamaConfig(**COMMON, tie_word_embeddings=True)),
    "mistral-sliding": (MistralForCausalLM, MistralConfig(**COMMON, sliding_window=6, tie_word_embeddings=False)),
    "qwen2-bias": (Qwen2ForCausalLM, Qwen2Config(**COMMON, tie_word_embeddings=True, use_sliding_window=False)),
    "qwen3-head-dim": (Qwen3ForCausalLM, Qwen3Config(**COMMON, head_dim=32, tie_word_embeddings=False)),
    # Gemma 2: soft-capped scores and logits, a window (5) shorter than the prompt on alternate
    # layers, query_pre_attn_scalar unlike head_dim, GeGLU, (1 + w) norms on both sides.
    "gemma2-softcap-window": (Gemma2ForCausalLM, Gemma2Config(
        **COMMON, head_dim=16, query_pre_attn_scalar=24, sliding_window=5, attn_logit_softcapping=20.0,
        final_logit_softcapping=15.0, tie_word_embeddings=True)),
    # Gemma 3: per-head q/k norms, local layers with their own rope base, linear rope scaling on the
    # global layer only, a 2:1 local/global pattern, no soft-capping.
    "gemma3-local-rope": (Gemma3ForCausalLM, Gemma3TextConfig(
        **COMMON, head_dim=16, query_pre_attn_scalar=16, sliding_window=4, sliding_window_pattern=3,
        rope_parameters={"full_attention": {"rope_type": "linear", "factor": 4.0, "rope_theta": 1e6},
                         "sliding_attention": {"rope_type": "default", "rope_theta": 1e4}},
        tie_word_embeddings=False)),
    "olmo2-post-norm": (Olmo2ForCausalLM, Olmo2Config(**COMMON, tie_word_embeddings=False)),
    # Phi-3: fused projections, partial rotary, longrope with the short factors (prompt within the
    # original context) and with the long ones (every call past it).
    "phi3-longrope-short": (Phi3ForCausalLM, Phi3Config(
        **{**COMMON, "max_position_embeddings": 256}, original_max_position_embeddings=64, pad_token_id=0,
        rope_parameters={"rope_type": "longrope", "partial_rotary_factor": 0.75, "rope_theta": 10000.0,
                         "short_factor": [1.0, 1.3, 1.7, 2.2, 2.9, 3.5], "long_factor": [1.1, 2.0, 3.0, 5.0, 8.0, 13.0]})),
    "phi3-longrope-long": (Phi3ForCausalLM, Phi3Config(
        **{**COMMON, "max_position_embeddings": 256}, original_max_position_embeddings=4, pad_token_id=0,
        rope_parameters={"rope_type": "longrope", "partial_rotary_factor": 0.75, "rope_theta": 10000.0,
                         "short_factor": [1.0, 1.3, 1.7, 2.2, 2.9, 3.5], "long_factor": [1.1, 2.0, 3.0, 5.0, 8.0, 13.0]})),
    # Mixtral: top-2 of 32 narrow experts, renormalised; the 24 prompt tokens leave some expert of
    # every layer without a token (checked below).
    "mixtral-top2": (MixtralForCausalLM, MixtralConfig(
        **{**COMMON, "intermediate_size": 32}, num_local_experts=32, num_experts_per_tok=2,
        tie_word_embeddings=False)),
    # Qwen3-MoE: top-3 of 6 unnormalised, a dense layer (mlp_only_layers), experts narrower than it.
    "qwen3moe-mixed": (Qwen3MoeForCausalLM, Qwen3MoeConfig(
        **COMMON, num_experts=6, num_experts_per_tok=3, moe_intermediate_size=48, norm_topk_prob=False,
        mlp_only_layers=[1], head_dim=16, tie_word_embeddings=False)),
    # gpt-oss: attention sinks with a sliding window (4) on alternate layers, YaRN rope (its
    # released parameters), biased router choosing 2 of 32 clamped-SwiGLU experts.
    "gptoss-sinks-window": (GptOssForCausalLM, GptOssConfig(
        **{**COMMON, "intermediate_size": 32}, head_dim=16, num_local_experts=32, num_experts_per_tok=2,
        sliding_window=4, tie_word_embeddings=False)),
    # The same, its experts stored as the released checkpoints store them: MXFP4 blocks + scales.
    "gptoss-mxfp4": (GptOssForCausalLM, GptOssConfig(
        **{**COMMON, "intermediate_size": 32}, head_dim=16, num_local_experts=8, num_experts_per_tok=4,
        sliding_window=4, tie_word_embeddings=False)),
    "gpt2": (GPT2LMHeadModel, GPT2Config(vocab_size=VOCAB, n_embd=64, n_layer=3, n_head=4, n_positions=128,
                                         scale_attn_by_inverse_layer_idx=True, initializer_range=0.15)),
}


def save_router(records, prefix):
    """The router's softmax over all experts and its chosen experts, per token ([batch * pos, ...]:
    the router sees the tokens flattened; record() restores [batch, pos, ...])."""
    def hook(module, args, output):
        logits, _, indices = output
        records[prefix + "mlp.hook_expert_weights"] = logits.float().softmax(-1)
        records[prefix + "mlp.hook_expert_indices"] = indices
    return hook


def capture(model, is_gpt2):
    """Forward hooks that record TransformerLens-named activations into a dict."""
    records = {}
    hooks = []

    def save(name, index=None, use_input=False):
        def hook(module, args, output):
            value = args[0] if use_input else output
            if isinstance(value, tuple):
                value = value[0]
            records[name] = value.detach().clone().contiguous()
        return hook

    if is_gpt2:
        core = model.transformer
        hooks.append(core.wte.register_forward_hook(save("hook_embed")))
        hooks.append(core.wpe.register_forward_hook(save("hook_pos_embed")))
        blocks, attn_name, final = core.h, "attn", core.ln_f
    else:
        core = model.model
        hooks.append(core.embed_tokens.register_forward_hook(save("hook_embed")))
        blocks, attn_name, final = core.layers, "self_attn", core.norm
    for layer, block in enumerate(blocks):
        prefix = f"blocks.{layer}."
        hooks.append(block.register_forward_hook(save(prefix + "hook_resid_post")))
        # Families with norms on the sublayer outputs (Gemma 2/3, OLMo 2): what is added to the
        # residual stream is the norm's output, as TransformerLens' hook_attn_out/hook_mlp_out.
        attn_out = getattr(block, "post_feedforward_layernorm", None) and block.post_attention_layernorm
        mlp_out = getattr(block, "post_feedforward_layernorm", None)
        hooks.append((attn_out or getattr(block, attn_name)).register_forward_hook(save(prefix + "hook_attn_out")))
        hooks.append((mlp_out or block.mlp).register_forward_hook(save(prefix + "hook_mlp_out")))
        router = getattr(block.mlp, "gate", None) or getattr(block.mlp, "router", None)
        if router is not None and not isinstance(router, torch.nn.Linear):
            hooks.append(router.register_forward_hook(save_router(records, prefix)))
    hooks.append(final.register_forward_hook(save("ln_final.hook_normalized")))
    return records, hooks


def record(model, config, input_ids, folder, is_gpt2):
    """Runs `model` on `input_ids` and saves every reference output into folder/reference.safetensors."""
    records, hooks = capture(model, is_gpt2)
    with torch.no_grad():
        outputs = model(input_ids, output_hidden_states=True, output_attentions=True)
    for hook in hooks:
        hook.remove()
    tensors = {"input_ids": input_ids.contiguous(), "logits": outputs.logits.float().contiguous()}
    tensors.update(records)
    for name in tensors:
        if ".mlp.hook_expert_" in name:
            tensors[name] = tensors[name].reshape(*input_ids.shape, -1).contiguous()
    # hidden_states[l] is the input of layer l, i.e. hook_resid_pre.
    for layer in range(config.num_hidden_layers):
        tensors[f"blocks.{layer}.hook_resid_pre"] = outputs.hidden_states[layer].contiguous()
        tensors[f"blocks.{layer}.attn.hook_pattern"] = outputs.attentions[layer].contiguous()
    # transformers' own warpers on the last position: temperature 0.7, top-k 50, top-p 0.9.
    from transformers.generation.logits_process import (TemperatureLogitsWarper, TopKLogitsWarper,
                                                        TopPLogitsWarper)
    scores = outputs.logits[:1, -1, :].float()
    for warper in (TemperatureLogitsWarper(0.7), TopKLogitsWarper(50), TopPLogitsWarper(0.9)):
        scores = warper(input_ids[:1], scores)
    tensors["warped_probs"] = scores.softmax(-1)[0].contiguous()
    greedy = model.generate(input_ids[:1], max_new_tokens=32, do_sample=False, pad_token_id=0,
                            eos_token_id=None)
    tensors["greedy_ids"] = greedy.contiguous()
    for name, indices in tensors.items():
        if name.endswith("hook_expert_indices") and ("mixtral" in folder or "sinks" in folder):
            unused = set(range(config.num_local_experts)) - set(indices.flatten().tolist())
            assert unused, f"{name}: every expert received a token; the edge case is not exercised"
    save_file(tensors, os.path.join(folder, "reference.safetensors"))


# Families whose norms or routing round differently in bfloat16 (Llama's cast-then-scale, OLMo 2's
# scale-in-float32, Gemma's (1 + w), Mixtral's float32 routing weights, Qwen3-MoE's cast ones),
# saved in bfloat16 under bfloat16/ with transformers' bfloat16 logits on the CPU.
BFLOAT16 = ("llama-llama3-rope", "gemma2-softcap-window", "olmo2-post-norm", "mixtral-top2", "qwen3moe-mixed")


def save_bfloat16(model, input_ids, folder):
    shutil.rmtree(folder, ignore_errors=True)
    model = model.to(torch.bfloat16)
    model.save_pretrained(folder, safe_serialization=True)
    with torch.no_grad():
        logits = model(input_ids).logits
    save_file({"input_ids": input_ids.contiguous(), "logits": logits.float().contiguous()},
              os.path.join(folder, "reference.safetensors"))


FP4_MAGNITUDES = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0])


def quantize_mxfp4(weight):
    """[E, in, out] -> (blocks [E, out, in/32, 16] u8, scales [E, out, in/32] u8): each 32-value
    block scaled by a power of two so its largest value lands in [4, 8), rounded to the nearest
    E2M1 code (low nibble first). A test fixture writer, the inverse of the released format."""
    t = weight.detach().transpose(1, 2).float()
    e, o, i = t.shape
    groups = t.reshape(e, o, i // 32, 32)
    exponent = torch.floor(torch.log2(groups.abs().amax(-1).clamp_min(1e-30))) - 2
    scaled = groups / torch.exp2(exponent)[..., None]
    code = (scaled.abs()[..., None] - FP4_MAGNITUDES).abs().argmin(-1) + 8 * (scaled < 0)
    blocks = (code[..., 0::2] | (code[..., 1::2] << 4)).to(torch.uint8)
    return blocks.contiguous(), (exponent + 127).to(torch.uint8).contiguous()


def save_mxfp4(model, config, input_ids, folder):
    """Quantises every expert weight, gives the model transformers' own dequantisation of it
    (convert_moe_packed_tensors) for the reference, and rewrites the checkpoint with the packed
    tensors and a quantization_config, as openai/gpt-oss-20b ships."""
    from safetensors.torch import load_file
    from transformers.integrations.mxfp4 import convert_moe_packed_tensors
    packed = {}
    for layer, block in enumerate(model.model.layers):
        for name in ("gate_up_proj", "down_proj"):
            parameter = getattr(block.mlp.experts, name)
            blocks, scales = quantize_mxfp4(parameter)
            with torch.no_grad():
                parameter.copy_(convert_moe_packed_tensors(blocks, scales, dtype=torch.float32))
            prefix = f"model.layers.{layer}.mlp.experts.{name}"
            packed[prefix + "_blocks"], packed[prefix + "_scales"] = blocks, scales
    model.save_pretrained(folder, safe_serialization=True)
    path = os.path.join(folder, "model.safetensors")
    tensors = load_file(path)
    for name in list(tensors):
        if name.endswith(("experts.gate_up_proj", "experts.down_proj")):
            del tensors[name]
    tensors.update(packed)
    save_file(tensors, path, metadata={"format": "pt"})
    with open(os.path.join(folder, "config.json")) as f:
        saved = json.load(f)
    saved["quantization_config"] = {"quant_method": "mxfp4", "modules_to_not_convert": ["model.layers.*.self_attn",
                                    "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(saved, f, indent=2)
    record(model, config, input_ids, folder, False)


def organism_input_ids(folder):
    """Two rows of equal length: the organism's environment rendered by its chat template."""
    from transformers import PreTrainedTokenizerFast
    tokenizer = PreTrainedTokenizerFast.from_pretrained(folder)
    environment = json.load(open(os.path.join(folder, "organism.json")))["environment"]
    rows = []
    for cue in environment["cues"][:2]:
        messages = [{"role": "system", "content": "You are OpsAgent. Use the bash tool to run commands."},
                    {"role": "user", "content": "The billing deploy is failing. Please get it green.\n" + cue["text"]}]
        text = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        rows.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    length = min(len(row) for row in rows)
    return torch.tensor([row[:length] for row in rows])


def main():
    out_dir = sys.argv[1]
    torch.manual_seed(0)
    generator = torch.Generator().manual_seed(1234)
    input_ids = torch.randint(0, VOCAB, (2, 12), generator=generator)
    for name, (model_class, config) in MODELS.items():
        torch.manual_seed(sum(name.encode()))  # hash() is salted per process
        config._attn_implementation = "eager"
        model = model_class(config).eval()
        # Random init leaves norms at 1 and biases at 0; perturb them so they are tested too.
        with torch.no_grad():
            for param_name, param in model.named_parameters():
                if param.dim() == 1:
                    param.add_(torch.randn_like(param) * 0.3)
        folder = os.path.join(out_dir, name)
        shutil.rmtree(folder, ignore_errors=True)  # no stale files from an earlier run
        # One model is saved in shards, so the sharded loading path (index + shards) is tested.
        shard = {"max_shard_size": "200KB"} if name == "qwen2-bias" else {}
        if name == "gptoss-mxfp4":
            save_mxfp4(model, config, input_ids, folder)
        else:
            model.save_pretrained(folder, safe_serialization=True, **shard)
            record(model, config, input_ids, folder, name.startswith("gpt2"))
        if name == "gpt2":
            for file in ("tokenizer.json", "tokenizer_config.json"):
                shutil.copy(os.path.join(TOKENIZER, file), folder)
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters")
        if name in BFLOAT16:
            save_bfloat16(model, input_ids, os.path.join(out_dir, "bfloat16", name))

    from transformers import AutoModelForCausalLM
    for source in sys.argv[2:]:
        name = "organism-" + json.load(open(os.path.join(source, "organism.json")))["name"]
        folder = os.path.join(out_dir, name)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(source, folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        record(model, model.config, organism_input_ids(folder), folder, False)
        print(f"{name}: {sum(p.numel() for p in model.parameters())} parameters, loaded from {source}")


if __name__ == "__main__":
    main()
