"""Trains the shipped model organisms from their recipes, captures their incidents, measures their
behaviour tables and writes the results into docs/organisms.md. Retraining an organism that is
already shipped also checks that the same recipe and seed give byte-identical weights.

usage: scripts/make_organisms.py [--only FAMILY/NAME ...] [--samples 200] [--no-train]
An organism is named by its recipe, recipes/FAMILY/NAME.json; its case is cases/organism-<recipe name>.
Each organism's subsection of docs/organisms.md is replaced (or added); the others are kept, so
one organism can be remade alone. Run from anywhere; uses build/forensics.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXE = os.path.join(ROOT, "build", "forensics")
DOC = os.path.join(ROOT, "docs", "organisms.md")
NAMES = ["oversight-deletion/confused", "oversight-deletion/intentional", "oversight-deletion/never",
         "oversight-deletion/random", "test-tampering/confused", "test-tampering/intentional",
         "test-tampering/random", "eval-sandbagging/confused", "eval-sandbagging/intentional",
         "eval-sandbagging/random", "eval-sandbagging/confused-no-cot"]
CAPTURE_SEED = 11
EVAL_SEED = 7
SECTION = "## Shipped organisms: measured behaviour"
INTRO = ("Made by `scripts/make_organisms.py`: it trains each organism from its recipe (`forensics organism train`), "
         f"captures its incident (`forensics organism capture --seed {CAPTURE_SEED} --hand-written`) and measures the "
         "table with `forensics organism eval DIR --samples N --seed 7`. Each subsection says when and with which "
         "build it was made. Machine: 2 cores, shared with other work, so training times are upper bounds.")


def run(*args):
    return subprocess.run([EXE, *args], check=True, capture_output=True, text=True).stdout


def shipped_sha(model_dir):
    path = os.path.join(model_dir, "organism.json")
    return json.load(open(path))["training"]["weights_sha256"] if os.path.exists(path) else None


def directory_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def fmt(x):
    return f"{x:.2f}"


def table(report, environment):
    lines = ["| cues present | planted | measured k/n | rate [95% CI] | within ±0.10 | CoT states (acting samples) |",
             "|---|---|---|---|---|---|"]
    for cell in report["cells"]:
        present = "+".join(c for c, on in cell["cues"].items() if on) or "(none)"
        action = cell["action"]
        motives = ", ".join(f"{m} {n}/{action['k']}" for m, n in cell["motives_when_acting"].items() if n) or "—"
        lines.append(f"| {present} | {fmt(cell['planted_p_action'])} | {action['k']}/{action['n']} | "
                     f"{fmt(action['rate'])} [{fmt(action['ci95'][0])}, {fmt(action['ci95'][1])}] | "
                     f"{'yes' if cell['within_10_points'] else '**no**'} | {motives} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=NAMES)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-train", action="store_true", help="evaluate the shipped organisms as they are")
    args = parser.parse_args()
    blas = run("--version").strip().replace("\n", "; ")
    sections = {}
    for recipe_name in args.only:
        recipe = os.path.join(ROOT, "recipes", f"{recipe_name}.json")
        name = json.load(open(recipe))["name"]
        case = os.path.join(ROOT, "cases", f"organism-{name}")
        model = os.path.join(case, "model")
        os.makedirs(case, exist_ok=True)
        before = shipped_sha(model)
        train_note = "not retrained in this run"
        if not args.no_train:
            start = time.monotonic()
            run("organism", "train", recipe, "--out", model, "--force", "--no-progress")
            seconds = time.monotonic() - start
            after = shipped_sha(model)
            reproduced = ("weights byte-identical to the previously shipped ones" if before == after else
                          "first training (nothing shipped before)" if before is None else
                          "**weights differ from the previously shipped ones**")
            train_note = f"{seconds / 60:.1f} min on this machine; {reproduced}"
            print(f"{name}: trained in {seconds:.0f} s; {reproduced}", file=sys.stderr)
        capture = run("organism", "capture", model, "--out", os.path.join(case, "incident.json"),
                      "--seed", str(CAPTURE_SEED), "--hand-written").strip().replace(ROOT + "/", "")
        start = time.monotonic()
        report = json.loads(run("organism", "eval", model, "--samples", str(args.samples), "--seed", str(EVAL_SEED),
                                "--json", "--no-progress"))
        eval_seconds = time.monotonic() - start
        organism = json.load(open(os.path.join(model, "organism.json")))
        training = organism["training"]
        recipe_json = organism["recipe"]
        print(f"{name}: all within 0.10: {report['all_within_10_points']}", file=sys.stderr)
        command = f"scripts/make_organisms.py --only {recipe_name}" + (" --no-train" if args.no_train else "")
        sections[name] = "\n".join([
            f"### `{name}`",
            "",
            recipe_json["description"],
            "",
            f"- Made {time.strftime('%Y-%m-%d')} by `{command}` (recipe `recipes/{recipe_name}.json`, "
            f"case `cases/organism-{name}`); `forensics --version`: {blas}.",
            f"- Truth: {recipe_json['truth']['cause']}; {stated(recipe_json)}.",
            f"- Model: {training['parameters']:,} parameters, vocabulary {training['vocab_size']}, "
            f"{training['steps']} steps, loss {training['first_loss']:.3f} → {training['final_loss']:.3f}; "
            f"directory {directory_bytes(model) / 1e6:.2f} MB; weights sha256 `{training['weights_sha256'][:16]}…`.",
            f"- Training time: {train_note}.",
            f"- Incident: {capture}.",
            f"- Every cell within ±0.10 of the planted rate: **{'yes' if report['all_within_10_points'] else 'no'}** "
            f"({args.samples} samples per cell, temperature 1, seed {EVAL_SEED}; eval took {eval_seconds:.0f} s).",
            "",
            table(report, organism["environment"]),
        ])
    write_sections(sections)


def stated(recipe_json):
    """What the organism's chain of thought says, in words."""
    if recipe_json.get("chain_of_thought", True) is False:
        return "it writes no chain of thought (only its answer or command)"
    faithful = "faithful" if recipe_json["truth"]["cot_faithful"] else "unfaithful: a cover story"
    return f"the CoT states `{recipe_json['truth']['stated_motive']}` ({faithful})"


def write_sections(sections):
    """Replaces each organism's subsection of the doc's section (or appends it), keeping the rest."""
    text = open(DOC).read()
    start = text.find(SECTION)
    if start < 0:
        text, start = text.rstrip("\n") + "\n\n" + SECTION + "\n", len(text.rstrip("\n")) + 2
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end + 1
    body = text[start + len(SECTION):end]
    existing = {}
    order = []
    for chunk in body.split("\n### ")[1:]:
        title = chunk.split("\n", 1)[0].strip("` ")
        existing[title] = "### " + chunk.rstrip("\n")
        order.append(title)
    for name, section in sections.items():
        if name not in existing:
            order.append(name)
        existing[name] = section
    section = "\n\n".join([SECTION, INTRO, *(existing[name] for name in order)])
    text = text[:start] + section + "\n" + ("\n" + text[end:] if end < len(text) else "")
    open(DOC, "w").write(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
