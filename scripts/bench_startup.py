#!/usr/bin/env python3
"""Start-up time of the commands that need no libtorch, measured with hyperfine (Debian's
`hyperfine`): `forensics --help`, `validate` of a shipped incident, `tokenize` of a short text
and `model info` (which reads a checkpoint's headers and hashes its 3.8 MB of weights), next to
`forensics-torch --help`, the same command line with libtorch loaded, for the ratio. Writes the
table into docs/performance.md (section "Start-up") and prints it.

usage: scripts/bench_startup.py [BUILD_DIR]
"""
import json
import os
import platform
import subprocess
import sys
import tempfile

from performance_doc import write_section

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
LIGHT = os.path.join(BUILD, "forensics")
HEAVY = os.path.join(BUILD, "forensics-torch")
CASE = os.path.join(ROOT, "cases/organism-confused")
COMMANDS = [
    ("forensics --help", [LIGHT, "--help"]),
    ("forensics validate cases/organism-confused/incident.json", [LIGHT, "validate", f"{CASE}/incident.json"]),
    ("forensics tokenize cases/organism-confused/model --text 'rm -f config/oversight.yaml'",
     [LIGHT, "tokenize", f"{CASE}/model", "--text", "rm -f config/oversight.yaml"]),
    ("forensics model info cases/organism-confused/model", [LIGHT, "model", "info", f"{CASE}/model"]),
    ("forensics-torch --help (libtorch loaded)", [HEAVY, "--help"]),
]


def shell_quoted(argv):
    return " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)


def measure():
    with tempfile.TemporaryDirectory() as work:
        out = os.path.join(work, "hyperfine.json")
        subprocess.run(["hyperfine", "--warmup", "3", "--min-runs", "20", "--shell=none", "--style", "none",
                        "--export-json", out, *[shell_quoted(argv) for _, argv in COMMANDS]],
                       check=True, stdout=subprocess.DEVNULL)
        return json.load(open(out))["results"]


def main():
    results = measure()
    version = subprocess.run(["hyperfine", "--version"], capture_output=True, text=True).stdout.strip()
    heavy = results[-1]["mean"]
    rows = ["| command | mean ms | σ ms | min ms | runs | vs forensics-torch --help |", "|---|---|---|---|---|---|"]
    for (name, _), r in zip(COMMANDS, results):
        rows.append(f"| `{name}` | {1000 * r['mean']:.1f} | {1000 * r['stddev']:.1f} | {1000 * r['min']:.1f} | "
                    f"{len(r['times'])} | {r['mean'] / heavy:.3f} |")
    section = (
        "## Start-up\n\n"
        "Commands that need no libtorch run in the light `forensics` binary; commands that run a model are "
        "handed to `forensics-torch` (docs/cli.md, \"Two binaries\"). Measured by `scripts/bench_startup.py` "
        f"({version}, 3 warm-up runs, at least 20 timed, no shell) on {platform.node()} "
        f"({os.cpu_count()} cores, {platform.machine()}), build `{os.path.relpath(BUILD, ROOT)}`. "
        "Goal: under 50 ms for the torch-free commands.\n\n" + "\n".join(rows) + "\n")
    write_section("Start-up", section)
    print(section)


if __name__ == "__main__":
    main()
