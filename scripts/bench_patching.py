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


class Work:
    """Multiply-adds of the matrix products of a forward pass over a model shaped like `config`."""

    def __init__(self, config):
        d, heads, kv = config.hidden_size, config.num_attention_heads, config.num_key_value_heads
        head = d // heads
        self.keys_values = 2 * d * kv * head  # a position's keys and values
        self.rest = 2 * d * d + 3 * d * config.intermediate_size  # its query, output and MLP
        self.per_context = 2 * heads * head  # a query's scores and weighted sum, per position seen
        self.unembed = d * config.vocab_size
        self.layers = config.num_hidden_layers

    def layers_from(self, first, context, tokens, rows, full=None):
        """Layers `first`.. over `tokens` new positions after `context` cached ones, `rows` rows;
        the last layer computes queries and MLP for the last `full` positions only (None: all)."""
        total = 0
        for layer in range(first, self.layers):
            queries = tokens if full is None or layer + 1 < self.layers else full
            attention = sum(context + tokens - q for q in range(queries)) * self.per_context
            total += tokens * self.keys_values + queries * self.rest + attention
        return rows * total


def work_ratio(config, prompt, continuation, edited, cells_run, per_batch=16):
    """TransformerLens' matrix work over ours for the map of one prompt pair differing at the
    tokens `edited`, counted as each side computes it (exact patching cannot beat it without
    computing less); our run's cell count checks that the count follows what we run."""
    work = Work(config)
    whole = work.layers_from(0, 0, prompt + continuation, 1) + (prompt + continuation) * work.unembed
    theirs = (1 + work.layers * (prompt + continuation)) * whole  # clean cache run, then one run per cell
    ours = 2 * whole  # the two unpatched runs
    counted = 0
    for layer in range(work.layers):
        # resid_pre differs at the edited tokens only before layer 0, from the first on after
        # (the continuation's too); the other cells are the unpatched metric and do not run.
        cells = list(edited) if layer == 0 else list(range(edited[0], prompt))
        tokens = [] if layer == 0 else list(range(continuation - 1))
        counted += len(cells) + len(tokens)
        for at in range(0, len(cells), per_batch):
            count, start = len(cells[at:at + per_batch]), cells[at]
            ours += work.layers_from(layer, start, prompt - start, count, full=1) + count * work.unembed
            ours += work.layers_from(layer, prompt, continuation, count) + count * (continuation - 1) * work.unembed
        for at in range(0, len(tokens), per_batch):
            count, start = len(tokens[at:at + per_batch]), tokens[at]
            fresh = continuation - start
            ours += work.layers_from(layer, prompt + start, fresh, count) + count * fresh * work.unembed
    if counted != cells_run:
        raise SystemExit(f"work_ratio counts {counted} cells where ours ran {cells_run}: the count is stale")
    return theirs / ours


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
            edited = [i for i, (a, b) in enumerate(zip(ours["clean_tokens"], ours["corrupted_tokens"])) if a != b]
            edit = edited[0]
            theirs, their_seconds = run_theirs(bridge, ours)
            difference = compare(ours, theirs)
            if difference > TOLERANCE:
                raise SystemExit(f"the maps differ by {difference:.2e} (> {TOLERANCE}): not comparable")
            prompt, continuation = len(ours["clean_tokens"]), len(ours["continuations"][0])
            row = dict(prompt=prompt, continuation=continuation, edit=edit, cells=theirs.numel(),
                       our_cells=ours["cells_run"], ours=ours["patch_seconds"], process=ours["process_seconds"],
                       theirs=their_seconds, difference=difference,
                       work=work_ratio(config, prompt, continuation, edited, ours["cells_run"]))
            print(json.dumps(row), flush=True)
            rows.append(row)
    section = make_section(args, config, parameters, rows, version("transformer-lens"))
    publish("Patching", section, args.section_out)


def make_section(args, config, parameters, rows, lens_version):
    table = "".join(
        f"| {r['prompt']} + {r['continuation']} | {r['edit']} | {r['cells']} | {r['our_cells']} | "
        f"{r['theirs']:.1f} | {r['ours']:.2f} ({r['process']:.2f}) | **{r['theirs'] / r['ours']:.1f}x** | "
        f"{r['work']:.1f}x | {r['difference']:.1e} |\n" for r in rows)
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
        "ours s (process) | ours faster by | their work ÷ ours | max map difference |\n"
        "|---|---|---|---|---|---|---|---|---|\n" + table +
        "\nWhere the time goes. TransformerLens reruns the whole model on the whole sequence for every cell. "
        "We run a cell only where the two activations differ (before the edit they are equal, so the metric is "
        "the unpatched one), and a patched run recomputes only what the patch can change: the positions from the "
        "patched one on (the earlier ones come from the unpatched run's KV cache), the layers from the patched "
        "one up (it resumes from the unpatched run's residual stream), and logits only where the metric reads "
        "them, and its last layer computes the other positions' keys and values only; 16 cells of one layer at "
        "consecutive positions share a batch. \"Their work ÷ ours\" counts the multiply-adds of every matrix "
        "product each side computes for the map (`work_ratio` in the script: weights, attention and "
        "unembedding, as each side runs them), and the measured speed-up tracks it, a little above (both sides "
        "spend their time in the same float32 matrix products; TransformerLens adds its hooks' work per run). "
        "An edit at the start of the prompt gains the least: nearly every cell must run and recompute most of "
        "the prompt, and the work ratio there (first row) is about what exact patching can reach, however fast "
        "its products; only computing less than the exact map needs goes further (`method: attribution`, "
        "docs/probes.md, estimates every cell from two passes).\n")


if __name__ == "__main__":
    main()
