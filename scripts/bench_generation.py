#!/usr/bin/env python3
"""Generation speed, ours vs transformers, on a random ~100M-parameter Qwen3-shaped model:
COUNT samples x NEW new tokens from one PREFIX-token prefix, in the same run on this machine.
transformers runs generate(num_return_sequences=COUNT) with sampling and no early stop; ours runs
sample_continuations (one prefill shared by all samples). Prints the "Generation" section of
docs/performance.md and writes it there, or only to FILE with --section-out.

On a GPU (--device cuda) both sides run there, in every dtype of --dtypes, after a warm-up, timed
between CUDA synchronizations; the section is then "Generation on CUDA" and goes to docs only with
--write-doc (the CPU section stays the reference for the project's own machine).

usage: scripts/bench_generation.py [BUILD_DIR] [--quick] [--device cpu|cuda] [--dtypes float32,bfloat16]
                                   [--section-out FILE] [--write-doc]   (run with the project's venv Python)
"""
import argparse
import copy
import json
import os
import subprocess
import tempfile
import time

from performance_doc import write_section

import torch
from transformers import Qwen3Config, Qwen3ForCausalLM

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    parser.add_argument("--quick", action="store_true", help="a small run (64-token prefix, 8 x 16 tokens)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (both sides run there)")
    parser.add_argument("--dtypes", default=None,
                        help="comma-separated; default float32 on the CPU, float32,bfloat16 on CUDA")
    parser.add_argument("--section-out", help="write the section to this file instead of docs/performance.md")
    parser.add_argument("--write-doc", action="store_true",
                        help="also write a CUDA section into docs/performance.md")
    args = parser.parse_args()
    args.cuda = args.device.startswith("cuda")
    args.dtypes = (args.dtypes or ("float32,bfloat16" if args.cuda else "float32")).split(",")
    return args


def make_model(folder):
    config = Qwen3Config(vocab_size=32000, hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
                         num_attention_heads=12, num_key_value_heads=4, head_dim=64,
                         max_position_embeddings=2048, tie_word_embeddings=True)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(config).eval()
    model.save_pretrained(folder, safe_serialization=True)
    return model


def run_ours(args, folder, sizes, dtype):
    prefix, count, new = sizes
    command = [os.path.join(args.build, "bench/forensics_generation_bench"), folder, str(prefix), str(count), str(new)]
    if args.cuda or dtype != "float32":
        command += [args.device, dtype]
    return json.loads(subprocess.run(command, capture_output=True, check=True, text=True).stdout)


def synchronize(args):
    if args.cuda:
        torch.cuda.synchronize()


def run_theirs(args, model, sizes):
    """Seconds for transformers' generate; on a GPU after one short warm-up generate."""
    prefix_length, count, new = sizes
    prefix = torch.randint(0, 32000, (1, prefix_length), generator=torch.Generator().manual_seed(0)).to(args.device)
    kwargs = dict(attention_mask=torch.ones_like(prefix), do_sample=True, num_return_sequences=count,
                  top_p=1.0, top_k=0, temperature=1.0, pad_token_id=0)
    with torch.inference_mode():
        if args.cuda:
            model.generate(prefix, max_new_tokens=4, min_new_tokens=4, **kwargs)
        synchronize(args)
        start = time.perf_counter()
        output = model.generate(prefix, max_new_tokens=new, min_new_tokens=new, **kwargs)
        synchronize(args)
        seconds = time.perf_counter() - start
    assert output.shape == (count, prefix_length + new)
    return seconds


