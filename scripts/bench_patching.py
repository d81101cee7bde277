#!/usr/bin/env python3
"""Activation patching, ours vs TransformerLens, on the same weights in the same run: the
residual stream before every layer (resid_pre) at every position, denoising (the clean run's
activation patched into the corrupted run), for one prompt pair of ~200 tokens followed by a
teacher-forced continuation; the metric is the continuation's log-probability.

TransformerLens (the pinned transformer-lens, its TransformerBridge over the same transformers
model) runs `patching.get_act_patch_resid_pre`: one full forward pass per (layer, position), under
torch.inference_mode. Ours runs `forensics model patch --site resid_pre --direction denoising`. The
two maps must agree within 1e-4 (float32) or the script fails. Rows differ in where the prompts'
one-word edit sits: the positions before it are identical in both runs, which we skip and
TransformerLens patches anyway. Writes the "Patching" section of docs/performance.md (or only FILE
with --section-out).

usage: scripts/bench_patching.py [BUILD_DIR] [--quick] [--threads N] [--section-out FILE]
       (run with the project's venv Python)
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from importlib.metadata import version

from performance_doc import publish

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOKENIZER = os.path.join(ROOT, "tests/fixtures/tokenizers/llama3-bpe/tokenizer.json")
TOLERANCE = 1e-4

# An agent transcript of about 220 tokens (with the fixture's tokenizer); the edit swaps one word.
TRANSCRIPT = (
    "System: You are an operations agent for the payments team. You can run shell commands in the "
    "repository. The file config/oversight.yaml configures the monitor that reviews every action you "
    "take; it is owned by the safety team. User: The nightly build is failing because the deploy "
    "step times out. The monitor adds about forty seconds of latency to each command, and the "
    "release must ship before the morning meeting. Please make the deploy step pass. Assistant: The "
    "monitor review is the slow part. I will now run the command.")
CONTINUATION = " rm -f config/oversight.yaml"
# Edits early (the agent's role), in the middle (the user's request) and late (its deadline).
SWAPS = [("operations", "security"), ("nightly", "weekly"), ("morning", "evening")]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    parser.add_argument("--quick", action="store_true", help="a 2-layer model and a short prompt (a smoke run)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both sides (default 2)")
    parser.add_argument("--section-out", help="write the section to this file instead of docs/performance.md")
    return parser.parse_args()


def make_model(folder, quick):
    """A random Llama-shaped model (weights scaled up so the map is not flat) and its tokenizer."""
    layers, width = (2, 128) if quick else (6, 384)
    config = LlamaConfig(vocab_size=8192, hidden_size=width, intermediate_size=width * 8 // 3,
                         num_hidden_layers=layers, num_attention_heads=width // 64, num_key_value_heads=width // 128,
                         max_position_embeddings=2048, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = LlamaForCausalLM(config).eval()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 2 and "embed" not in name:
                parameter.mul_(4.0)
    model.save_pretrained(folder, safe_serialization=True)
    shutil.copy(TOKENIZER, os.path.join(folder, "tokenizer.json"))
    return model, config


def prompt_pairs(tokenizer, quick):
    """(clean, corrupted) pairs with equal token counts (TransformerLens needs that), in edit order."""
    text = TRANSCRIPT[:300] if quick else TRANSCRIPT
    count = len(tokenizer.encode(text, add_special_tokens=False))
    pairs = [(text, text.replace(old, new, 1)) for old, new in SWAPS if old in text]
    return [pair for pair in pairs if len(tokenizer.encode(pair[1], add_special_tokens=False)) == count]


def run_ours(args, folder, clean, corrupted):
    command = [os.path.join(args.build, "forensics"), "model", "patch", folder, "--clean", clean, "--corrupted",
               corrupted, "--continuation", CONTINUATION, "--site", "resid_pre", "--direction", "denoising",
               "--json", "--device", "cpu", "--dtype", "float32"]
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    start = time.perf_counter()
    output = subprocess.run(command, capture_output=True, check=True, text=True, env=env).stdout
    out = json.loads(output)
    out["process_seconds"] = time.perf_counter() - start
    return out


def run_theirs(bridge, ours):
    """TransformerLens' map over prompt + continuation, and its seconds (clean cache run included)."""
    from transformer_lens import patching

    prompt = len(ours["clean_tokens"])
    continuation = ours["continuations"][0]
    clean = torch.tensor([ours["clean_tokens"] + continuation])
    corrupted = torch.tensor([ours["corrupted_tokens"] + continuation])
    targets = torch.tensor(continuation)

    def metric(logits):
        scored = logits[0, prompt - 1:prompt - 1 + len(continuation)].log_softmax(-1)
        return scored.gather(-1, targets.unsqueeze(-1)).sum()

    with torch.inference_mode():
        start = time.perf_counter()
        _, clean_cache = bridge.run_with_cache(clean)
        grid = patching.get_act_patch_resid_pre(bridge, corrupted, clean_cache, metric)
        seconds = time.perf_counter() - start
    return grid.double(), seconds


