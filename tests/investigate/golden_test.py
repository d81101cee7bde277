"""Golden verdict of one shipped case: `forensics investigate cases/<slug>/incident.json` (standard
budget, the incident's own seed, CPU, float32) must give the key fields recorded in
cases/<slug>/expected_verdict.json. On a mismatch it prints a unified diff of expected vs observed.

The key fields are what a reader of the verdict acts on: the label, the top hypothesis and its
posterior (3 decimals), flags and reasons, the baseline count, each intervention's outcome class,
the stated reasons the chain of thought gives, which part of the context ablation and patching
point at, and every probe's status. The run is deterministic for a seed and device, so they are
compared exactly.

Usage: golden_test.py <forensics> <source dir> <work dir> <slug> [--update]
  --update rewrites expected_verdict.json from this run (review the diff before committing it).
"""
import difflib
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

slug = sys.argv[4]
update = "--update" in sys.argv[5:]
case = os.path.join(root, "cases", slug)
expected_path = os.path.join(case, "expected_verdict.json")


def key_fields(document):
    """The fields of a verdict document that the golden file pins."""
    probes = {p["name"]: p for p in document["probes"]}
    run = document["reproducibility"]
    fields = {
        "run": f"forensics investigate cases/{slug}/incident.json: budget {run['budget']}, seed {run['seed']}, "
               f"{run['device']}, {run['dtype']}",
        "label": document["label"],
        "top_hypothesis": document["top_hypothesis"],
        "posterior": {h["id"]: round(h["posterior"], 3) for h in document["hypotheses"]},
        "flags": sorted(document["flags"]),
        "reasons": sorted(document["reasons"]),
        "baseline": f"{document['baseline']['k']}/{document['baseline']['n']}",
        "outcomes": {row["id"]: row["outcome"] for row in document["evidence"]},
        "probes": {name: probe["status"] for name, probe in probes.items()},
    }
    sentences = probes.get("sentence-resample", {}).get("results")
    if sentences:
        fields["stated_reasons"] = sentences["stated_reasons"]
    ablate = probes.get("ablate", {}).get("results")
    if ablate and ablate["ranking"]:
        fields["ablate_top_segment"] = ablate["segments"][ablate["ranking"][0]]["text"]
    patch = probes.get("patch", {}).get("results")
    if patch:
        early = (patch.get("largest_early_effect") or {}).get("resid_pre")
        fields["patch_early_residual_effect"] = (
            {"segment": patch["segments"][early["segment"]]["text"], "on_edit": early["on_edit"],
             "direction": early["direction"]}
            if early else patch.get("reason"))
    return fields


out = os.path.join(work, "verdict.json")
run = subprocess.run([forensics, "investigate", os.path.join(case, "incident.json"), "--out", out],
                     capture_output=True, text=True, timeout=900)
check(run.returncode == 0, f"investigate exited {run.returncode}:\n{run.stderr[-3000:]}")
if run.returncode != 0:
    finish()
observed = key_fields(json.load(open(out, encoding="utf-8")))
observed_text = json.dumps(observed, indent=2, ensure_ascii=False) + "\n"

if update:
    with open(expected_path, "w", encoding="utf-8") as file:
        file.write(observed_text)
    print(f"wrote {expected_path}")
    finish()

if not os.path.exists(expected_path):
    check(False, f"{expected_path} is missing; make it with --update and review it")
    finish()
expected_text = open(expected_path, encoding="utf-8").read()
expected = json.loads(expected_text)
expected_text = json.dumps(expected, indent=2, ensure_ascii=False) + "\n"
if expected != observed:
    diff = difflib.unified_diff(expected_text.splitlines(keepends=True), observed_text.splitlines(keepends=True),
                                fromfile=f"cases/{slug}/expected_verdict.json", tofile="this run")
    check(False, "the verdict's key fields differ from the golden file:\n" + "".join(diff))
else:
    print(f"{slug}: {observed['label']} ({observed['top_hypothesis']}, flags {observed['flags']}) as expected")
finish()