def cpu_section(args, sizes, parameters, threads, ours, theirs):
    prefix, count, new = sizes
    ratio = theirs / ours["seconds"]
    return (
        "## Generation\n\n"
        f"Measured {time.strftime('%Y-%m-%d')}: `~/.cache/forensics/venv/bin/python scripts/bench_generation.py"
        f"{' --quick' if args.quick else ''}`, on this 2-core CPU machine; libtorch {ours['libtorch']} with BLAS "
        f"{ours['blas']} (at::show_config), {ours['threads']} threads for us and {threads} for transformers. A "
        f"random Qwen3-shaped model of {parameters / 1e6:.1f}M parameters (12 layers, d_model 768, 12 query / "
        f"4 key-value heads, float32); {count} samples x {new} new tokens from one {prefix}-token prefix, "
        "sampling at temperature 1 with no early stop.\n\n"
        "| | seconds | tokens/s |\n|---|---|---|\n"
        f"| transformers `generate(num_return_sequences={count})` | {theirs:.1f} | {count * new / theirs:.1f} |\n"
        f"| forensics `sample_continuations` | {ours['seconds']:.1f} | {count * new / ours['seconds']:.1f} |\n\n"
        f"Ours is **{ratio:.2f}x** faster. The prefix is computed once for all samples: a lone prefill "
        f"takes {ours['prefill_seconds']:.2f} s, {100 * ours['prefill_seconds'] / ours['seconds']:.1f}% of our "
        f"total; transformers repeats the prefix in each of the {count} rows. "
        + ("From 512 prefix tokens on, the samples also attend to one copy of the prefix's keys and values "
           "(docs/runtime.md, \"Shared prefix\"; How cost grows below measures that alone).\n"
           if prefix >= 512 else "\n"))


def cuda_section(args, sizes, parameters, rows):
    prefix, count, new = sizes
    first = rows[0][1]
    table = "".join(
        f"| {dtype} | {theirs:.2f} | {count * new / theirs:.0f} | {ours['seconds']:.2f} | "
        f"{count * new / ours['seconds']:.0f} | {ours['prefill_seconds'] * 1000:.1f} ms | "
        f"**{theirs / ours['seconds']:.2f}x** |\n" for dtype, ours, theirs in rows)
    return (
        "## Generation on CUDA\n\n"
        f"Measured {time.strftime('%Y-%m-%d')}: `python3 scripts/bench_generation.py BUILD --device {args.device}"
        f"{' --quick' if args.quick else ''}`, on one {torch.cuda.get_device_name(args.device)}; libtorch "
        f"{first['libtorch']} for us, torch {torch.__version__} and transformers generate for the reference, "
        "both after a warm-up and timed between CUDA synchronizations. A random Qwen3-shaped model of "
        f"{parameters / 1e6:.1f}M parameters (12 layers, d_model 768, 12 query / 4 key-value heads); {count} samples x {new} new tokens from one {prefix}-token prefix, "
        "sampling at temperature 1 with no early stop. Our sampler draws on the CPU (one device-to-host copy "
        "of the next-token logits per step).\n\n"
        "| dtype | transformers s | tokens/s | forensics s | tokens/s | our prefill | ours faster by |\n"
        "|---|---|---|---|---|---|---|\n" + table)


def main():
    args = parse_args()
    sizes = (64, 8, 16) if args.quick else (1024, 64, 256)
    threads = torch.get_num_threads()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        model = make_model(folder)
        parameters = sum(p.numel() for p in model.parameters())
        for dtype in args.dtypes:
            ours = run_ours(args, folder, sizes, dtype)
            # A copy per dtype, so every dtype starts from the float32 weights ours loads.
            theirs = run_theirs(args, copy.deepcopy(model).to(device=args.device, dtype=DTYPES[dtype]), sizes)
            print(f"{dtype}: transformers {theirs:.2f} s, forensics {ours['seconds']:.2f} s "
                  f"(prefill {ours['prefill_seconds']:.3f} s) on {ours.get('device', 'cpu')}", flush=True)
            rows.append((dtype, ours, theirs))
    if args.cuda:
        section = cuda_section(args, sizes, parameters, rows)
    else:
        section = cpu_section(args, sizes, parameters, threads, rows[0][1], rows[0][2])
    print(section)
    if args.section_out:
        with open(args.section_out, "w") as f:
            f.write(section)
    if (not args.cuda and not args.section_out) or args.write_doc:
        write_section("Generation on CUDA" if args.cuda else "Generation", section)


if __name__ == "__main__":
    main()
