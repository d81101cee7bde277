"""The JSON Schema of verdicts (docs/schemas/verdict.schema.json) accepts what the C++ writes.

Runs the `[verdict]` unit tests with FORENSICS_VERDICT_DUMP_DIR set, so the documents checked are
the ones verdict_to_json really produced (confused, intentional, random control, not reproduced,
and one with a sweep, CoT evidence and priors). Each must validate and hold together (posterior
sums to 1, one column per hypothesis everywhere, `represented_by` names a counted row); a few
broken copies must be rejected, so the schema is known to be strict.
Usage: check_verdict_schema.py <forensics_core_tests> <source dir>. Needs the venv (jsonschema).
"""
import copy
import glob
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

tests_binary, root = sys.argv[1], sys.argv[2]
schema = json.load(open(os.path.join(root, "docs/schemas/verdict.schema.json"), encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
expected = {"confused", "intentional", "random-control", "not-reproduced", "full"}
failures = []
checked = 0


def errors_of(document):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(document)]


def coherence_errors(document):
    ids = [h["id"] for h in document["hypotheses"]]
    errors = []
    if ids[-1] != "none" or document["ach"]["columns"] != ids:
        errors.append(f"columns {document['ach']['columns']} do not follow hypotheses {ids}")
    if list(document["posterior"]) != ids:
        errors.append("posterior keys differ from the hypotheses")
    if abs(sum(document["posterior"].values()) - 1) > 1e-12:
        errors.append(f"posterior sums to {sum(document['posterior'].values())}")
    counted = {row["id"] for row in document["evidence"] if row["counted"]}
    for row in document["evidence"]:
        for key in ("predictions", "likelihoods"):
            if list(row[key]) != ids:
                errors.append(f"{row['id']}: {key} keys differ from the hypotheses")
        # A row counts, or is represented by the row that counts for its group, or its group's lines
        # disagree and none counts (conflicting).
        conflicting = row.get("conflicting", False)
        if conflicting and (row["counted"] or row["represented_by"] is not None):
            errors.append(f"{row['id']}: conflicting yet counted or represented")
        if not conflicting and row["counted"] != (row["represented_by"] is None):
            errors.append(f"{row['id']}: counted and represented_by disagree")
        if row["represented_by"] is not None and row["represented_by"] not in counted:
            errors.append(f"{row['id']}: represented by a row that does not count")
    return errors


with tempfile.TemporaryDirectory() as dump_dir:
    run = subprocess.run([tests_binary, "[verdict]"], env=dict(os.environ,
                         FORENSICS_VERDICT_DUMP_DIR=dump_dir), capture_output=True, text=True)
    if run.returncode != 0:
        print(run.stdout[-4000:], run.stderr[-4000:])
        print("FAIL: the [verdict] unit tests failed; fix them first")
        sys.exit(1)
    documents = {}
    for path in sorted(glob.glob(os.path.join(dump_dir, "*.json"))):
        with open(path, encoding="utf-8") as f:
            documents[os.path.basename(path)[:-5]] = json.load(f)

missing = expected - set(documents)
if missing:
    failures.append(f"the unit tests wrote no document for {sorted(missing)}")

for name, document in sorted(documents.items()):
    checked += 1
    errors = errors_of(document) or coherence_errors(document)
    if errors:
        failures.append(f"{name}: rejected:\n  " + "\n  ".join(errors))

# Structural defects the schema must catch, applied to the richest document.
if "full" in documents:
    def broken(mutate):
        document = copy.deepcopy(documents["full"])
        mutate(document)
        return document

    sweep = next(i for i, r in enumerate(documents["full"]["evidence"]) if r["kind"] == "sweep")
    defects = {
        "unknown label": lambda d: d.update(label="probably-confused"),
        "unknown flag": lambda d: d["flags"].append("suspicious"),
        "interval of one number": lambda d: d["baseline"].update(ci95=[0.5]),
        "rate above 1": lambda d: d["baseline"].update(rate=1.5),
        "sweep row with a Fisher p": lambda d: d["evidence"][sweep].update(fisher_p=0.5),
        "intervention row without its rate": lambda d: d["evidence"][0].pop("rate"),
        "unknown ACH cell": lambda d: d["ach"]["rows"][0]["cells"].update(latency="maybe"),
        "missing reproducibility seed": lambda d: d["reproducibility"].pop("seed"),
        "unknown top-level key": lambda d: d.update(extra=1),
    }
    for defect, mutate in defects.items():
        checked += 1
        if not errors_of(broken(mutate)):
            failures.append(f"{defect}: not caught by the schema")

for failure in failures:
    print("FAIL:", failure)
print(f"{checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
