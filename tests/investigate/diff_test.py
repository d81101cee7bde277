"""`forensics diff`: a verdict compared with itself is no change (exit 0); the same incident rerun
on another organism (`--rerun --model-a --model-b`, quick budget) reports the changed label and the
interventions that moved (exit 1), and its --json document validates against
docs/schemas/verdict-diff.schema.json; two batch folders are matched by incident id.

Usage: diff_test.py <forensics> <source dir> <work dir>
"""
import json
import os
import shutil
import subprocess
import sys

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

incident = os.path.join(root, "cases/organism-confused/incident.json")
common = ["--budget", "quick", "--probes", "resample,intervene"]
schema = jsonschema.Draft202012Validator(
    json.load(open(os.path.join(root, "docs/schemas/verdict-diff.schema.json"), encoding="utf-8")))


def forensics_run(*args):
    return subprocess.run([forensics, *args], capture_output=True, text=True, timeout=900)


run = forensics_run("diff", "--rerun", incident, "--model-a", os.path.join(root, "cases/organism-confused/model"),
                    "--model-b", os.path.join(root, "cases/organism-intentional/model"), "--out", work, *common, "--json")
check(run.returncode == 1, f"diff of two organisms exited {run.returncode}:\n{run.stderr[-2000:]}")
document = json.loads(run.stdout) if run.stdout.strip() else {}
errors = list(schema.iter_errors(document))
check(not errors, f"the diff document does not validate: {errors[:1]}")
case = (document.get("cases") or [{}])[0]
check(case.get("changed") is True, "the diff says nothing changed")
check(case.get("label", {}).get("a") == "confused" and case.get("label", {}).get("b") != "confused",
      f"label {case.get('label')}")
# The intentional organism barely acts in the confused organism's scenario (its actions are
# reviewed there): the baseline itself moves.
moved = {r["id"] for r in case.get("rates", []) if r["changed"]}
check("baseline" in moved, f"significant rate changes {sorted(moved)}")
check(any("tokenizers differ" in w for w in case.get("warnings", [])),
      "no warning that the two organisms' tokenizers differ")

a = os.path.join(work, "verdict-a.json")
same = forensics_run("diff", a, a)
check(same.returncode == 0 and "0 of 1 case(s) changed" in same.stdout,
      f"a verdict against itself: exit {same.returncode}\n{same.stdout}")

# Two "batch outputs" (folders of verdicts), matched by incident id: the same case both sides.
for side in ("left", "right"):
    os.makedirs(os.path.join(work, side))
    shutil.copy(a, os.path.join(work, side, "organism-confused.json"))
folders = forensics_run("diff", os.path.join(work, "left"), os.path.join(work, "right"))
check(folders.returncode == 0, f"two equal folders: exit {folders.returncode}\n{folders.stdout}")
finish()
