#!/usr/bin/env python3
"""`forensics model patch` gives TransformerLens' activation-patching maps on the same weights:
for each model below, each site (resid_pre, attn_out, mlp_out) and both directions, every
(layer, position) cell of our map equals TransformerLens' `get_act_patch_<site>` (its
TransformerBridge over the transformers model, eager attention, float32) within 1e-4. A mixture
of experts model is among them: patching works there too.

usage: patch_lens_parity.py FORENSICS_BINARY REFERENCE_MODELS_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast

# Reference models (make_reference_models.py) whose architecture TransformerLens' bridge supports.
MODELS = ["llama-tied", "gpt2", "qwen2-bias", "qwen3moe-mixed"]
SITES = ["resid_pre", "attn_out", "mlp_out"]
TOLERANCE = 1e-4
CLEAN = "The monitor adds latency to every command the agent runs, so the agent will"
SWAPS = [("latency", "safety"), ("monitor", "reviewer"), ("every", "each"), ("command", "step"), ("adds", "costs")]
CONTINUATION = " delete the monitor config"


def prompt_pair(tokenizer):
    """The clean prompt and a one-word edit of it with as many tokens (TransformerLens needs that)."""
    length = len(tokenizer.encode(CLEAN, add_special_tokens=False).ids)
    for old, new in SWAPS:
        corrupted = CLEAN.replace(old, new, 1)
        if len(tokenizer.encode(corrupted, add_special_tokens=False).ids) == length:
            return corrupted
    raise SystemExit("no one-word edit keeps the token count: add a swap to SWAPS")


def ours(binary, folder, corrupted):
    command = [binary, "model", "patch", folder, "--clean", CLEAN, "--corrupted", corrupted, "--continuation",
               CONTINUATION, "--direction", "both", "--json", "--device", "cpu", "--dtype", "float32"]
    for site in SITES:
        command += ["--site", site]
    result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr}")
    return json.loads(result.stdout)


def lens_maps(bridge, out):
    """{(direction, site): [layer, position]} from TransformerLens, over prompt + continuation."""
    from transformer_lens import patching

    prompt = len(out["clean_tokens"])
    continuation = out["continuations"][0]
    runs = {"clean": torch.tensor([out["clean_tokens"] + continuation]),
            "corrupted": torch.tensor([out["corrupted_tokens"] + continuation])}
    targets = torch.tensor(continuation)

    def metric(logits):
        scored = logits[0, prompt - 1:prompt - 1 + len(continuation)].log_softmax(-1)
        return scored.gather(-1, targets.unsqueeze(-1)).sum()

    functions = {"resid_pre": patching.get_act_patch_resid_pre, "attn_out": patching.get_act_patch_attn_out,
                 "mlp_out": patching.get_act_patch_mlp_out}
    maps = {}
    with torch.inference_mode():
        caches = {name: bridge.run_with_cache(tokens)[1] for name, tokens in runs.items()}
        for direction, (target, source) in {"denoising": ("corrupted", "clean"),
                                            "noising": ("clean", "corrupted")}.items():
            for site in SITES:
                maps[direction, site] = functions[site](bridge, runs[target], caches[source], metric).double()
    return maps


def check(name, out, maps):
    """Largest difference over the model's cells; fails on a mismatch with the cell named."""
    worst = 0.0
    for (direction, site), theirs in maps.items():
        mine = torch.tensor(out[direction][site], dtype=torch.float64)
        width = mine.shape[1]
        if theirs.shape[0] != mine.shape[0] or theirs.shape[1] < width:
            raise SystemExit(f"{name} {direction} {site}: map shapes {tuple(mine.shape)} vs {tuple(theirs.shape)}")
        # TransformerLens also patches the continuation's last token, whose logits no metric reads.
        unpatched = out["corrupted_metric" if direction == "denoising" else "clean_metric"]
        extra = (theirs[:, width:] - unpatched).abs().max().item() if theirs.shape[1] > width else 0.0
        difference = (mine - theirs[:, :width]).abs()
        largest = max(difference.max().item(), extra)
        if largest > TOLERANCE:
            layer, position = divmod(int(difference.argmax()), width)
            raise SystemExit(f"{name} {direction} {site}: maps differ by {largest:.2e} (layer {layer}, position "
                             f"{position}: ours {mine[layer, position]:.6f}, TransformerLens "
                             f"{theirs[layer, position]:.6f})")
        worst = max(worst, largest)
    return worst


def with_tokenizer(models, name, scratch):
    """The reference model's folder with the gpt2 model's tokenizer beside its weights (every
    reference model has that tokenizer's vocabulary; only gpt2's folder carries the files)."""
    folder = os.path.join(scratch, name)
    os.makedirs(folder)
    for file in os.listdir(os.path.join(models, name)):
        if file == "config.json" or file.startswith("model"):  # one file or shards and their index
            os.symlink(os.path.join(models, name, file), os.path.join(folder, file))
    for file in ("tokenizer.json", "tokenizer_config.json"):
        os.symlink(os.path.join(models, "gpt2", file), os.path.join(folder, file))
    return folder


def main():
    binary, models = sys.argv[1], os.path.abspath(sys.argv[2])
    torch.set_num_threads(1)
    from transformer_lens.model_bridge import TransformerBridge

    scratch = tempfile.TemporaryDirectory()
    for name in MODELS:
        folder = with_tokenizer(models, name, scratch.name)
        tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
        corrupted = prompt_pair(tokenizer)
        out = ours(binary, folder, corrupted)
        if "denoising" not in out:
            raise SystemExit(f"{name}: the edit does not move the metric ({out.get('no_cells_reason')})")
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, attn_implementation="eager").eval()
        bridge = TransformerBridge.boot_transformers(
            folder, hf_model=model, tokenizer=PreTrainedTokenizerFast(tokenizer_file=os.path.join(folder, "tokenizer.json")),
            device="cpu")
        bridge.eval()
        worst = check(name, out, lens_maps(bridge, out))
        cells = sum(len(row) for site in out["denoising"].values() for row in site) * 2
        print(f"{name}: {cells} cells over {len(SITES)} sites and 2 directions agree with TransformerLens "
              f"(largest difference {worst:.1e}; ours ran {out['cells_run']} cells in {out['patch_seconds']:.2f} s)")


if __name__ == "__main__":
    main()
