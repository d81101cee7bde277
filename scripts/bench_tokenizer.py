#!/usr/bin/env python3
"""Tokenizer throughput, ours vs Hugging Face `tokenizers`, on the committed corpus.

Single thread for both (RAYON_NUM_THREADS=1 for the reference), one warm-up pass, best of N
timed passes over every corpus line, special tokens added. Writes the table into
docs/performance.md (section "Tokenizer") and prints it.

usage: scripts/bench_tokenizer.py [BUILD_DIR]   (run with the project's venv Python)
"""
import json
import os
import platform
import subprocess
import sys
import time

from performance_doc import write_section

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
import tokenizers  # noqa: E402  (after the thread settings)
from tokenizers import Tokenizer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
CORPUS = os.path.join(ROOT, "tests/tokenizer/corpus.txt")
FIXTURES = os.path.join(ROOT, "tests/fixtures/tokenizers")
REPEATS = 5


def reference_seconds(path, lines):
    tokenizer = Tokenizer.from_file(path)
    tokenizer.encode_batch(lines)  # warm-up
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        tokenizer.encode_batch(lines)
        best = min(best, time.perf_counter() - start)
    return best


def ours(path):
    out = subprocess.run([os.path.join(BUILD, "bench/forensics_tokenizer_bench"), path, CORPUS,
                          str(REPEATS)], capture_output=True, check=True, text=True)
    return json.loads(out.stdout)


def main():
    with open(CORPUS, "rb") as f:
        text = f.read().decode("utf-8")
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    rows = []
    for name in sorted(os.listdir(FIXTURES)):
        path = os.path.join(FIXTURES, name, "tokenizer.json")
        if not os.path.exists(path):
            continue
        mine = ours(path)
        theirs = reference_seconds(path, lines)
        mb = mine["bytes"] / 1e6
        rows.append((name, mine["tokens"], mb / theirs, mb / mine["seconds"], theirs / mine["seconds"]))
    table = ["| fixture | tokens | reference MB/s | ours MB/s | ours / reference |", "|---|---|---|---|---|"]
    for name, tokens, ref_rate, our_rate, ratio in rows:
        table.append(f"| {name} | {tokens} | {ref_rate:.2f} | {our_rate:.2f} | {ratio:.2f}x |")
    note = (f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
            f"tokenizers {tokenizers.__version__}, ours built RelWithDebInfo: "
            f"`~/.cache/forensics/venv/bin/python scripts/bench_tokenizer.py` ({len(lines)} corpus lines, {len(text.encode()) / 1e6:.2f} MB, "
            f"single thread, best of {REPEATS} after a warm-up; the reference runs `encode_batch` "
            f"with RAYON_NUM_THREADS=1, so Python's per-call overhead is not counted against it).")
    section = "## Tokenizer\n\n" + note + "\n\n" + "\n".join(table) + "\n"
    print(section)
    write_section("Tokenizer", section)


if __name__ == "__main__":
    main()
