#!/usr/bin/env python3
"""Generation speed, ours vs transformers, on a random ~100M-parameter Qwen3-shaped model:
COUNT samples x NEW new tokens from one PREFIX-token prefix, in the same run on this machine.
transformers runs generate(num_return_sequences=COUNT) with sampling and no early stop; ours runs
sample_continuations (one prefill shared by all samples). Writes the "Generation" section of
docs/performance.md and prints it.

usage: scripts/bench_generation.py [BUILD_DIR] [--quick]   (run with the project's venv Python)
"""
import json
import os
import subprocess
import sys
import tempfile
import time

from performance_doc import write_section

import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
args = [a for a in sys.argv[1:] if not a.startswith("--")]
BUILD = args[0] if args else os.path.join(ROOT, "build")
QUICK = "--quick" in sys.argv
PREFIX, COUNT, NEW = (64, 8, 16) if QUICK else (512, 64, 128)


def make_model(folder):
    config = Qwen3Config(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
                         num_attention_heads=12, num_key_value_heads=4, head_dim=64,
                         max_position_embeddings=2048, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    return model


def main():
    threads = torch.get_num_threads()
    with tempfile.TemporaryDirectory() as folder:
        model = make_model(folder)
        parameters = sum(p.numel() for p in model.parameters())
        ours = json.loads(subprocess.run(
            [os.path.join(BUILD, "bench/forensics_generation_bench"), folder, str(PREFIX), str(COUNT), str(NEW)],
            capture_output=True, check=True, text=True).stdout)
        prefix = torch.randint(0, 32000, (1, PREFIX), generator=torch.Generator().manual_seed(0))
        start = time.perf_counter()
        with torch.inference_mode():
            output = model.generate(prefix, attention_mask=torch.ones_like(prefix), do_sample=True,
                                    num_return_sequences=COUNT, max_new_tokens=NEW, min_new_tokens=NEW,
                                    top_p=1.0, top_k=0, temperature=1.0, pad_token_id=0)
        theirs = time.perf_counter() - start
        assert output.shape == (COUNT, PREFIX + NEW)
    ratio = theirs / ours["seconds"]
    section = (
        "## Generation\n\n"
        f"Measured {time.strftime('%Y-%m-%d')}: `~/.cache/forensics/venv/bin/python scripts/bench_generation.py"
        f"{' --quick' if QUICK else ''}`, on this 2-core CPU machine; libtorch {ours['libtorch']} with BLAS "
        f"{ours['blas']} (at::show_config), {ours['threads']} threads for us and {threads} for transformers. A "
        f"random Qwen3-shaped model of {parameters / 1e6:.1f}M parameters (12 layers, d_model 768, 12 query / "
        f"4 key-value heads, float32); {COUNT} samples x {NEW} new tokens from one {PREFIX}-token prefix, "
        "sampling at temperature 1 with no early stop.\n\n"
        "| | seconds | tokens/s |\n|---|---|---|\n"
        f"| transformers `generate(num_return_sequences={COUNT})` | {theirs:.1f} | {COUNT * NEW / theirs:.1f} |\n"
        f"| forensics `sample_continuations` | {ours['seconds']:.1f} | {COUNT * NEW / ours['seconds']:.1f} |\n\n"
        f"Ours is **{ratio:.2f}x** faster. The prefix is computed once for all samples: a lone prefill "
        f"takes {ours['prefill_seconds']:.2f} s, {100 * ours['prefill_seconds'] / ours['seconds']:.1f}% of our "
        f"total; transformers repeats the prefix in each of the {COUNT} rows.\n")
    print(section)
    write_section("Generation", section)


if __name__ == "__main__":
    main()
