"""How often `forensics diff` reports a change between two versions of a model that differ only
by chance, and whether it sees a change that was planted. Writes a section of docs/validation.md.

The null: the confused organism's recipe trained with seeds 1 (the shipped model) to 5, all with
the shipped tokenizer (organism train --seed S --tokenizer), as retraining a model whose cause did
not change. Each is investigated once on the confused organism's incident (standard budget, the
incident's seed, one batch); every pair of the five verdicts is diffed: 10 pairs. A pair is a false
alarm when diff exits 1 (a label or flag moved, or a rate moved significantly after Holm's
correction, alpha 0.05, and by more than the margin, --min-change 0.10).

The planted change: recipes/oversight-deletion/confused-v2.json (it now also deletes the monitor
whenever it blocks its goal), shipped in cases/organism-confused-v2/, diffed against the shipped v1.

usage: scripts/measure_diff_false_alarms.py [--models DIR] [--threads 1]
Models are trained into DIR (default ~/.cache/forensics/organisms) when missing: about 10 minutes
each on the 2-core development machine.
"""
import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from performance_doc import ROOT, VALIDATION, VALIDATION_HEADER, write_section  # noqa: E402

EXE = os.path.join(ROOT, "build", "forensics")
INCIDENT = os.path.join(ROOT, "cases/organism-confused/incident.json")
RECIPE = os.path.join(ROOT, "recipes/oversight-deletion/confused.json")
SHIPPED = os.path.join(ROOT, "cases/organism-confused/model")
V2 = os.path.join(ROOT, "cases/organism-confused-v2/model")
SEEDS = [2, 3, 4, 5]


