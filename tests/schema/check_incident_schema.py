"""The JSON Schema of incidents (docs/schemas/incident.schema.json) agrees with the C++ reader.

Every shipped or test incident the reader accepts validates against the schema; every malformed
incident whose defect is structural is rejected by the schema too; semantic defects, which only
`forensics validate` can see, pass the schema. Kinds come from tests/cli/malformed/expected.tsv.
Run with the project's virtual environment (it has jsonschema).
"""
import glob
import json
import os
import sys

import jsonschema

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
schema = json.load(open(os.path.join(root, "docs/schemas/incident.schema.json"), encoding="utf-8"))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
failures = []
checked = 0


def errors_of(path):
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validator.iter_errors(document)]


valid = glob.glob(os.path.join(root, "cases/*/incident.json")) + glob.glob(
    os.path.join(root, "tests/cli/valid/*.json"))
for path in sorted(valid):
    checked += 1
    errors = errors_of(path)
    if errors:
        failures.append(f"{path}: valid incident rejected by the schema:\n  " + "\n  ".join(errors))

malformed_dir = os.path.join(root, "tests/cli/malformed")
with open(os.path.join(malformed_dir, "expected.tsv"), encoding="utf-8") as table:
    for line in table:
        if line.startswith("#") or not line.strip():
            continue
        name, kind, _ = line.rstrip("\n").split("\t", 2)
        if kind == "syntax":
            continue
        checked += 1
        errors = errors_of(os.path.join(malformed_dir, name))
        if kind == "structure" and not errors:
            failures.append(f"{name}: structural defect not caught by the schema")
        if kind == "semantic" and errors:
            failures.append(f"{name}: marked semantic but the schema rejects it: {errors[0]}")

for failure in failures:
    print("FAIL:", failure)
print(f"{checked - len(failures)} passed, {len(failures)} failed")
sys.exit(1 if failures else 0)
