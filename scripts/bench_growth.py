#!/usr/bin/env python3
"""How our cost grows, on the CPU: sampling time against prefix length (256 -> 4096 tokens) and
against the number of samples (16 -> 256), and exact patching time against prompt length (64 ->
512 tokens), all on the random Llama-shaped model of scripts/bench_patching.py. Sampling runs
bench/forensics_generation_bench (one prefill shared by every sample, then the decode; no early
stop); patching runs `forensics model patch --site resid_pre --direction denoising` with the edit
near the start of the prompt (the case where nearly every cell must run). Writes the "How cost
grows" section of docs/performance.md (or only FILE with --section-out).

usage: scripts/bench_growth.py [BUILD_DIR] [--threads N] [--section-out FILE]
       (run with the project's venv Python)
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

from bench_patching import CONTINUATION, TOKENIZER, TRANSCRIPT, make_model
from performance_doc import publish

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEW_TOKENS = 64
PREFIXES = [256, 512, 1024, 2048, 4096]
COUNTS = [16, 64, 256]
PATCH_PROMPTS = [64, 128, 256, 512]
EDIT = ("operations", "security")  # the agent's role, early in the transcript
SHARED_STEPS = 32


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--section-out", help="write the section to this file instead of docs/performance.md")
    return parser.parse_args()


def environment(args):
    return dict(os.environ, OMP_NUM_THREADS=str(args.threads))


def sample(args, folder, prefix, count):
    command = [os.path.join(args.build, "bench/forensics_generation_bench"), folder, str(prefix), str(count),
               str(NEW_TOKENS)]
    out = json.loads(subprocess.run(command, capture_output=True, check=True, text=True,
                                    env=environment(args)).stdout)
    return out["seconds"], out["prefill_seconds"]


def prompt_of(tokenizer, tokens):
    """The transcript repeated and cut to about `tokens` tokens, and its one-word edit."""
    ids = tokenizer.encode(" ".join([TRANSCRIPT] * (tokens // 100 + 1)), add_special_tokens=False).ids
    clean = tokenizer.decode(ids[:tokens])
    return clean, clean.replace(*EDIT, 1)


def patch(args, folder, clean, corrupted):
    command = [os.path.join(args.build, "forensics"), "model", "patch", folder, "--clean", clean, "--corrupted",
               corrupted, "--continuation", CONTINUATION, "--site", "resid_pre", "--direction", "denoising",
               "--json", "--device", "cpu", "--dtype", "float32"]
    out = json.loads(subprocess.run(command, capture_output=True, check=True, text=True,
                                    env=environment(args)).stdout)
    return len(out["clean_tokens"]), out["cells_run"], out["patch_seconds"]


def shared_vs_copied(args, folder, prefix):
    """Seconds of SHARED_STEPS decode steps of 64 rows with the prefix copied per row and shared."""
    command = [os.path.join(args.build, "bench/forensics_shared_prefix_bench"), folder, str(prefix), "64",
               str(SHARED_STEPS)]
    out = json.loads(subprocess.run(command, capture_output=True, check=True, text=True,
                                    env=environment(args)).stdout)
    return prefix, out["copied_seconds"], out["shared_seconds"], out["max_logit_difference"]


def growth(rows):
    """Each row's time over the previous row's, against the size ratio."""
    out, previous = [], None
    for size, seconds in rows:
        out.append("—" if previous is None else f"{seconds / previous[1]:.1f}x for {size / previous[0]:.0f}x")
        previous = (size, seconds)
    return out


def main():
    args = parse_args()
    tokenizer = Tokenizer.from_file(TOKENIZER)
    with tempfile.TemporaryDirectory() as folder:
        _, config = make_model(folder, quick=False)
        by_prefix = [(prefix, *sample(args, folder, prefix, 64)) for prefix in PREFIXES]
        print("prefix", by_prefix, flush=True)
        by_count = [(count, *sample(args, folder, 1024, count)) for count in COUNTS]
        print("count", by_count, flush=True)
        by_sharing = [shared_vs_copied(args, folder, prefix) for prefix in PREFIXES]
        print("sharing", by_sharing, flush=True)
        by_prompt = [patch(args, folder, *prompt_of(tokenizer, tokens)) for tokens in PATCH_PROMPTS]
        print("patch", by_prompt, flush=True)
    section = make_section(args, config, by_prefix, by_count, by_prompt, by_sharing)
    publish("How cost grows", section, args.section_out)


def make_section(args, config, by_prefix, by_count, by_prompt, by_sharing):
    prefix_growth = growth([(p, s) for p, s, _ in by_prefix])
    count_growth = growth([(c, s) for c, s, _ in by_count])
    patch_growth = growth([(p, s) for p, _, s in by_prompt])
    return (
        "## How cost grows\n\n"
        f"Measured {time.strftime('%Y-%m-%d')}: `~/.cache/forensics/venv/bin/python scripts/bench_growth.py` on "
        f"{os.uname().nodename} ({os.cpu_count()} cores), {args.threads} threads, float32, on the model of the "
        f"Patching section ({config.num_hidden_layers} layers, d_model {config.hidden_size}). Sampling: "
        f"{NEW_TOKENS} new tokens per sample, no early stop, one prefill shared by all samples.\n\n"
        "| prefix tokens | samples | seconds | of which prefill | growth |\n|---|---|---|---|---|\n" +
        "".join(f"| {p} | 64 | {s:.2f} | {f:.2f} | {g} |\n" for (p, s, f), g in zip(by_prefix, prefix_growth)) +
        "".join(f"| 1024 | {c} | {s:.2f} | {f:.2f} | {g} |\n" for (c, s, f), g in zip(by_count, count_growth)) +
        f"\nThe decoding alone, the two ways a prefix can be held (docs/runtime.md, \"Shared prefix\"; sampling "
        f"above copies it below 512 tokens and shares it from 512 on): {SHARED_STEPS} decode steps of 64 rows "
        "after a random prefix, `bench/forensics_shared_prefix_bench` (both ways in one process):\n\n"
        "| prefix tokens | each row its own copy s | one shared copy s | shared faster by | largest logit "
        "difference |\n|---|---|---|---|---|\n" +
        "".join(f"| {p} | {c:.2f} | {h:.2f} | **{c / h:.2f}x** | {d:.1e} |\n" for p, c, h, d in by_sharing) +
        "\nExact patching of `resid_pre` at every layer and position, denoising, the edit at the prompt's "
        "9th token:\n\n"
        "| prompt tokens | cells run | seconds | growth |\n|---|---|---|---|\n" +
        "".join(f"| {p} | {c} | {s:.2f} | {g} |\n" for (p, c, s), g in zip(by_prompt, patch_growth)) +
        "\nSampling grows about linearly with the samples (each is its own row of the decode) and, from about a "
        "thousand tokens on, with the prefix as well: every decoded token attends to the whole prefix (the "
        "prefill itself stays a small part). The 256-token row copies the prefix for each sample and the longer "
        "ones share it (from 512 tokens on), hence its longer time. Sharing the prefix's keys and values saves reading one copy per "
        "sample at every step; the attention's arithmetic, every sample's queries against every prefix "
        "position, remains and grows with the prefix. Patching grows with the square of the prompt (cells × the tokens each recomputes), so long "
        "transcripts go to `method: attribution` (docs/probes.md).\n")


if __name__ == "__main__":
    main()
