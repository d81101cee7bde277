"""Shared by the investigate test scripts: arguments, a clean work folder, and failures collected
so one run reports every broken expectation.

usage in a script: `from harness import forensics, root, work, check, finish`
"""
import os
import shutil
import sys

forensics, root, work = sys.argv[1], sys.argv[2], sys.argv[3]
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAIL:", message)


def finish():
    """Prints the outcome and exits non-zero when any check failed."""
    print("ok" if not failures else f"{len(failures)} failure(s)")
    sys.exit(1 if failures else 0)
