#!/usr/bin/env python3
"""Every benchmark of docs/performance.md in one command: runs each measuring script in turn (each
rewrites its own section, with the command and machine next to its figures), then writes the
"Summary" section at the top: each goal of the speed work next to the figure just measured for it,
read from those sections. A benchmark that cannot run here (no vLLM venv, no hyperfine, too
little disk for the 8B checkpoint) is skipped and named as skipped in the summary.

Takes about 75 minutes on a 2-core machine with everything (investigate on every organism is 20 of
them, the engine 10, transformers' generate 15); --only / --skip choose.

usage: scripts/bench_all.py [--only NAME ...] [--skip NAME ...] [--list] [--summary]
       (run with the project's venv Python, after the build: ./scripts/setup.sh)
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

from performance_doc import HEADER, PERFORMANCE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PYTHON = os.path.expanduser("~/.cache/forensics/venv/bin/python")
VLLM_PYTHON = os.path.expanduser("~/.cache/forensics/vllm-venv/bin/python")


def has_hyperfine():
    return shutil.which("hyperfine") is not None


def has_vllm():
    return os.path.exists(VLLM_PYTHON)


def has_disk_for_8b():
    return shutil.disk_usage(os.environ.get("TMPDIR", "/tmp")).free > 40 * 2**30


# name, script and arguments, what it needs (a check and its name), the sections it writes.
BENCHMARKS = [
    ("tokenizer", ["bench_tokenizer.py"], None, ["Tokenizer"]),
    ("startup", ["bench_startup.py"], (has_hyperfine, "hyperfine"), ["Start-up"]),
    ("generation", ["bench_generation.py"], None, ["Generation"]),
    ("growth", ["bench_growth.py"], None, ["How cost grows"]),
    ("patching", ["bench_patching.py"], None, ["Patching"]),
    ("sentence-tree", ["bench_sentence_tree.py"], None, ["Sentence resampling: prefix blocks"]),
    ("investigate", ["bench_investigate.py", "--seeds", "1", "2", "3", "--threads", "1"], None,
     ["Investigate on the shipped organisms"]),
    ("report", ["bench_report.py", "--repeats", "5"], None, ["Report"]),
    ("batch", ["bench_batch_jobs.py", "--repeats", "2"], None, ["Batch: cases in parallel"]),
    ("engine", ["bench_engine.py", "--samples", "256"], (has_vllm, "the vLLM venv (scripts/setup_engine.sh)"),
     ["Engine"]),
    ("load-8b", ["bench_load_8b.py"], (has_disk_for_8b, "40 GiB free for an 8B checkpoint"),
     ["Loading an 8B checkpoint"]),
]


def parse_args():
    names = [name for name, *_ in BENCHMARKS]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", choices=names, help="run only these")
    parser.add_argument("--skip", nargs="+", choices=names, default=[], help="run all but these")
    parser.add_argument("--list", action="store_true", help="name the benchmarks and stop")
    parser.add_argument("--summary", action="store_true",
                        help="run nothing: rewrite the summary from the sections as they stand")
    return parser.parse_args()


def run(name, command):
    start = time.monotonic()
    print(f"== {name}: {' '.join(command)}", flush=True)
    done = subprocess.run([VENV_PYTHON, *command], cwd=os.path.join(ROOT, "scripts"))
    print(f"== {name}: exit {done.returncode} after {time.monotonic() - start:.0f} s", flush=True)
    return done.returncode


def section(document, title):
    start = document.find(f"## {title}\n")
    if start < 0:
        return ""
    end = document.find("\n## ", start + 1)
    return document[start:end if end >= 0 else len(document)]


def first(pattern, text, default="not measured"):
    found = re.search(pattern, text, re.S)
    return found.group(1) if found else default


def ratio_rows(text):
    """(size, ratio) from table rows `| size | seconds | seconds | **ratio** |...` (a section's comparison)."""
    return re.findall(r"^\| (\d+) \| [\d.]+ \| [\d.]+ \| \*\*([\d.]+x)\*\*", text, re.M)


def summary_rows(document):
    """(what, goal, measured here) for each goal of the speed work, from the sections' own text."""
    generation = section(document, "Generation")
    patching = section(document, "Patching")
    patch_ratios = re.findall(r"^\| [^|]+ \| (\d+) \| [^|]+ \| [^|]+ \| [^|]+ \| [^|]+ \| \*\*([\d.]+x)\*\*", patching,
                              re.M)
    growth = section(document, "How cost grows")
    shared = ratio_rows(growth)
    tree = section(document, "Sentence resampling: prefix blocks")
    investigate = section(document, "Investigate on the shipped organisms")
    gpu = section(document, "On a GPU (NVIDIA H200)")
    return [
        ("sampling vs transformers `generate`, CPU", "≥ 4x",
         first(r"Ours is \*\*([\d.]+x)\*\*", generation) + " (" +
         first(r"(\d+ samples x \d+ new tokens from one \d+-token prefix)", generation, "?") + ")"),
        ("patching `resid_pre`, every layer and position, vs TransformerLens, CPU", "≥ 10x",
         ", ".join(f"{ratio} (edit at token {at})" for at, ratio in patch_ratios) or "not measured"),
        ("sentence resampling, prefix blocks vs each prefix whole, CPU", "≥ 5x",
         ", ".join(f"{ratio} at {tokens} prompt tokens" for tokens, ratio in ratio_rows(tree)) or "not measured"),
        ("decoding with one shared copy of the prefix vs a copy per sample, CPU", "—",
         ", ".join(f"{ratio} at {tokens} tokens" for tokens, ratio in shared) or "not measured"),
        ("`investigate` on every shipped organism, CPU", "labels as planted",
         first(r"(Labels as expected: [^\n]*)", investigate)),
        ("sampling, patching and decode on a GPU (~1B and ~8B bfloat16)", "≥ 5x, ≥ 10x, ≥ 50% of bandwidth",
         "not yet measured (no GPU lent since the device sampler; see On a GPU)" if "Not yet measured" in gpu
         else "see On a GPU"),
    ]


def write_summary(skipped, failed):
    document = open(PERFORMANCE).read()
    start = document.find("## Summary\n")
    if start >= 0:
        end = document.find("\n## ", start + 1)
        document = document[:start] + document[end + 1:]
    rows = summary_rows(document)
    lines = ["## Summary\n",
             f"Written by `~/.cache/forensics/venv/bin/python scripts/bench_all.py` ({time.strftime('%Y-%m-%d')}) "
             "from the sections below, each measured by the command it names, on the machine and date it "
             "names. The goals are those of the speed work (GPU figures only from a lent GPU, never "
             "estimated); where one is missed, its section says why.\n",
             "| what | goal | measured |", "|---|---|---|"]
    lines += [f"| {what} | {goal} | {measured} |" for what, goal, measured in rows]
    if skipped:
        lines.append("\nSkipped in the last run: " + "; ".join(f"{name} (needs {need})" for name, need in skipped) +
                     " — their sections keep their earlier figures.")
    if failed:
        lines.append("\nFailed in the last run: " + ", ".join(failed) + " — their sections keep their earlier figures.")
    summary = "\n".join(lines) + "\n\n"
    body = document[len(HEADER):] if document.startswith(HEADER) else document
    with open(PERFORMANCE, "w") as f:
        f.write(HEADER + summary + body.lstrip("\n"))
    print(summary)


def main():
    args = parse_args()
    if args.list:
        for name, command, need, sections in BENCHMARKS:
            print(f"{name}: scripts/{' '.join(command)} -> {', '.join(sections)}"
                  + (f" (needs {need[1]})" if need else ""))
        return 0
    skipped, failed = [], []
    for name, command, need, _ in [] if args.summary else BENCHMARKS:
        if (args.only and name not in args.only) or name in args.skip:
            continue
        if need and not need[0]():
            skipped.append((name, need[1]))
            print(f"== {name}: skipped, needs {need[1]}", flush=True)
            continue
        if run(name, command) != 0:
            failed.append(name)
    write_summary(skipped, failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