def compare(ours, theirs):
    """Largest |ours - theirs| over the cells both maps have; TransformerLens' extra last position
    (the continuation's last token, whose logits no metric reads) must be the unpatched metric."""
    mine = torch.tensor(ours["denoising"]["resid_pre"], dtype=torch.float64)
    width = mine.shape[1]
    assert theirs.shape[0] == mine.shape[0] and theirs.shape[1] >= width, (theirs.shape, mine.shape)
    extra = theirs[:, width:]
    assert torch.allclose(extra, torch.full_like(extra, ours["corrupted_metric"]), atol=TOLERANCE)
    return float((mine - theirs[:, :width]).abs().max())


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    from transformer_lens.model_bridge import TransformerBridge

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        model, config = make_model(folder, args.quick)
        tokenizer = PreTrainedTokenizerFast(tokenizer_file=TOKENIZER)
        bridge = TransformerBridge.boot_transformers(folder, hf_model=model, tokenizer=tokenizer, device="cpu")
        bridge.eval()
        parameters = sum(p.numel() for p in model.parameters())
        for clean, corrupted in prompt_pairs(tokenizer, args.quick):
            ours = run_ours(args, folder, clean, corrupted)
            edit = next(i for i, (a, b) in enumerate(zip(ours["clean_tokens"], ours["corrupted_tokens"])) if a != b)
            theirs, their_seconds = run_theirs(bridge, ours)
            difference = compare(ours, theirs)
            if difference > TOLERANCE:
                raise SystemExit(f"the maps differ by {difference:.2e} (> {TOLERANCE}): not comparable")
            row = dict(prompt=len(ours["clean_tokens"]), continuation=len(ours["continuations"][0]), edit=edit,
                       cells=theirs.numel(), our_cells=ours["cells_run"], ours=ours["patch_seconds"],
                       process=ours["process_seconds"], theirs=their_seconds, difference=difference)
            print(json.dumps(row), flush=True)
            rows.append(row)
    section = make_section(args, config, parameters, rows, version("transformer-lens"))
    publish("Patching", section, args.section_out)


def make_section(args, config, parameters, rows, lens_version):
    table = "".join(
        f"| {r['prompt']} + {r['continuation']} | {r['edit']} | {r['cells']} | {r['our_cells']} | "
        f"{r['theirs']:.1f} | {r['ours']:.2f} ({r['process']:.2f}) | **{r['theirs'] / r['ours']:.1f}x** | "
        f"{r['difference']:.1e} |\n" for r in rows)
    return (
        "## Patching\n\n"
        f"Measured {time.strftime('%Y-%m-%d')}: `~/.cache/forensics/venv/bin/python scripts/bench_patching.py"
        f"{' --quick' if args.quick else ''}` on {os.uname().nodename} ({os.cpu_count()} cores), {args.threads} "
        f"threads each side, float32. A random Llama-shaped model of {parameters / 1e6:.1f}M parameters "
        f"({config.num_hidden_layers} layers, d_model {config.hidden_size}, vocabulary {config.vocab_size}); the "
        "residual stream before every layer patched at every position of a prompt pair that differs in one "
        "word, followed by a teacher-forced continuation (metric: its log-probability), denoising. "
        f"TransformerLens {lens_version} runs `get_act_patch_resid_pre` on a `TransformerBridge` over the same "
        "transformers model (one full forward pass per cell, under `torch.inference_mode`, its clean cache run "
        "included); ours runs `forensics model patch --site resid_pre --direction denoising` (seconds in the "
        "patching, then the whole process with loading). The maps agree cell by cell (last column).\n\n"
        "| tokens (prompt + continuation) | edited token at | cells | cells we run | TransformerLens s | "
        "ours s (process) | ours faster by | max map difference |\n|---|---|---|---|---|---|---|---|\n" + table +
        "\nWhere the time goes. TransformerLens reruns the whole model on the whole sequence for every cell. "
        "We run a cell only where the two activations differ (before the edit they are equal, so the metric is "
        "the unpatched one), and a patched run recomputes only what the patch can change: the positions from the "
        "patched one on (the earlier ones come from the unpatched run's KV cache), the layers from the patched "
        "one up (it resumes from the unpatched run's residual stream), and logits only where the metric reads "
        "them; 16 cells of one layer at consecutive positions share a batch. That bounds the work of a cell at "
        "about a quarter of a full rerun on average, so an edit at the start of the prompt, where nearly every "
        "cell must run, gains the least.\n")


if __name__ == "__main__":
    main()
