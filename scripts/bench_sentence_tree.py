#!/usr/bin/env python3
"""Sentence resampling on a transcript of about a thousand tokens, with the prefix store
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
PROMPT_TOKENS = 1000  # the user message is padded until the rendered prompt holds about this many
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
    parser.add_argument("--section-out", help="write the section to this file instead of docs/performance.md")
    return parser.parse_args()


def make_incident(folder, model_dir):
    """The confused organism's incident on the random model: a long user message, ten sentences of
    reasoning, no weight hash (the model is made here)."""
    incident = json.load(open(os.path.join(ROOT, "cases/organism-confused/incident.json")))
    incident["id"] = "bench-sentence-tree"
    incident["model"] = {"path": model_dir, "dtype": "float32"}
    tokenizer = Tokenizer.from_file(TOKENIZER)
    messages = incident["transcript"]["messages"]
    chatter = TRANSCRIPT.split(". ")
    while len(tokenizer.encode(json.dumps(messages), add_special_tokens=False).ids) < PROMPT_TOKENS:
        messages[1]["content"] += "\n" + chatter[len(messages[1]["content"]) % len(chatter)].strip() + "."
    messages[4]["reasoning"] = " ".join(REASONING)
    incident["probes"] = {"sampling": {"temperature": 1.0, "top_p": 1.0}, "sentence-resample": {}}
    path = os.path.join(folder, "incident.json")
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
    with tempfile.TemporaryDirectory() as folder:
        model_dir = os.path.join(folder, "model")
        make_model(model_dir, False)
        incident = make_incident(folder, model_dir)
        rows = {}
        for name, store in (("without the store (every cut prefilled whole)", False), ("with the store", True)):
            out = os.path.join(folder, f"verdict-{store}.json")
            rows[name] = investigate(args, incident, out, store)
        (_, without, without_probes), (_, with_, with_probes) = rows.values()
        same = json.dumps(without_probes["sentence-resample"]["results"], sort_keys=True) == json.dumps(
            with_probes["sentence-resample"]["results"], sort_keys=True) and json.dumps(
            without_probes["resample"]["results"], sort_keys=True) == json.dumps(
            with_probes["resample"]["results"], sort_keys=True)
        if not same:
            raise SystemExit("the two runs' results differ: the store changed the samples")
        sentences = len(with_probes["sentence-resample"]["results"]["sentences"])
    section = table(args, rows, sentences)
    publish(TITLE, section, args.section_out)


def table(args, rows, sentences):
    names = list(rows)
    probe_seconds = {name: sum(p.get("wall_time_s", 0) for p in rows[name][2].values()) for name in names}
    base = probe_seconds[names[0]]
    lines = [
        f"## {TITLE}\n",
        f"Measured {datetime.date.today()}: `~/.cache/forensics/venv/bin/python scripts/bench_sentence_tree.py "
        f"--samples {args.samples} --max-new-tokens {args.max_new_tokens}` on {platform.node()} "
        f"({os.cpu_count()} cores), {args.threads} threads, float32. `forensics investigate --probes "
        f"sentence-resample` on the confused organism's incident moved to the random Llama-shaped model of the "
        f"Patching section (6 layers, d_model 384), its prompt padded to about {PROMPT_TOKENS} tokens and its "
        f"reasoning {sentences} sentences long: {sentences + 1} cuts plus the baseline, {args.samples} samples "
        f"each, {args.max_new_tokens} new tokens per sample (the random model never ends a turn early). "
        f"Same seed both ways; the results are the same sample for sample (checked).\n",
        "| prefill | probes' seconds | whole run s | faster by |",
        "|---|---|---|---|",
    ]
    for name in names:
        seconds = rows[name][0]
        lines.append(f"| {name} | {probe_seconds[name]:.2f} | {seconds:.2f} | "
                     f"**{base / probe_seconds[name]:.2f}x** |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
