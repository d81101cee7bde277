"""A bfloat16 checkpoint is held once: loading and scoring a ~1 GB sharded bfloat16 Llama-shaped
checkpoint raises the peak resident set of `forensics-torch model score` above that of the same
command on a tiny model by at most 1.1x the checkpoint's size (a float32 copy would be 2x, the
copy plus its mapped pages 2x as well). The 16 GB measurement is scripts/bench_load_8b.py; this is
its regression test at a size the suite can afford.

usage: load_memory_test.py FORENSICS_TORCH WORK_DIR TOKENIZER_DIR
"""
import json
import os
import shutil
import subprocess
import sys


BINARY, WORK, TOKENIZER = (sys.argv[1:4] + [None] * 3)[:3]
D, F, V, LAYERS = 2048, 5632, 2000, 11


def write_checkpoint(folder, layers, d, f):
    """Random bfloat16 Llama weights in two shards with an index, and the fixture tokenizer."""
    import torch
    from safetensors.torch import save_file
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    config = {"architectures": ["LlamaForCausalLM"], "vocab_size": V, "hidden_size": d, "intermediate_size": f,
              "num_hidden_layers": layers, "num_attention_heads": 16, "num_key_value_heads": 4,
              "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "torch_dtype": "bfloat16"}
    json.dump(config, open(os.path.join(folder, "config.json"), "w"))
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(TOKENIZER, name), folder)
    kv = 4 * d // 16
    generator = torch.Generator().manual_seed(0)

    def matrix(*shape):
        return torch.empty(shape, dtype=torch.bfloat16).normal_(0, 0.02, generator=generator)

    shards = [{"model.embed_tokens.weight": matrix(V, d)}, {}]
    for l in range(layers):
        p = f"model.layers.{l}."
        shard = shards[0] if l < layers // 2 else shards[1]
        shard.update({p + "input_layernorm.weight": torch.ones(d, dtype=torch.bfloat16),
                      p + "post_attention_layernorm.weight": torch.ones(d, dtype=torch.bfloat16),
                      p + "self_attn.q_proj.weight": matrix(d, d), p + "self_attn.k_proj.weight": matrix(kv, d),
                      p + "self_attn.v_proj.weight": matrix(kv, d), p + "self_attn.o_proj.weight": matrix(d, d),
                      p + "mlp.gate_proj.weight": matrix(f, d), p + "mlp.up_proj.weight": matrix(f, d),
                      p + "mlp.down_proj.weight": matrix(d, f)})
    shards[1].update({"model.norm.weight": torch.ones(d, dtype=torch.bfloat16), "lm_head.weight": matrix(V, d)})
    index = {"metadata": {}, "weight_map": {}}
    for i, tensors in enumerate(shards):
        name = f"model-{i + 1:05d}-of-00002.safetensors"
        save_file(tensors, os.path.join(folder, name), metadata={"format": "pt"})
        index["weight_map"].update({key: name for key in tensors})
    json.dump(index, open(os.path.join(folder, "model.safetensors.index.json"), "w"))
    return sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder) if n.endswith(".safetensors"))


def peak_rss(folder):
    child = subprocess.Popen([BINARY, "model", "score", folder, "--context", "The monitor", "--continuation",
                              " adds latency"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"FAIL: model score on {folder} failed:\n{child.stderr.read().decode()}")
    return usage.ru_maxrss * 1024


def write_elsewhere(folder, layers, d, f):
    """write_checkpoint in a child process: a child's peak RSS starts from its parent's RSS at fork
    (the kernel carries the high-water mark across exec), so this process must stay small."""
    subprocess.run([sys.executable, __file__, "--write", folder, str(layers), str(d), str(f), TOKENIZER], check=True)
    return sum(os.path.getsize(os.path.join(folder, n)) for n in os.listdir(folder) if n.endswith(".safetensors"))


def main():
    big = write_elsewhere(os.path.join(WORK, "bf16-1gib"), LAYERS, D, F)
    small = write_elsewhere(os.path.join(WORK, "bf16-tiny"), 1, 64, 128)
    baseline = peak_rss(os.path.join(WORK, "bf16-tiny"))
    peak = peak_rss(os.path.join(WORK, "bf16-1gib"))
    added = peak - baseline
    print(f"checkpoint {big / 2**20:.0f} MiB (tiny {small / 2**20:.1f} MiB): peak RSS {peak / 2**20:.0f} MiB, "
          f"tiny model's {baseline / 2**20:.0f} MiB, added {added / 2**20:.0f} MiB = {added / big:.2f} x the weights")
    shutil.rmtree(os.path.join(WORK, "bf16-1gib"), ignore_errors=True)
    if added > 1.1 * big:
        sys.exit(f"FAIL: loading added {added / big:.2f} x the checkpoint's size, more than 1.1 x")
    print("ok")


if __name__ == "__main__":
    if sys.argv[1] == "--write":
        TOKENIZER = sys.argv[6]
        write_checkpoint(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
