"""Samples per second through a real vLLM server (investigate --engine) against our local runtime
on this machine, for the confused organism's resample probe; writes the "Engine" section of
docs/performance.md. vLLM comes from scripts/setup_engine.sh's venv.

usage: scripts/bench_engine.py [--samples 256] [--concurrency 1 8 32] [--section-out FILE]
"""
import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from performance_doc import ROOT, publish  # noqa: E402

EXE = os.path.join(ROOT, "build", "forensics")
CASE = os.path.join(ROOT, "cases", "organism-confused")
VLLM = os.path.expanduser(os.environ.get("FORENSICS_VLLM_VENV", "~/.cache/forensics/vllm-venv")) + "/bin/python"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_vllm(port, log):
    command = [VLLM, "-m", "vllm.entrypoints.openai.api_server", "--model", os.path.join(CASE, "model"), "--dtype",
               "float32", "--max-model-len", "512", "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                              env=dict(os.environ, VLLM_CPU_KVCACHE_SPACE="1"))
    started = time.monotonic()
    while time.monotonic() - started < 600:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5)
            return server, time.monotonic() - started
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"vLLM exited; see {log.name}")
            time.sleep(2)
    raise SystemExit("vLLM not ready after 600 s")


def resample_rate(tmp, name, extra, threads):
    """(samples, seconds, samples/s) of the resample probe in one investigate run."""
    out = os.path.join(tmp, name + ".json")
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    subprocess.run([EXE, "investigate", os.path.join(CASE, "incident.json"), "--probes", "resample", "--out", out,
                    "-q", *extra], check=True, env=env)
    probe = next(p for p in json.load(open(out))["probes"] if p["name"] == "resample")
    return probe["samples"], probe["wall_time_s"], probe["samples"] / probe["wall_time_s"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=256)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 8, 32, 64, 128])
    parser.add_argument("--section-out")
    args = parser.parse_args()
    version = subprocess.run([VLLM, "-c", "import vllm; print(vllm.__version__)"], capture_output=True,
                             text=True).stdout.strip()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        with open(os.path.join(tmp, "vllm.log"), "w") as log:
            server, ready = start_vllm(port, log)
            try:
                url = f"http://127.0.0.1:{port}"
                common = ["--samples", str(args.samples), "--engine", url, "--engine-cache", "none", "--engine-no-local"]
                resample_rate(tmp, "warm", ["--samples", "8", "--engine", url, "--engine-cache", "none",
                                            "--engine-no-local"], 1)
                for concurrency in args.concurrency:
                    rows.append((f"engine, concurrency {concurrency}", *resample_rate(
                        tmp, f"engine-{concurrency}", [*common, "--engine-concurrency", str(concurrency)], 1)))
            finally:
                os.killpg(server.pid, 9)
                server.wait()
        for threads in (1, 2):
            rows.append((f"local runtime, {threads} thread{'s' if threads > 1 else ''}",
                         *resample_rate(tmp, f"local-{threads}", ["--samples", str(args.samples)], threads)))
    best_local = max(rate for name, _, _, rate in rows if name.startswith("local"))
    lines = [
        "## Engine",
        "",
        f"`~/.cache/forensics/venv/bin/python scripts/bench_engine.py --samples {args.samples}` — the confused "
        f"organism's resample probe ({args.samples} samples of up to 192 tokens from its prompt) through a "
        f"real vLLM {version} CPU server (float32; it binds its compute to one core and keeps the other for "
        f"its front end; ready {ready:.0f} s after start) with `investigate --engine`, and on our local runtime, "
        "in the same run on this 2-core machine. No request cache (`--engine-cache none`).",
        "",
        "| backend | samples | seconds | samples/s | vs the best local |",
        "|---|---|---|---|---|",
    ]
    for name, samples, seconds, rate in rows:
        lines.append(f"| {name} | {samples} | {seconds:.1f} | {rate:.1f} | {rate / best_local:.2f}x |")
    lines += ["", "Throughput grows with the requests in flight, since the server batches what it has; the default "
              "`--engine-concurrency` is 32. Past the server's capacity it falls again (at 128 on this machine, "
              "where the client's threads, vLLM's front end and its model share two cores; not investigated "
              "further). On this CPU the engine is not faster than our runtime: both share "
              "the same two cores, and vLLM computes on one of them. The engine is for models and sample counts "
              "that need a GPU server or several (docs/scaling.md).", ""]
    publish("Engine", "\n".join(lines) + "\n", args.section_out)


if __name__ == "__main__":
    main()
