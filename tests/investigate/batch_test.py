"""`forensics batch` end to end on the shipped organisms (quick budget, resample and intervene):
verdicts, batch.json and JUnit XML that validate (the JSON Schemas, junitparser); an expectation
edited to be wrong fails with exit 1 and the JUnit failure names the field; a batch killed with
SIGINT or SIGKILL and resumed gives the same verdicts as an uninterrupted run, byte for byte apart
from wall times; --dry-run runs nothing.

Usage: batch_test.py <forensics> <source dir> <work dir>
"""
import json
import os
import signal
import subprocess
import sys
import time

import jsonschema
import junitparser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

EXPECTED = {"organism-confused": "confused", "organism-intentional": "intentional",
            "organism-never": "inconclusive", "organism-random": "inconclusive"}


def schema(name):
    return jsonschema.Draft202012Validator(
        json.load(open(os.path.join(root, "docs/schemas", name), encoding="utf-8")))


def manifest(path, expected):
    cases = [{"incident": os.path.join(root, "cases", slug, "incident.json"), "budget": "quick",
              "probes": ["resample", "intervene"], "expect": {"label": label}} for slug, label in expected.items()]
    document = {"schema": "forensics.batch/v1", "cases": cases}
    errors = list(schema("batch.schema.json").iter_errors(document))
    check(not errors, f"the manifest does not validate: {errors[:1]}")
    json.dump(document, open(path, "w", encoding="utf-8"), indent=2)
    return path


def batch(*args, **kwargs):
    return subprocess.run([forensics, "batch", *args], capture_output=True, text=True, timeout=900, **kwargs)


def verdict_texts(out):
    folder = os.path.join(out, "verdicts")
    return {name: "\n".join(line for line in open(os.path.join(folder, name), encoding="utf-8").read().splitlines()
                            if '"wall_time_s":' not in line)
            for name in sorted(os.listdir(folder)) if name.endswith(".json")}


good = manifest(os.path.join(work, "good.json"), EXPECTED)

# 1. Uninterrupted: every expectation met, the summaries validate.
reference = os.path.join(work, "reference")
run = batch(good, "--out", reference, "--junit", os.path.join(reference, "junit.xml"), "--report")
check(run.returncode == 0, f"batch exited {run.returncode}:\n{run.stderr[-3000:]}")
# --report: the overview links each case's report, written beside its verdict.
overview = open(os.path.join(reference, "report.html"), encoding="utf-8").read() \
    if os.path.isfile(os.path.join(reference, "report.html")) else ""
for slug in EXPECTED:
    case_id = json.load(open(os.path.join(root, "cases", slug, "incident.json"), encoding="utf-8"))["id"]
    check(os.path.isfile(os.path.join(reference, "verdicts", case_id + ".html")) and
          f'href="verdicts/{case_id}.html"' in overview, f"--report: no linked report for {case_id}")
summary = json.load(open(os.path.join(reference, "batch.json"), encoding="utf-8"))
errors = list(schema("batch-result.schema.json").iter_errors(summary))
check(not errors, f"batch.json does not validate: {errors[:1]}")
check([c["status"] for c in summary["cases"]] == ["passed"] * 4, f"statuses {[c['status'] for c in summary['cases']]}")
verdict_schema = schema("verdict.schema.json")
for name, text in verdict_texts(reference).items():
    document = json.load(open(os.path.join(reference, "verdicts", name), encoding="utf-8"))
    check(not list(verdict_schema.iter_errors(document)), f"{name} does not validate against the verdict schema")
suite = junitparser.JUnitXml.fromfile(os.path.join(reference, "junit.xml"))
testcases = [c for s in suite for c in s]
check(len(testcases) == 4 and all(c.is_passed for c in testcases), "JUnit: not 4 passed testcases")
check("[4/4]" in run.stderr, "no progress line per case on stderr")

# 2. A wrong expectation: exit 1, and the JUnit failure says which field.
wrong = dict(EXPECTED, **{"organism-intentional": "confused"})
failing = os.path.join(work, "failing")
run = batch(manifest(os.path.join(work, "wrong.json"), wrong), "--out", failing, "--junit",
            os.path.join(failing, "junit.xml"))
check(run.returncode == 1, f"a wrong expectation exited {run.returncode}")
suite = junitparser.JUnitXml.fromfile(os.path.join(failing, "junit.xml"))
failed = [c for s in suite for c in s if not c.is_passed]
check(len(failed) == 1 and failed[0].name == "organism-intentional", f"JUnit failures {[c.name for c in failed]}")
if failed:
    message = failed[0].result[0].message
    check("label" in message and '"confused"' in message and '"intentional"' in message,
          f"the failure does not name the field: {message}")


# 3. Killed after the first (SIGINT) or second (SIGKILL) verdict, then resumed.
def killed_then_resumed(name, sig, after):
    out = os.path.join(work, name)
    process = subprocess.Popen([forensics, "batch", good, "--out", out], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    verdicts = os.path.join(out, "verdicts")
    deadline = time.time() + 600
    while time.time() < deadline and process.poll() is None:
        done = [f for f in os.listdir(verdicts) if f.endswith(".json")] if os.path.isdir(verdicts) else []
        if len(done) >= after:
            process.send_signal(sig)
            break
        time.sleep(0.05)
    process.wait(timeout=600)
    leftovers = [f for f in os.listdir(verdicts) if not f.endswith(".json") and not f.startswith(".")]
    check(not leftovers, f"{name}: files other than verdicts after the kill: {leftovers}")
    for f in os.listdir(verdicts):
        if f.endswith(".json"):
            json.load(open(os.path.join(verdicts, f), encoding="utf-8"))  # complete, or absent
    partial = json.load(open(os.path.join(out, "batch.json"), encoding="utf-8"))
    check(len(partial["cases"]) < 4, f"{name}: the run finished before it was killed")
    resumed = batch(good, "--out", out, "--resume")
    check(resumed.returncode == 0, f"{name}: resume exited {resumed.returncode}:\n{resumed.stderr[-2000:]}")
    final = json.load(open(os.path.join(out, "batch.json"), encoding="utf-8"))
    check(any(c["resumed"] for c in final["cases"]), f"{name}: resume reran every case")
    check(verdict_texts(out) == verdict_texts(reference), f"{name}: resumed verdicts differ from an uninterrupted run")


killed_then_resumed("sigint", signal.SIGINT, 1)
killed_then_resumed("sigkill", signal.SIGKILL, 2)

# 4. --dry-run: the plan, nothing run or written.
dry = os.path.join(work, "dry")
run = batch(good, "--out", dry, "--dry-run")
check(run.returncode == 0 and "sampled turns" in run.stdout, f"--dry-run: exit {run.returncode}\n{run.stdout}")
check(not os.path.exists(dry), "--dry-run wrote something")
finish()
