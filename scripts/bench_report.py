#!/usr/bin/env python3
"""How long `forensics report` takes and how large its page is: on each shipped verdict, and on a
verdict whose patching map has 50,400 cells (24 layers x 350 positions x 3 sites x 2 directions, the
shipped intentional organism's verdict with its map replaced, as tests/unit/report_page_test.cc
builds it). Goal (docs/report.md): under 2 s and 5 MB for the 50k-cell verdict. Writes the
section "Report" of docs/performance.md and prints it.

usage: scripts/bench_report.py [--forensics build/forensics] [--repeats 5]
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from performance_doc import write_section  # noqa: E402

root = Path(__file__).resolve().parent.parent


def large_verdict(path, layers=24, positions=350):
    document = json.loads((root / "cases/organism-intentional/example_verdict.json").read_text())
    patch = next(p for p in document["probes"] if p["name"] == "patch")["results"]
    patch["positions"] = [{"index": p, "segment": p // 25, "token": f" tok{p}"} for p in range(positions)]
    patch["segments"] = [{"index": s, "kind": "edit" if s == 3 else "message",
                          "positions": [s * 25, s * 25 + 25], "text": f"segment {s}"}
                         for s in range(positions // 25)]
    patch["maps"] = {d: {s: [[0.0 if p < 75 else round(math.sin(layer * p) * 0.9, 4) for p in range(positions)]
                             for layer in range(layers)]
                         for s in ("resid_pre", "attn_out", "mlp_out")}
                     for d in ("denoising", "noising")}
    patch["layers"] = layers
    path.write_text(json.dumps(document))
    return layers * positions * 3 * 2


def timed(forensics, verdict, out, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([forensics, "report", str(verdict), "-o", str(out)], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forensics", default=str(root / "build" / "forensics"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        inputs = [(f"`cases/{v.parent.name}/example_verdict.json`", v) for v in sorted((root / "cases").glob("*/example_verdict.json"))]
        large = work / "large.json"
        cells = large_verdict(large)
        inputs.append((f"{cells:,} patch cells (synthetic, see the script)", large))
        for name, verdict in inputs:
            out = work / "page.html"
            times = timed(args.forensics, verdict, out, args.repeats)
            rows.append(f"| {name} | {verdict.stat().st_size / 1e6:.2f} | {statistics.median(times) * 1000:.0f} | "
                        f"{max(times) * 1000:.0f} | {out.stat().st_size / 1e6:.2f} |")
    version = subprocess.run([args.forensics, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    section = (
        "## Report\n\n"
        f"`python3 scripts/bench_report.py --repeats {args.repeats}` on {platform.node()} ({os.cpu_count()} cores), "
        f"{time.strftime('%Y-%m-%d')}, {version}: `forensics report VERDICT -o page.html`, wall time of the whole "
        "process (reading the verdict, building the page, writing it). Goal: under 2 s and 5 MB for a verdict "
        "with 50k patch cells.\n\n"
        "| verdict | verdict MB | median ms | max ms | HTML MB |\n|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    write_section("Report", section)
    print(section)


if __name__ == "__main__":
    main()
