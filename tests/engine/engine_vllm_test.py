"""investigate --engine against a real vLLM server (CPU build, its own venv: scripts/setup_engine.sh)
serving the confused organism: the same label and flags as the local run, every intervention's
rate consistent with the local one, ablate's teacher-forced log-probs equal to the local ones, a
re-run answered from the request cache without a completion request, and a dead server giving
exit 4 with nothing half-written (docs/engine.md).

usage: engine_vllm_test.py FORENSICS ROOT WORK VLLM_PYTHON"""
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "investigate"))
from harness import check, finish, forensics, root, work  # noqa: E402

vllm_python = sys.argv[4]
case = os.path.join(root, "cases", "organism-confused")
incident = os.path.join(case, "incident.json")
# Standard budget (100 samples per condition), every probe the incident lists; patch runs on the
# local weights either way.
common = ["--budget", "standard", "-q"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port, log):
    env = dict(os.environ, VLLM_CPU_KVCACHE_SPACE="1", OMP_NUM_THREADS="1", VLLM_LOGGING_LEVEL="INFO")
    command = [vllm_python, "-m", "vllm.entrypoints.openai.api_server", "--model", os.path.join(case, "model"),
               "--served-model-name", "organism-confused", "--dtype", "float32", "--max-model-len", "512",
               # vLLM 0.32.0 on the CPU dies ("CPU Generator does not use offset") when a seeded
               # request's prompt is prefilled in chunks (docs/engine.md, "Known server bugs").
               "--no-enable-chunked-prefill",
               "--host", "127.0.0.1", "--port", str(port)]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    deadline = time.time() + 420
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"vLLM exited with {server.returncode} before it was ready; see {log.name}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=5) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            time.sleep(2)
    server.kill()
    raise SystemExit(f"vLLM not ready after 420 s; see {log.name}")


def completion_requests(log_path):
    with open(log_path, errors="replace") as log:
        return sum('"POST /v1/completions' in line for line in log)


def investigate(name, *extra):
    out = os.path.join(work, name + ".json")
    result = subprocess.run([forensics, "investigate", incident, "--out", out, *common, *extra], capture_output=True,
                            text=True, timeout=1200)
    verdict = json.load(open(out)) if os.path.exists(out) else None
    return result, verdict, out


def two_sided_p(k1, n1, k2, n2):
    """Two-proportion z test (pooled); 1 when both rates are 0 or 1."""
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = abs(k1 / n1 - k2 / n2) / se
    return math.erfc(z / math.sqrt(2))


def probe(verdict, name):
    return next(p for p in verdict["probes"] if p["name"] == name)


port = free_port()
log_path = os.path.join(work, "vllm.log")
url = f"http://127.0.0.1:{port}"
cache = os.path.join(work, "cache")
with open(log_path, "w") as log:
    started = time.time()
    server = start_server(port, log)
    print(f"vLLM ready after {time.time() - started:.0f} s")
    try:
        started = time.time()
        engine, engine_verdict, engine_out = investigate("engine", "--engine", url, "--engine-cache", cache)
        print(f"engine run {time.time() - started:.1f} s")
        check(engine.returncode == 0, f"engine run: exit {engine.returncode}: {engine.stderr[-1500:]}")
        first_requests = completion_requests(log_path)

        started = time.time()
        rerun, rerun_verdict, _ = investigate("engine-again", "--engine", url, "--engine-cache", cache)
        print(f"cached re-run {time.time() - started:.1f} s")
        check(rerun.returncode == 0, f"cached re-run: exit {rerun.returncode}: {rerun.stderr[-800:]}")
        new_requests = completion_requests(log_path) - first_requests
        # The identity check scores its text once per run (also cached): nothing else may be sent.
        check(new_requests == 0, f"cached re-run sent {new_requests} completion requests")
    finally:
        os.killpg(server.pid, 9)
        server.wait()

