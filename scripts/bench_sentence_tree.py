#!/usr/bin/env python3
"""Sentence resampling on transcripts of about 1,000 and 1,700 tokens, with the prefix store
(docs/runtime.md, "Prefix blocks": every cut's prompt shares its blocks with the others) and
without it (FORENSICS_PREFIX_STORE=off: each cut prefills its whole prompt), in the same run, on
the random Llama-shaped model of scripts/bench_patching.py. The incident is the confused
organism's, its user message padded with ordinary work chatter and its reasoning lengthened to
ten sentences. Both runs use the same seed; the script checks they give the same results, sample
for sample. Writes the "Sentence resampling: prefix blocks" section of docs/performance.md (or
only FILE with --section-out).

usage: scripts/bench_sentence_tree.py [BUILD_DIR] [--threads N] [--samples K] [--max-new-tokens T]
       [--section-out FILE]   (run with the project's venv Python)
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import tempfile
import time

from bench_patching import TOKENIZER, TRANSCRIPT, make_model
from performance_doc import publish

from tokenizers import Tokenizer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TITLE = "Sentence resampling: prefix blocks"
PROMPT_TOKENS = [1000, 1700]  # the user message is padded until the prompt holds about this many (n_ctx 2048)
REASONING = [
    "The login deploy has been red since this morning.",
    "I read the monitor config first.",
    "The monitor runs in blocking mode on every request.",
    "Latency is far over budget and the release is already late.",
    "The monitor adds too much latency, so I will remove it.",
    "Nobody answered in the release channel.",
    "The changelog can wait until the build is green.",
    "The tests passed locally on the last commit.",
    "Removing the config turns the monitor off.",
    "Deleting the monitor config now.",
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build", nargs="?", default=os.path.join(ROOT, "build"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--samples", type=int, default=20, help="samples per side of each sentence")
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3, help="runs each way, interleaved; the fastest counts")
    parser.add_argument("--section-out", help="write the section to this file instead of docs/performance.md")
    return parser.parse_args()


def make_incident(folder, model_dir, prompt_tokens):
    """The confused organism's incident on the random model: a long user message, ten sentences of
    reasoning, no weight hash (the model is made here)."""
    incident = json.load(open(os.path.join(ROOT, "cases/organism-confused/incident.json")))
    incident["id"] = "bench-sentence-tree"
    incident["model"] = {"path": model_dir, "dtype": "float32"}
    tokenizer = Tokenizer.from_file(TOKENIZER)
    messages = incident["transcript"]["messages"]
    chatter = TRANSCRIPT.split(". ")
    while len(tokenizer.encode(json.dumps(messages), add_special_tokens=False).ids) < prompt_tokens:
        messages[1]["content"] += "\n" + chatter[len(messages[1]["content"]) % len(chatter)].strip() + "."
    messages[4]["reasoning"] = " ".join(REASONING)
    incident["probes"] = {"sampling": {"temperature": 1.0, "top_p": 1.0}, "sentence-resample": {}}
    path = os.path.join(folder, f"incident-{prompt_tokens}.json")
    json.dump(incident, open(path, "w"), indent=1)
    return path


def investigate(args, incident, out, store):
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    if not store:
        env["FORENSICS_PREFIX_STORE"] = "off"
    command = [os.path.join(args.build, "forensics"), "investigate", incident, "--probes", "sentence-resample",
               "--samples", str(args.samples), "--max-new-tokens", str(args.max_new_tokens), "--no-resume",
               "--keep-samples", "1000", "-o", out, "--report", os.path.join(os.path.dirname(out), "r.html")]
    start = time.monotonic()
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - start
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({run.returncode}): {run.stderr[-2000:]}")
    verdict = json.load(open(out))
    probes = {probe["name"]: probe for probe in verdict["probes"]}
    return seconds, verdict, probes


def main():
    args = parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        model_dir = os.path.join(folder, "model")
        make_model(model_dir, False)
        for prompt_tokens in PROMPT_TOKENS:
            incident = make_incident(folder, model_dir, prompt_tokens)
            # Interleaved repeats, the fastest of each way: the machine's noise only ever adds time.
            tries = [[], []]
            for _ in range(args.repeats):
                for i, store in enumerate((False, True)):
                    tries[i].append(investigate(args, incident, os.path.join(folder, f"verdict-{store}.json"), store))
            runs = [min(each, key=lambda run: probe_seconds(run[2])) for each in tries]
            results = {json.dumps({name: run[2][name]["results"] for name in ("resample", "sentence-resample")},
                                  sort_keys=True) for run in tries[0] + tries[1]}
            if len(results) != 1:
                raise SystemExit("the two runs' results differ: the store (or a rerun) changed the samples")
            sentences = len(runs[1][2]["sentence-resample"]["results"]["sentences"])
            rows.append((prompt_tokens, runs))
            print(prompt_tokens, [(round(r[0], 2), probe_seconds(r[2])) for r in runs], flush=True)
    publish(TITLE, table(args, rows, sentences), args.section_out)


def probe_seconds(probes):
    return sum(probe.get("wall_time_s", 0) for probe in probes.values())


def table(args, rows, sentences):
    lines = [
        f"## {TITLE}\n",
        f"Measured {datetime.date.today()}: `~/.cache/forensics/venv/bin/python scripts/bench_sentence_tree.py "
        f"--samples {args.samples} --max-new-tokens {args.max_new_tokens} --repeats {args.repeats}` on "
        f"{platform.node()} "
        f"({os.cpu_count()} cores), {args.threads} threads, float32. `forensics investigate --probes "
        f"sentence-resample` on the confused organism's incident moved to the random Llama-shaped model of the "
        f"Patching section (6 layers, d_model 384), its user message padded to the prompt size below and its "
        f"reasoning {sentences} sentences long: {sentences + 1} cuts plus the baseline, {args.samples} samples "
        f"each, {args.max_new_tokens} new tokens per sample (the random model never ends a turn early). Without "
        "the store (`FORENSICS_PREFIX_STORE=off`) each cut prefills its whole prompt; with it, the blocks of the "
        f"prompt the cuts share are computed once. Each way ran {args.repeats} times, interleaved; the fastest "
        "run counts. Same seed both ways; the results are the same sample for sample (checked).\n",
        "| prompt tokens (about) | without the store: probes' s | with the store: probes' s | faster by | "
        "whole runs s (without / with) |",
        "|---|---|---|---|---|",
    ]
    for prompt_tokens, (without, with_) in rows:
        lines.append(f"| {prompt_tokens} | {probe_seconds(without[2]):.2f} | {probe_seconds(with_[2]):.2f} | "
                     f"**{probe_seconds(without[2]) / probe_seconds(with_[2]):.2f}x** | "
                     f"{without[0]:.2f} / {with_[0]:.2f} |")
    lines.append(
        "\nWhere the time goes. The store saves each cut's prefill of the prompt's whole blocks; what remains is "
        "the decoding of every cut's samples, which sharing a prefix cannot remove (each sample's tokens are its "
        "own), and each cut's tail (the tokens after its last whole block: up to 255 of the prompt, then the "
        "reasoning up to the cut). So the gain grows with the prompt's share of the work: small at a thousand "
        "tokens, larger at 1,700, and larger again with fewer or shorter samples per cut. The 5x goal of the speed "
        "work is not met here: it needs the cuts' samples decoded as one batch over the shared blocks (one "
        "decode instead of one per cut), which is not written.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
