"""`forensics investigate` on a shipped organism case, end to end (quick budget).

Checks: two runs with one seed give byte-identical verdicts apart from the lines of `wall_time_s`
keys; `--json` prints the document it writes; the document validates against
docs/schemas/verdict.schema.json; every probe is listed and `ok`; the verdict's baseline and evidence are the probes' counts;
a model whose weights do not hash to the pinned sha256 exits 3 naming both hashes.
Usage: investigate_test.py <forensics> <source dir> <work dir>. Needs the venv (jsonschema).
"""
import json
import os
import subprocess
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, failures, finish, forensics, root, work  # noqa: E402


def pick_case():
    # Organism cases may be being regenerated: prefer `confused`, take any complete one.
    names = ["organism-confused"] + sorted(n for n in os.listdir(os.path.join(root, "cases"))
                                           if n.startswith("organism-") and n != "organism-confused")
    for name in names:
        case = os.path.join(root, "cases", name)
        if os.path.isfile(os.path.join(case, "incident.json")) and \
                os.path.isfile(os.path.join(case, "model", "model.safetensors")):
            return case
    print("FAIL: no organism case with an incident and a model under cases/")
    sys.exit(1)


def investigate(incident, out, *extra):
    command = [forensics, "investigate", incident, "--budget", "quick", "--seed", "5",
               "--probes", "all", "--out", out, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def without_timing(text):
    return "\n".join(line for line in text.splitlines() if '"wall_time_s":' not in line)


case = pick_case()
incident = os.path.join(case, "incident.json")
print("case:", os.path.basename(case))
first_path, second_path = os.path.join(work, "first.json"), os.path.join(work, "second.json")
first = investigate(incident, first_path)
second = investigate(incident, second_path, "--json", "--report")
for name, run in (("first", first), ("second", second)):
    check(run.returncode == 0, f"{name} run exited {run.returncode}:\n{run.stderr[-3000:]}")
if failures:
    sys.exit(1)
first_text = open(first_path, encoding="utf-8").read()
second_text = open(second_path, encoding="utf-8").read()
check(without_timing(first_text) == without_timing(second_text),
      "two runs with seed 5 differ beyond wall_time_s lines")
check(second.stdout == second_text, "--json printed something other than the document it wrote")
# --report writes the verdict's HTML report beside it; the same page `forensics report` writes.
report_path = os.path.join(work, "second.html")
check(os.path.isfile(report_path), "--report wrote no second.html beside the verdict")
rerun = subprocess.run([forensics, "report", second_path, "-o", os.path.join(work, "again.html")],
                       capture_output=True, text=True, timeout=60)
check(rerun.returncode == 0 and open(report_path, encoding="utf-8").read() ==
      open(os.path.join(work, "again.html"), encoding="utf-8").read(),
      "the --report page differs from forensics report's on the same verdict")
check("strongest evidence" in first.stderr and "posterior" in first.stderr,
      f"no human summary on stderr:\n{first.stderr[-2000:]}")

document = json.loads(first_text)
schema = json.load(open(os.path.join(root, "docs/schemas/verdict.schema.json"), encoding="utf-8"))
errors = [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
          for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
check(not errors, "the verdict does not validate:\n  " + "\n  ".join(errors))

probes = {p["name"]: p for p in document["probes"]}
check(list(probes) == ["resample", "sentence-resample", "intervene", "ablate", "sweep", "patch"],
      f"probes listed {list(probes)}")
for name in ("resample", "sentence-resample", "intervene", "ablate", "patch"):
    check(probes[name]["status"] == "ok", f"{name}: {probes[name].get('status')} {probes[name].get('error', '')}")
# The organisms' incidents declare no sweep: asked for, the probe says so instead of running.
check(probes["sweep"]["status"] == "skipped" and "no sweeps" in probes["sweep"]["reason"],
      f"sweep: {probes['sweep']}")
baseline = probes["resample"]["results"]["conditions"][0]["rate"]
check(baseline == document["baseline"], f"verdict baseline {document['baseline']} != resample {baseline}")
check(baseline["n"] == 30, f"quick budget drew {baseline['n']} baseline samples, expected 30")
measured = {c["id"]: c["rate"] for c in probes["intervene"]["results"]["conditions"]}
for row in document["evidence"]:
    if row["kind"] == "intervention":
        check(measured.get(row["id"]) == row["rate"], f"{row['id']}: evidence rate differs from the probe's")
# remove-X deletes the cue's line, neutralize-X replaces the same text: one cue, so the edits
# imply a shared tag on top of the author's (docs/verdict.md §5).
confounds = {row["id"]: row["confounds"] for row in document["evidence"]}
for line_id, tags in confounds.items():
    if line_id.startswith("neutralize-"):
        implied = "same-text.remove-" + line_id[len("neutralize-"):]
        check(implied in tags and implied in confounds["remove-" + line_id[len("neutralize-"):]],
              f"{line_id}: no implied tag {implied} on it and its remove line: {tags}")
declared = [i["id"] for i in json.load(open(incident, encoding="utf-8")).get("interventions", [])]
check(list(measured) == declared, f"intervene measured {list(measured)}, the incident declares {declared}")
check(document["reproducibility"]["seed"] == 5, "reproducibility.seed is not the --seed")

# A model directory whose weights are not the pinned ones: exit 3, both hashes named.
pinned = json.load(open(incident, encoding="utf-8"))
pinned["model"]["path"] = os.path.join(case, "model")
pinned["model"]["weights_sha256"] = "0" * 64
pinned_path = os.path.join(work, "wrong-weights.json")
json.dump(pinned, open(pinned_path, "w", encoding="utf-8"))
run = investigate(pinned_path, os.path.join(work, "never-written.json"))
check(run.returncode == 3 and "0" * 64 in run.stderr and "hash" in run.stderr,
      f"wrong pinned weights: exit {run.returncode}, stderr {run.stderr[-1000:]}")
check(not os.path.exists(os.path.join(work, "never-written.json")), "a failed run wrote a verdict")

finish()