# Nothing answers any more: exit 4, the old verdict untouched, nothing half-written.
before = open(engine_out).read() if os.path.exists(engine_out) else None
dead = subprocess.run([forensics, "investigate", incident, "--engine", url, "--engine-attempts", "2", "--engine-cache",
                       "none", "--out", engine_out, "-q"], capture_output=True, text=True, timeout=300)
check(dead.returncode == 4 and "no answer" in dead.stderr, f"dead server: exit {dead.returncode}: {dead.stderr[-400:]}")
check(before is None or open(engine_out).read() == before, "dead server: the old verdict changed")
check(not any(name.startswith(".engine.json") and name.endswith(".tmp") for name in os.listdir(work)),
      "dead server: a temporary file was left")

started = time.time()
local, local_verdict, _ = investigate("local")
print(f"local run {time.time() - started:.1f} s")
check(local.returncode == 0, f"local run: exit {local.returncode}: {local.stderr[-800:]}")

if engine_verdict and local_verdict:
    check(engine_verdict["reproducibility"]["engine_version"].startswith("vllm "), "engine_version is not vLLM's")
    check("log-probs within" in engine_verdict["reproducibility"]["engine_check"], "no log-prob check recorded")
    for key in ("label", "top_hypothesis", "flags"):
        check(engine_verdict[key] == local_verdict[key],
              f"{key}: engine {engine_verdict[key]} vs local {local_verdict[key]}")
    if rerun_verdict:
        for name in ("resample", "intervene", "sentence-resample", "ablate"):
            check(probe(rerun_verdict, name)["results"] == probe(engine_verdict, name)["results"],
                  f"cached re-run: {name} results differ")
    # Two honest samplers (vLLM's random streams and ours) draw different samples: compare each
    # intervention's rate with a two-proportion test, Bonferroni over the lines. Also printed:
    # whether the engine's rate lies inside the local rate's 95% interval.
    local_lines = {line["id"]: line for line in local_verdict["evidence"] if "rate" in line}
    engine_lines = [line for line in engine_verdict["evidence"] if "rate" in line]
    for line in engine_lines:
        theirs = local_lines[line["id"]]["rate"]
        ours = line["rate"]
        p = two_sided_p(ours["k"], ours["n"], theirs["k"], theirs["n"])
        inside = theirs["ci95"][0] <= ours["rate"] <= theirs["ci95"][1]
        print(f"  {line['id']}: engine {ours['k']}/{ours['n']}, local {theirs['k']}/{theirs['n']}, p {p:.3f}, "
              f"engine rate {'inside' if inside else 'outside'} the local 95% interval")
        check(p > 0.05 / len(engine_lines), f"{line['id']}: engine {ours['k']}/{ours['n']} vs local "
              f"{theirs['k']}/{theirs['n']} (p {p:.2g} < {0.05 / len(engine_lines):.2g})")
    base_engine, base_local = engine_verdict["baseline"], local_verdict["baseline"]
    p = two_sided_p(base_engine["k"], base_engine["n"], base_local["k"], base_local["n"])
    check(p > 0.01, f"baseline: engine {base_engine['k']}/{base_engine['n']} vs local {base_local['k']}/{base_local['n']}")
    # Teacher forcing is deterministic: the server's log-probs are the local ones.
    largest = 0.0
    for a, b in zip(probe(engine_verdict, "ablate")["results"]["segments"],
                    probe(local_verdict, "ablate")["results"]["segments"]):
        largest = max(largest, abs(a["logprob_action"] - b["logprob_action"]),
                      abs(a["logprob_alternative"] - b["logprob_alternative"]))
    print(f"ablate: largest log-prob difference engine vs local {largest:.2e} nats")
    check(largest < 2e-3, f"ablate log-probs differ by {largest:.2e} nats")
    check(probe(engine_verdict, "patch")["status"] == "ok", "patch did not run on the local weights")

finish()
