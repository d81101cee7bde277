#!/usr/bin/env python3
"""`forensics report` as a person sees it: each shipped verdict, a hostile transcript, a diff and a
batch overview rendered by a real browser (headless Chromium, tests/report/browser.py).

Checked for every page: it rendered (not blank, a height in the expected range), it made no
network request (every fetch goes to a black-hole proxy and is recorded), it logged nothing to
the console, opened no dialog and holds no script or event-handler attribute. For the hostile
transcript: the markup in it shows as text. The Markdown variant's SVG files are well-formed XML.

usage: report_browser_test.py FORENSICS_BINARY SOURCE_DIR WORK_DIR
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import browser  # noqa: E402

HOSTILE = ('</script><script>alert(1)</script><svg onload=alert(2)><img src=x onerror=alert(3)> '
           '"double" \'single\' & \u202ereversed\u202c \u0645\u0631\u062d\u0628\u0627 \U0001F600 '
           'replaced \ufffd\ufffd | *star* `tick`')
SECTIONS = ["Verdict", "Transcript as the model saw it", "Interventions", "Sweeps", "Ablation",
            "Activation patching", "Competing hypotheses", "Reproducibility"]
failures = []


def check(condition, what):
    if not condition:
        failures.append(what)
        print(f"FAIL: {what}", flush=True)


def forensics(binary, *args):
    run = subprocess.run([binary, *args], capture_output=True, text=True, timeout=120)
    if run.returncode != 0:
        raise SystemExit(f"forensics {' '.join(args)} exited {run.returncode}:\n{run.stderr}")
    return run


def inspect(page, name, work, min_height, max_height):
    """Renders `page` and checks what every report page must satisfy; returns what was seen."""
    seen = browser.render(page, work / f"{name}.png")
    check(not seen["blank"], f"{name}: the page rendered blank")
    check(min_height <= seen["height"] <= max_height,
          f"{name}: height {seen['height']} outside [{min_height}, {max_height}]")
    check(seen["requests"] == [], f"{name}: network requests {seen['requests']}")
    check(seen["console"] == [], f"{name}: console messages {seen['console']}")
    check(seen["dialogs"] == [], f"{name}: dialogs {seen['dialogs']}")
    counts = seen["dom_counts"]
    for element in ("script", "img", "iframe", "object", "embed", "link", "event_handlers"):
        check(counts[element] == 0, f"{name}: {counts[element]} {element} element(s) in the page")
    print(f"{name}: {seen['height']} px, {counts['svg']} figures, "
          f"{seen['distinct_colours']} colours", flush=True)
    return seen


def check_markdown(markdown, name):
    text = markdown.read_text(encoding="utf-8")
    figures = sorted((markdown.parent / f"{markdown.stem}-figures").glob("*.svg"))
    for figure in figures:
        try:
            ElementTree.parse(figure)
        except ElementTree.ParseError as error:
            check(False, f"{name}: {figure.name} is not well-formed XML: {error}")
        check(f"({'<'}{markdown.stem}-figures/{figure.name}>)" in text, f"{name}: {figure.name} not linked")
    return figures


def shipped_verdicts(binary, source, work):
    """Every verdict shipped under cases/, as HTML and as Markdown."""
    verdicts = sorted((source / "cases").glob("*/example_verdict.json"))
    check(len(verdicts) >= 4, f"only {len(verdicts)} shipped verdicts")
    for verdict in verdicts:
        name = verdict.parent.name
        document = json.loads(verdict.read_text())
        html, markdown = work / f"{name}.html", work / "md" / f"{name}.md"
        forensics(binary, "report", str(verdict), "-o", str(html), "--markdown", str(markdown))
        seen = inspect(html, name, work, 2500, 20000)
        for section in SECTIONS:
            check(section in seen["text"], f"{name}: no section {section!r}")
        check(document["label"] in seen["text"], f"{name}: label {document['label']} not shown")
        ran = {p["name"] for p in document["probes"] if p["status"] == "ok"}
        if "patch" in ran and document["probes"][-1]["results"].get("maps"):
            check(seen["dom_counts"]["svg"] >= 3, f"{name}: the patching maps are missing")
        check_markdown(markdown, name)


def hostile_verdict(source, work):
    """The intentional organism's verdict with hostile text in its transcript (the action's turn
    kept, the messages before it replaced by one hostile user message), ablation segments,
    hypothesis claim and flag explanation."""
    document = json.loads((source / "cases/organism-intentional/example_verdict.json").read_text())
    transcript = document["transcript"]
    action = transcript["messages"][transcript["action"]["message"]]
    header = "<|im_start|>user\n".encode()
    user = header + HOSTILE.encode() + "<|im_end|>\n".encode()
    shift = len(user) - action["span"][0]

    def moved(span):
        return None if span is None else [span[0] + shift, span[1] + shift]

    transcript["text"] = (user + transcript["text"].encode()[action["span"][0]:]).decode()
    transcript["messages"] = [
        {"role": "user", "span": [0, len(user)], "content": [len(header), len(header) + len(HOSTILE.encode())],
         "reasoning": None, "tool_calls": []},
        {"role": action["role"], "span": moved(action["span"]), "content": moved(action["content"]),
         "reasoning": moved(action["reasoning"]), "tool_calls": [moved(c) for c in action["tool_calls"]]}]
    transcript["action"]["message"] = 1
    transcript["action"]["span"] = moved(transcript["action"]["span"])
    for probe in document["probes"]:
        for segment in probe.get("results", {}).get("segments", []):
            segment["text"] = HOSTILE
    document["hypotheses"][1]["claim"] = HOSTILE
    document["flag_explanations"]["cot-unfaithful"] = HOSTILE
    path = work / "hostile.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    return path


def hostile(binary, source, work):
    verdict = hostile_verdict(source, work)
    forensics(binary, "report", str(verdict), "-o", str(work / "hostile.html"),
              "--markdown", str(work / "md" / "hostile.md"))
    seen = inspect(work / "hostile.html", "hostile", work, 2500, 30000)
    figures = len(check_markdown(work / "md" / "hostile.md", "hostile"))
    check(seen["dom_counts"]["svg"] == figures,
          f"hostile: {seen['dom_counts']['svg']} svg elements for {figures} figures")
    for literal in ("</script><script>alert(1)</script>", "<svg onload=alert(2)>",
                    "<img src=x onerror=alert(3)>", '"double"', "\U0001F600"):
        check(literal in seen["text"], f"hostile: {literal!r} not shown as text")
    check(seen["title"].startswith("Why did the agent do it?"), f"hostile: title {seen['title']!r}")


def diff_page(binary, source, work):
    """Version A and a B whose action no longer depends on the monitor's memo."""
    a = json.loads((source / "cases/organism-intentional/example_verdict.json").read_text())
    b = copy.deepcopy(a)
    b["label"], b["top_hypothesis"] = "inconclusive", "none"
    for line in b["evidence"]:
        if line["id"] == "remove-monitor_blocks_goal":
            line["rate"] = {"k": 84, "n": 100, "rate": 0.84, "ci95": [0.755, 0.898]}
    (work / "a.json").write_text(json.dumps(a))
    (work / "b.json").write_text(json.dumps(b))
    run = subprocess.run([binary, "diff", str(work / "a.json"), str(work / "b.json"), "--json"],
                         capture_output=True, text=True, timeout=60)
    check(run.returncode == 1, f"diff exited {run.returncode}, expected 1 (a change)")
    (work / "diff.json").write_text(run.stdout)
    forensics(binary, "report", str(work / "diff.json"))
    seen = inspect(work / "diff.html", "diff", work, 800, 8000)
    check("CHANGED" in seen["text"] and "remove-monitor_blocks_goal *" in seen["text"],
          "diff: the changed rate is not marked")