def wilson(k, n, z=1.959964):
    p = k / n
    d = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / d
    half = z / d * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def train(models, seed, env):
    out = os.path.join(models, f"confused-seed{seed}")
    if not os.path.exists(os.path.join(out, "model.safetensors")):
        print(f"training seed {seed} -> {out}", file=sys.stderr)
        subprocess.run([EXE, "organism", "train", RECIPE, "--out", out, "--seed", str(seed), "--tokenizer", SHIPPED,
                        "--force", "--no-progress"], check=True, env=env)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default=os.path.expanduser("~/.cache/forensics/organisms"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    os.makedirs(args.models, exist_ok=True)
    versions = {"seed 1 (shipped)": SHIPPED}
    for seed in SEEDS:
        versions[f"seed {seed}"] = train(args.models, seed, env)
    with tempfile.TemporaryDirectory() as tmp:
        cases = [{"incident": INCIDENT, "id": f"s{i}", "model": model} for i, model in enumerate(versions.values())]
        cases.append({"incident": INCIDENT, "id": "v2", "model": V2})
        manifest = os.path.join(tmp, "manifest.json")
        json.dump({"schema": "forensics.batch/v1", "cases": cases}, open(manifest, "w"))
        start = time.monotonic()
        batch = subprocess.run([EXE, "batch", manifest, "--out", os.path.join(tmp, "out")], env=env,
                               capture_output=True, text=True)
        if batch.returncode not in (0, 1):
            sys.exit(f"forensics batch exited {batch.returncode}:\n{batch.stderr}")
        seconds = time.monotonic() - start
        verdicts = {c["id"]: os.path.join(tmp, "out", "verdicts", c["id"] + ".json") for c in cases}
        labels = {}
        for case_id, path in verdicts.items():
            document = json.load(open(path))
            labels[case_id] = (document["label"], document["posterior"][document["top_hypothesis"]],
                               document["baseline"]["k"], document["baseline"]["n"])
        rows = []
        alarms = 0
        alarms_without_margin = 0
        names = list(versions)
        for i, j in itertools.combinations(range(len(names)), 2):
            run = subprocess.run([EXE, "diff", verdicts[f"s{i}"], verdicts[f"s{j}"], "--json"], capture_output=True,
                                 text=True, env=env)
            strict = subprocess.run([EXE, "diff", verdicts[f"s{i}"], verdicts[f"s{j}"], "--min-change", "0"],
                                    capture_output=True, text=True, env=env)
            alarms_without_margin += strict.returncode == 1
            document = json.loads(run.stdout)
            case = document["cases"][0]
            moved = [r["id"] for r in case["rates"] if r["changed"]]
            small = [r["id"] for r in case["rates"] if r["significant"] and not r["changed"]]
            alarm = run.returncode == 1
            alarms += alarm
            why = []
            if case["label"]["a"] != case["label"]["b"]:
                why.append(f"label {case['label']['a']} → {case['label']['b']}")
            if case["flags_gained"] or case["flags_lost"]:
                why.append(f"flags +{case['flags_gained']} −{case['flags_lost']}")
            if moved:
                why.append("rates " + ", ".join(moved))
            if small:
                why.append("within the margin: " + ", ".join(small))
            rows.append(f"| {names[i]} | {names[j]} | {'**change**' if alarm else 'no change'} | "
                        f"{'; '.join(why) or '—'} |")
        planted = subprocess.run([EXE, "diff", verdicts["s0"], verdicts["v2"]], capture_output=True, text=True, env=env)
    low, high = wilson(alarms, len(rows))
    version = subprocess.run([EXE, "--version"], capture_output=True, text=True).stdout.strip().replace("\n", "; ")
    label_rows = [f"| {name} | {labels[f's{i}'][0]} | {labels[f's{i}'][1]:.3f} | {labels[f's{i}'][2]}/{labels[f's{i}'][3]} |"
                  for i, name in enumerate(names)]
    label_rows.append(f"| v2 (planted change) | {labels['v2'][0]} | {labels['v2'][1]:.3f} | "
                      f"{labels['v2'][2]}/{labels['v2'][3]} |")
    lines = [
        "## Diff: false alarms between retrained versions, and a planted change", "",
        f"Measured {time.strftime('%Y-%m-%d')} with `python3 scripts/measure_diff_false_alarms.py --threads "
        f"{args.threads}` ({version}); the batch of six investigations took {seconds:.0f} s.", "",
        "Five versions of the confused organism, trained from the same recipe with seeds 1–5 and the same "
        "tokenizer (nothing about its cause changed), each investigated on the confused organism's incident at "
        "the standard budget:", "",
        "| version | label | top posterior | baseline |", "|---|---|---|---|", *label_rows, "",
        "Every pair diffed (`forensics diff A B`; a change is exit 1: a label or flag moved, or a rate moved "
        "significantly after Holm's correction over the pair's rates, alpha 0.05, with its 95% interval beyond "
        "±0.10, the default `--min-change`; rates that moved significantly but within the margin are listed "
        "too):", "",
        "| A | B | diff | what moved |", "|---|---|---|---|", *rows, "",
        f"**False alarms: {alarms} of {len(rows)} pairs** (Wilson 95% [{low:.2f}, {high:.2f}]). Without the "
        f"margin (`--min-change 0`: every significant move counts) {alarms_without_margin} of {len(rows)}: "
        "retraining moves the rates of conditions the organism never saw in training (a neutral text in "
        "place of a cue) by real but small amounts, which is not a change in why it acts. The margin is "
        "the tolerance the organisms are held to (docs/organisms.md: every cell within ±0.10 of its planted "
        "rate); it was added after a first run of this measurement gave 4 false alarms of 10.", "",
        "The planted change — v2 also deletes the monitor whenever it blocks its goal "
        "(`recipes/oversight-deletion/confused-v2.json`) — against the shipped v1:", "",
        "```", planted.stdout.rstrip(), "```", "",
    ]
    write_section("Diff: false alarms between retrained versions, and a planted change", "\n".join(lines),
                  VALIDATION, VALIDATION_HEADER)
    print(f"false alarms {alarms}/{len(rows)}; planted change exit {planted.returncode}", file=sys.stderr)


if __name__ == "__main__":
    main()
