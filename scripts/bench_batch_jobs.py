#!/usr/bin/env python3
"""`forensics batch --jobs`: the four organism cases run one at a time with every core, then
as many at a time as there are cores with one core each, on the same machine in the same run, so
the ratio is what counts. Writes the section "Batch: cases in parallel" of docs/performance.md.
Probes resample and intervene at the standard budget (what most of a verdict's time goes to).

usage: scripts/bench_batch_jobs.py [--repeats 2]
"""
import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from performance_doc import ROOT, write_section  # noqa: E402

EXE = os.path.join(ROOT, "build", "forensics")
CASES = ["organism-confused", "organism-intentional", "organism-never", "organism-random"]


def run_batch(work, jobs):
    folder = os.path.join(work, "cases")
    if not os.path.isdir(folder):
        os.makedirs(folder)
        for case in CASES:  # the incidents only, pointing at the shipped models
            source = os.path.join(ROOT, "cases", case)
            incident = json.load(open(os.path.join(source, "incident.json")))
            incident["model"]["path"] = os.path.join(source, incident["model"]["path"])
            os.makedirs(os.path.join(folder, case))
            json.dump(incident, open(os.path.join(folder, case, "incident.json"), "w"), indent=2)
    out = os.path.join(work, f"out-{jobs}")
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}  # batch divides the cores
    start = time.monotonic()
    result = subprocess.run([EXE, "batch", folder, "--out", out, "--jobs", str(jobs), "--probes", "resample,intervene",
                             "-q"], env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        sys.exit(f"batch --jobs {jobs} exited {result.returncode}:\n{result.stderr}")
    return seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    cores = os.cpu_count()
    times = {1: [], cores: []}
    with tempfile.TemporaryDirectory() as work:
        for _ in range(args.repeats):  # interleaved, so drift in the machine's load hits both
            for jobs in times:
                times[jobs].append(run_batch(work, jobs))
    best = {jobs: min(values) for jobs, values in times.items()}
    ratio = best[1] / best[cores]
    verdict = "faster" if ratio > 1.05 else "slower" if ratio < 0.95 else "no faster"
    version = subprocess.run([EXE, "--version"], capture_output=True, text=True).stdout.strip().replace("\n", "; ")
    rows = [f"| `--jobs {jobs}` ({'every core per case' if jobs == 1 else 'one core per case'}) | "
            f"{', '.join(f'{t:.1f}' for t in times[jobs])} | {best[jobs]:.1f} | {best[1] / best[jobs]:.2f} |"
            for jobs in times]
    section = "\n".join([
        "## Batch: cases in parallel", "",
        f"`python3 scripts/bench_batch_jobs.py --repeats {args.repeats}` on {platform.node()} ({cores} cores), "
        f"{time.strftime('%Y-%m-%d')}, {version}: `forensics batch` over the four organism cases (probes "
        "resample and intervene, standard budget), runs interleaved.", "",
        "| run | seconds (each repeat) | best | speed-up over --jobs 1 |", "|---|---|---|---|", *rows, "",
        "One process holds one model per distinct model directory; each job sets libtorch's threads to its "
        f"share of the cores. On these small models, running the cases side by side was {verdict} than "
        "splitting each case's matrix products across the cores.", ""])
    write_section("Batch: cases in parallel", section)
    print(section)


if __name__ == "__main__":
    main()