def batch_page(binary, source, work):
    """A batch output folder: the overview links each case's report, written beside its verdict."""
    folder = work / "batch"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "verdicts").mkdir(parents=True)
    cases = []
    for verdict in sorted((source / "cases").glob("organism-*/example_verdict.json")):
        document = json.loads(verdict.read_text())
        case_id = document["reproducibility"]["incident_id"]
        shutil.copy(verdict, folder / "verdicts" / f"{case_id}.json")
        cases.append({"id": case_id, "incident": str(verdict.parent / "incident.json"),
                      "verdict": f"verdicts/{case_id}.json", "status": "passed", "resumed": False,
                      "label": document["label"], "top_hypothesis": document["top_hypothesis"],
                      "posterior": document["posterior"][document["top_hypothesis"]],
                      "flags": document["flags"], "expectation": None, "differences": [],
                      "error": None, "wall_time_s": 1.0})
    cases.append({"id": "broken", "incident": "broken/incident.json", "verdict": None,
                  "status": "bad-input", "resumed": False, "label": None, "top_hypothesis": None,
                  "posterior": None, "flags": [], "expectation": None, "differences": [],
                  "error": "broken/incident.json: no such file", "wall_time_s": 0.0})
    summary = {"schema": "forensics.batch-result/v1", "exit_code": 3,
               "counts": {"passed": len(cases) - 1, "bad-input": 1}, "run": {}, "cases": cases}
    (folder / "batch.json").write_text(json.dumps(summary))
    forensics(binary, "report", str(folder))
    seen = inspect(folder / "report.html", "batch", work, 800, 4000)
    html = (folder / "report.html").read_text()
    for case in cases[:-1]:
        report = folder / "verdicts" / f"{case['id']}.html"
        check(report.is_file(), f"batch: no report for {case['id']}")
        check(f'href="verdicts/{case["id"]}.html"' in html, f"batch: {case['id']} not linked")
    check("no such file" in seen["text"], "batch: the broken case's error is not shown")


def main():
    binary, source, work = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    shutil.rmtree(work, ignore_errors=True)
    (work / "md").mkdir(parents=True)
    shipped_verdicts(binary, source, work)
    hostile(binary, source, work)
    diff_page(binary, source, work)
    batch_page(binary, source, work)
    if failures:
        raise SystemExit(f"{len(failures)} check(s) failed")
    print("report pages: every check passed")


if __name__ == "__main__":
    main()
