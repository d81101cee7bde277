"""Golden verdict of one shipped case: `forensics batch cases/<slug>` (standard budget, the
incident's own seed, CPU, float32) must give the key fields recorded in
cases/<slug>/expected_verdict.json — batch compares them (report::key_fields) and names every
field that differs. The JUnit file it writes must be one a real JUnit reader (junitparser) accepts.

The key fields are what a reader of the verdict acts on: the label, the top hypothesis and its
posterior (3 decimals), flags and reasons, the baseline count, each intervention's outcome class,
the stated reasons the chain of thought gives, which part of the context ablation and patching
point at, and every probe's status. The run is deterministic for a seed and device, so they are
compared exactly. To accept a new golden file: `forensics batch cases/<slug> --out DIR
--update-expected`, then review the diff.

Usage: golden_test.py <forensics> <source dir> <work dir> <slug>
"""
import json
import os
import subprocess
import sys

import junitparser

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

slug = sys.argv[4]
case = os.path.join(root, "cases", slug)
out = os.path.join(work, "batch")
junit = os.path.join(work, "junit.xml")
run = subprocess.run([forensics, "batch", case, "--out", out, "--junit", junit],
                     capture_output=True, text=True, timeout=900)
summary = json.load(open(os.path.join(out, "batch.json"), encoding="utf-8"))
result = summary["cases"][0]
check(run.returncode == 0,
      f"batch exited {run.returncode}: {result['status']}\n" +
      "\n".join(f"  {d['field']}: expected {d['expected']}, got {d['observed']}" for d in result["differences"]) +
      (f"\n  {result['error']}" if result["error"] else "") + f"\n{run.stderr[-2000:]}")
check(result["status"] == "passed", f"case status {result['status']}")

suite = junitparser.JUnitXml.fromfile(junit)
cases = [c for s in suite for c in s]
check(len(cases) == 1 and cases[0].name == slug, f"JUnit testcases {[c.name for c in cases]}")
check(cases and cases[0].is_passed, "the JUnit testcase did not pass")
if result["status"] == "passed":
    print(f"{slug}: {result['label']} ({result['top_hypothesis']}, flags {result['flags']}) as expected")
finish()
