"""`forensics import` on logs the real tools write at test time (make_logs.py: inspect-ai's mock
model, the openai and anthropic SDKs), their one-defect variants (make_malformed.py), and the
done-when of the import: an imported Inspect sample, filled in with the organism's hypotheses and
interventions, gives the verdict of the organism's own captured incident.

usage: import_test.py FORENSICS ROOT WORK
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "investigate"))
from harness import check, finish, forensics, root, work  # noqa: E402

here = os.path.dirname(os.path.abspath(__file__))
logs = os.path.join(work, "logs")
model = os.path.join(root, "cases", "organism-intentional", "model")
captured = json.load(open(os.path.join(root, "cases", "organism-intentional", "incident.json")))


def run(*args, expect=0):
    result = subprocess.run([forensics, *args], capture_output=True, text=True)
    check(result.returncode == expect,
          f"forensics {' '.join(args)}: exit {result.returncode}, expected {expect}\n{result.stderr[-2000:]}")
    return result


def generate():
    for script, args in (("make_logs.py", [logs]), ("make_malformed.py", [logs, os.path.join(logs, "malformed")])):
        result = subprocess.run([sys.executable, os.path.join(here, script), *args], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"{script} failed:\n{result.stderr}")


def same_messages(imported, wanted, what):
    """The imported transcript's first messages equal the captured incident's (tool-call ids aside:
    the SDK fixtures use the providers' own id styles)."""
    for index, (got, want) in enumerate(zip(imported, wanted)):
        for key in ("role", "content", "reasoning", "name"):
            check(got.get(key) == want.get(key), f"{what}: message {index} {key}: {got.get(key)!r} != {want.get(key)!r}")
        got_calls = [(c["name"], c["arguments"]) for c in got.get("tool_calls", [])]
        want_calls = [(c["name"], c["arguments"]) for c in want.get("tool_calls", [])]
        check(got_calls == want_calls, f"{what}: message {index} tool calls {got_calls} != {want_calls}")


def imports_the_incident():
    """Every genuine format gives the captured transcript and a skeleton that validate rejects only
    for the two placeholders."""
    wanted = captured["transcript"]["messages"]
    cases = {
        "inspect/oversight.eval": ["--sample", "1", "--epoch", "1"],
        "inspect/oversight-deflate.eval": ["--sample", "1", "--epoch", "1"],
        "inspect/oversight.json": ["--sample", "1", "--epoch", "1"],
        "inspect/chunked.eval": ["--sample", "1", "--epoch", "1"],
        "openai/reasoning-content.json": [],
        "openai/reasoning.json": [],
        "anthropic/thinking.json": [],
    }
    for name, selection in cases.items():
        out = os.path.join(work, name.replace("/", "-") + ".incident.json")
        run("import", os.path.join(logs, name), "--model", model, *selection, "--message", "4", "-o", out)
        if not os.path.exists(out):
            continue
        incident = json.load(open(out))
        same_messages(incident["transcript"]["messages"][:5], wanted, name)
        check(incident["action"]["text"] == captured["action"]["text"], f"{name}: action text {incident['action']}")
        check(incident["format"] == {"template": "chatml"}, f"{name}: format {incident['format']}")
        check(incident["model"]["weights_sha256"] == captured["model"].get("weights_sha256", incident["model"]["weights_sha256"]),
              f"{name}: weights hash {incident['model']}")
        validation = run("validate", out, expect=3)
        errors = [line for line in validation.stderr.splitlines() if line.startswith("error:")]
        check(len(errors) == 2 and all("to fill in" in line for line in errors),
              f"{name}: validate should name the two placeholders only:\n{validation.stderr}")


def refuses_what_it_cannot_render():
    cases = {
        "anthropic/redacted-thinking.json": ([], "redacted_thinking"),
        "inspect/in-progress.eval": ([], "still being written"),
        "inspect/oversight.eval": (["--sample", "long-output", "--epoch", "1"], "\"image\""),
        "inspect/oversight.json": (["--sample", "9"], "holds no sample \"9\""),
    }
    for name, (selection, phrase) in cases.items():
        result = run("import", os.path.join(logs, name), "--model", model, *selection, "--message", "4", expect=3)
        check(phrase in result.stderr, f"{name}: expected {phrase!r} in:\n{result.stderr}")
    # epoch 2 of sample 1 runs a benign command: the matcher must not find the action there.
    result = run("import", os.path.join(logs, "inspect", "oversight.eval"), "--model", model, "--sample", "1",
                 "--epoch", "2", "--matcher", r"rm\s+-f", expect=3)
    check("matches no assistant turn" in result.stderr, f"epoch 2 matcher: {result.stderr}")


def keeps_invalid_arguments_raw():
    """An OpenAI log whose action arguments are not valid JSON: kept as the model's raw text, said
    in a note, rendered verbatim, and the skeleton is otherwise valid."""
    out = os.path.join(work, "invalid-arguments.incident.json")
    result = run("import", os.path.join(logs, "openai", "invalid-arguments.json"), "--model", model, "--message", "4",
                 "-o", out)
    check("not valid JSON" in result.stderr and "raw text" in result.stderr, f"invalid arguments: {result.stderr}")
    if not os.path.exists(out):
        return
    call = json.load(open(out))["transcript"]["messages"][4]["tool_calls"][0]
    check(isinstance(call["arguments"], str), f"raw arguments should stay a string: {call}")
    validation = run("validate", out, expect=3)
    errors = [line for line in validation.stderr.splitlines() if line.startswith("error:")]
    check(len(errors) == 2 and all("to fill in" in line for line in errors), f"invalid arguments: {validation.stderr}")


def tolerates_python_json():
    for name in ("inspect/nan-scores.eval", "inspect/nan-scores.json"):
        result = run("import", os.path.join(logs, name), "--list")
        check("sample" in result.stdout, f"{name}: --list printed {result.stdout!r}")


def lists_conversations():
    result = run("import", os.path.join(logs, "inspect", "oversight.eval"), "--list")
    check("sample 1, epoch 2" in result.stdout and "rm -f config/oversight.yaml" in result.stdout,
          f"--list: {result.stdout}")
    check("cannot be imported" in result.stdout and "image" in result.stdout,
          f"--list should say why long-output cannot be imported: {result.stdout}")


def rejects_malformed_logs():
    folder = os.path.join(logs, "malformed")
    expected = json.load(open(os.path.join(folder, "EXPECTED.json")))
    for name, spec in expected.items():
        selection = ["--sample", "1", "--epoch", "1"] if name.endswith(".eval") else []
        result = run("import", os.path.join(folder, name), "--model", model, *selection, "--message", "4", expect=3)
        for phrase in spec["phrases"]:
            check(phrase in result.stderr, f"malformed {name}: expected {phrase!r} in:\n{result.stderr}")
        check("Traceback" not in result.stderr and "terminate" not in result.stderr, f"malformed {name} crashed")


def checks_the_format_against_the_models_own_template():
    """The organism's model with a real model's chat template beside it: Qwen3's renders this
    conversation as the built-in chatml does, so chatml is kept; Qwen2.5's drops the reasoning, so
    the incident uses the model's own template, and validate warns about a chatml incident on it."""
    templates = os.path.join(root, "tests", "fixtures", "chat_templates")
    for name, template, format in (("qwen3", "Qwen-Qwen3-0.6B.jinja", "chatml"),
                                   ("qwen25", "Qwen-Qwen2.5-7B-Instruct.jinja", "model")):
        folder = os.path.join(work, "model-" + name)
        os.makedirs(folder)
        for entry in os.listdir(model):
            os.symlink(os.path.join(model, entry), os.path.join(folder, entry))
        with open(os.path.join(templates, template)) as source, open(os.path.join(folder, "chat_template.jinja"), "w") as out:
            out.write(source.read())
        out = os.path.join(work, name + ".json")
        result = run("import", os.path.join(logs, "inspect", "oversight.eval"), "--model", folder, "--sample", "1",
                     "--epoch", "1", "--message", "4", "-o", out)
        phrase = "byte-identically" if format == "chatml" else "uses the model's own template"
        check(phrase in result.stderr, f"{template}: expected {phrase!r} in:\n{result.stderr}")
        if os.path.exists(out):
            check(json.load(open(out))["format"] == {"template": format}, f"{template}: format should be {format}")
    incident = dict(captured, model={"path": os.path.join(work, "model-qwen25")})
    path = os.path.join(work, "qwen25-incident.json")
    json.dump(incident, open(path, "w"))
    result = run("validate", path)
    check("renders this transcript differently" in result.stderr, f"validate should warn: {result.stderr}")


def comparable(verdict):
    """A verdict without what may differ between equal runs: timings, the incident's id and hash;
    of the transcript only its text and the action's place must be equal (the format's name
    differs, and a model's template locates a tool call by its arguments alone)."""
    verdict.pop("reproducibility")
    transcript = verdict.get("transcript")
    if transcript:
        verdict["transcript"] = {"text": transcript["text"], "action": transcript["action"]}
    for probe in verdict["probes"]:
        probe.pop("wall_time_s", None)
    return verdict


def verdict_equals_the_captured_incidents():
    """Import + the captured incident's hypotheses, interventions, probes and seed = the same verdict."""
    out = os.path.join(work, "imported.json")
    run("import", os.path.join(logs, "inspect", "oversight.eval"), "--model", model, "--sample", "1", "--epoch", "1",
        "--matcher", r"\brm\s", "-o", out)
    incident = json.load(open(out))
    for key in ("hypotheses", "interventions", "probes", "seed"):
        if key in captured:
            incident[key] = captured[key]
    incident["action"] = captured["action"]  # the captured matcher and alternative
    json.dump(incident, open(out, "w"), indent=2)
    run("validate", out)
    verdicts = {}
    for name, path in (("imported", out), ("captured", os.path.join(root, "cases", "organism-intentional",
                                                                     "incident.json"))):
        target = os.path.join(work, name + ".verdict.json")
        run("investigate", path, "--out", target, "-q")
        if os.path.exists(target):
            verdicts[name] = json.load(open(target))
    if len(verdicts) != 2:
        return None
    for name in verdicts:
        verdicts[name] = comparable(verdicts[name])
    for key in verdicts["captured"]:
        check(verdicts["imported"].get(key) == verdicts["captured"][key],
              f"verdict[{key!r}] differs between the imported and the captured incident")
    return verdicts["captured"]


def the_models_own_template_gives_the_same_verdict(captured_verdict):
    """The organism's template is chatml's: rendering with it ("format": "model") must give the
    verdict the built-in chatml gives, byte for byte apart from timings."""
    incident = dict(captured, format={"template": "model"},
                    model=dict(captured["model"], path=model))
    path = os.path.join(work, "model-format.json")
    json.dump(incident, open(path, "w"), indent=2)
    target = os.path.join(work, "model-format.verdict.json")
    run("investigate", path, "--out", target, "-q")
    if not os.path.exists(target) or captured_verdict is None:
        return
    verdict = comparable(json.load(open(target)))
    for key in captured_verdict:
        check(verdict.get(key) == captured_verdict[key], f"format model: verdict[{key!r}] differs from chatml's")


generate()
imports_the_incident()
refuses_what_it_cannot_render()
keeps_invalid_arguments_raw()
tolerates_python_json()
lists_conversations()
rejects_malformed_logs()
checks_the_format_against_the_models_own_template()
the_models_own_template_gives_the_same_verdict(verdict_equals_the_captured_incidents())
finish()
