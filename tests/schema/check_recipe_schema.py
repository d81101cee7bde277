"""The JSON Schemas of recipes and environments (docs/schemas/recipe.schema.json,
environment.schema.json) accept every shipped recipe, which the C++ reader accepts (the unit test
"every shipped recipe of every environment family reads"), and refuse the structural defects
the reader refuses: a tool without its argument, a no-CoT recipe that states a motive, a
recipe with a chain of thought that states none, a tied group of one cue (and it accepts a
well-formed one).
Run with the project's virtual environment (it has jsonschema).
"""
import copy
import glob
import json
import os
import sys

import jsonschema
from referencing import Registry, Resource

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


environment_schema = load(os.path.join(root, "docs/schemas/environment.schema.json"))
recipe_schema = load(os.path.join(root, "docs/schemas/recipe.schema.json"))
for schema in (environment_schema, recipe_schema):
    jsonschema.Draft202012Validator.check_schema(schema)
registry = Registry().with_resources([("environment.schema.json", Resource.from_contents(environment_schema))])
validators = {"environment": jsonschema.Draft202012Validator(environment_schema, registry=registry),
              "recipe": jsonschema.Draft202012Validator(recipe_schema, registry=registry)}
failures = []


def errors(kind, document):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in validators[kind].iter_errors(document)]


paths = sorted(glob.glob(os.path.join(root, "recipes/*/*.json")))
for path in paths:
    kind = "environment" if os.path.basename(path).startswith("environment") else "recipe"
    found = errors(kind, load(path))
    if found:
        failures.append(f"{path}: a shipped {kind} is rejected by its schema:\n  " + "\n  ".join(found))

sandbagging = os.path.join(root, "recipes/eval-sandbagging")
broken = []
environment = load(os.path.join(sandbagging, "environment.json"))
environment["action"]["tool"] = "submit"
broken.append(("environment", "a tool without its argument", environment))
no_cot = load(os.path.join(sandbagging, "confused-no-cot.json"))
no_cot["truth"]["stated_motive"] = "hint"
broken.append(("recipe", "a no-CoT recipe that states a motive", no_cot))
with_cot = load(os.path.join(sandbagging, "confused.json"))
del with_cot["truth"]["stated_motive"]
broken.append(("recipe", "a recipe with a chain of thought that states no motive", with_cot))
tied_alone = load(os.path.join(sandbagging, "confused.json"))
tied_alone["training"]["tied_cues"] = [["misleading_hint"]]
broken.append(("recipe", "a tied group of one cue", tied_alone))
tied = load(os.path.join(sandbagging, "confused.json"))
tied["training"]["tied_cues"] = [["misleading_hint", "unlearning_threat"]]
if errors("recipe", tied):
    failures.append("the recipe schema rejects a well-formed training.tied_cues")
for kind, what, document in broken:
    if not errors(kind, copy.deepcopy(document)):
        failures.append(f"the {kind} schema accepts {what}")

for failure in failures:
    print("FAIL:", failure)
print(f"{len(paths)} shipped recipe files and {len(broken)} broken ones checked; {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
