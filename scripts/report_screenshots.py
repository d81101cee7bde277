#!/usr/bin/env python3
"""Screenshots of `forensics report` for docs/report.md and the README: one per figure type,
taken by headless Chromium (tests/report/browser.py) from the shipped verdicts, a diff and a batch
overview made as the browser test makes them.

usage: scripts/report_screenshots.py [--forensics build/forensics] [--out docs/images]
"""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

root = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(root / "tests" / "report"))
import browser  # noqa: E402
import report_browser_test as pages  # noqa: E402

# name -> (page, CSS selector of the element to shoot)
SHOTS = {
    "verdict": ("intentional", "#verdict"),
    "transcript": ("intentional", "#transcript .turn.action"),
    "forest": ("intentional", "#interventions figure"),
    "sweep": ("demo", "#sweeps figure"),
    "ablation": ("intentional", "#ablation figure"),
    "patching": ("intentional", "#patching figure"),
    "hypotheses": ("intentional", "#hypotheses table"),
    "diff": ("diff", "figure"),
    "batch": ("batch", "#cases table"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forensics", default=str(root / "build" / "forensics"))
    parser.add_argument("--out", default=str(root / "docs" / "images"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        html = {}
        for name, case in (("intentional", "organism-intentional"), ("demo", "demo-oversight-deletion")):
            html[name] = work / f"{name}.html"
            subprocess.run([args.forensics, "report", str(root / "cases" / case / "example_verdict.json"),
                            "-o", str(html[name])], check=True)
        (work / "md").mkdir()
        pages.diff_page(args.forensics, root, work)
        pages.batch_page(args.forensics, root, work)
        html["diff"], html["batch"] = work / "diff.html", work / "batch" / "report.html"
        for page in html:
            clips = {name: selector for name, (on, selector) in SHOTS.items() if on == page}
            browser.render(html[page], work / f"{page}.png", clips=clips)
            for name in clips:
                (work / f"{page}-{name}.png").replace(out / f"report-{name}.png")
                print(f"wrote {out / f'report-{name}.png'}")
        browser.render(html["intentional"], work / "dark.png", dark=True, clips={"dark": "#verdict"})
        (work / "dark-dark.png").replace(out / "report-dark.png")
        print(f"wrote {out / 'report-dark.png'}")
    if pages.failures:
        raise SystemExit("the pages failed the browser test's checks: " + "; ".join(pages.failures))


if __name__ == "__main__":
    main()
