"""investigate --engine against a scripted server (mock_engine.py): retries on 429, 5xx, timeouts
and broken answers; a clear exit 4 quoting the server after the last attempt; no retry on 401;
a wrong model name or a foreign tokenizer refused; the API key sent and never written; the
request cache resuming an interrupted run and answering a re-run without a request; a model
directory without weights skipping patch with the reason.

usage: engine_faults_test.py FORENSICS ROOT WORK"""
import json
import os
import shutil
import subprocess
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "investigate"))
from harness import check, finish, forensics, root, work  # noqa: E402

import mock_engine  # noqa: E402

url = mock_engine.start()
incident = os.path.join(root, "cases", "organism-confused", "incident.json")
key = "sk-test-8c1f0e"


def control(settings=None):
    data = None if settings is None else json.dumps(settings).encode()
    request = urllib.request.Request(url + "/_control", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as answer:
        return json.load(answer)


def run(name, settings, *extra, cache=None, samples=4, incident_path=incident, probes="resample"):
    """One investigate run against the mock set up with `settings`; (exit code, stderr, verdict or None)."""
    control(settings)
    out = os.path.join(work, name + ".json")
    cache = cache or os.path.join(work, name + "-cache")
    command = [forensics, "investigate", incident_path, "--engine", url, "--engine-no-local", "--probes", probes,
               "--samples", str(samples), "--engine-cache", cache, "--engine-timeout", "1", "--out", out, *extra]
    env = dict(os.environ, FORENSICS_ENGINE_API_KEY=key)
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
    verdict = json.load(open(out)) if os.path.exists(out) else None
    return result.returncode, result.stderr, verdict


# A healthy server: the verdict names the engine, the key went out as a bearer token and is
# written nowhere.
code, stderr, verdict = run("healthy", {})
check(code == 0, f"healthy: exit {code}: {stderr[-800:]}")
counters = control()
check(counters["requests"] == 4, f"healthy: {counters['requests']} requests for 4 samples")
check(all(seen == "Bearer " + key for seen in counters["auth_seen"]), f"healthy: auth headers {counters['auth_seen']}")
if verdict:
    reproducibility = verdict["reproducibility"]
    check(reproducibility["device"] == "engine", f"healthy: device {reproducibility['device']}")
    check(reproducibility.get("engine_version") == "mock 0.0-mock", f"healthy: {reproducibility.get('engine_version')}")
    check(reproducibility.get("engine_model") == "organism", "healthy: engine_model not recorded")
    check("tokenizer not compared" in reproducibility.get("engine_check", ""), "healthy: engine_check missing")
    check(key not in json.dumps(verdict) and key not in stderr, "healthy: the API key leaked into the verdict or log")

# Each fault once, then a healthy answer: the run succeeds after retrying.
for fault in ["500", "429", "slow", "truncated"]:
    code, stderr, _ = run("fault-" + fault, {"faults": [fault]}, "--engine-concurrency", "1")
    check(code == 0, f"one {fault}: exit {code}: {stderr[-600:]}")
    check("retrying" in stderr, f"one {fault}: no retry was said")
    check(control()["requests"] == 5, f"one {fault}: {control()['requests']} requests, expected 5")

# A server that keeps failing: exit 4 after the attempts, the server's message quoted, no verdict.
code, stderr, verdict = run("dead", {"after": 0}, "--engine-attempts", "3")
check(code == 4, f"always 500: exit {code}")
check("KV cache exhausted" in stderr and "after 3 attempts" in stderr, f"always 500: message {stderr[-500:]}")
check(verdict is None, "always 500: a verdict was written")

# 401 is final: one request, exit 4, the server's words.
code, stderr, _ = run("unauthorised", {"faults": ["401"] * 10}, "--engine-concurrency", "1")
check(code == 4 and "invalid API key" in stderr, f"401: exit {code}: {stderr[-400:]}")
check(control()["requests"] == 1, f"401: retried ({control()['requests']} requests)")

# A token id outside the vocabulary is refused, not decoded.
code, stderr, _ = run("bad-token", {"faults": ["bad-token"]})
check(code == 4 and "outside the model's vocabulary" in stderr, f"bad token: exit {code}: {stderr[-400:]}")

# The wrong model: a name the server does not serve, or a server tokenizing differently.
code, stderr, _ = run("wrong-name", {}, "--engine-model", "llama-70b")
check(code == 4 and "does not serve \"llama-70b\"; it serves organism" in stderr, f"wrong name: {code}: {stderr[-400:]}")
code, stderr, _ = run("wrong-tokenizer", {"tokenize": [1, 2, 3]})
check(code == 4 and "tokenizes the check text differently" in stderr, f"wrong tokenizer: {code}: {stderr[-400:]}")

# With the weights here, the server's log-probs of the check text must be ours: the mock's are not.
control({})
result = subprocess.run([forensics, "investigate", incident, "--engine", url, "--samples", "2", "--probes", "resample",
                         "--engine-cache", "none", "--out", os.path.join(work, "logprobs.json")],
                        capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS="1"))
check(result.returncode == 4 and "log-probs of the check text differ from the local weights'" in result.stderr,
      f"foreign log-probs: exit {result.returncode}: {result.stderr[-400:]}")

# Nothing listening, and a URL that is not http(s).
code, stderr, _ = subprocess.run(
    [forensics, "investigate", incident, "--engine", "http://127.0.0.1:9", "--engine-attempts", "2", "--engine-no-local",
     "--out", os.path.join(work, "refused.json")], capture_output=True, text=True).returncode, None, None
check(code == 4, f"connection refused: exit {code}")
result = subprocess.run([forensics, "investigate", incident, "--engine", "ftp://host/x"], capture_output=True, text=True)
check(result.returncode == 3 and "not an http:// or https:// URL" in result.stderr, f"ftp URL: {result.returncode}")

# An interrupted run resumes from the cache: the first run dies after 5 samples, the second asks
# only for the 7 it lacks; a third run asks for nothing and writes the same verdict.
cache = os.path.join(work, "resume-cache")
code, stderr, _ = run("resume-1", {"after": 5}, "--engine-concurrency", "1", "--engine-attempts", "1", cache=cache,
                      samples=12)
check(code == 4, f"interrupted: exit {code}")
code, stderr, first = run("resume-2", {}, cache=cache, samples=12)
check(code == 0, f"resumed: exit {code}: {stderr[-400:]}")
check(control()["requests"] == 7, f"resumed: {control()['requests']} requests, expected the 7 missing")
code, stderr, again = run("resume-3", {"after": 0}, cache=cache, samples=12)
check(code == 0 and control()["requests"] == 0, f"re-run: exit {code}, {control()['requests']} requests")
if first and again:
    check(first["probes"][0]["results"] == again["probes"][0]["results"], "re-run: other results from the cache")

# A model directory with config and tokenizer but no weights: sampling on the engine, patch
# skipped with the reason, exit 0.
bare = os.path.join(work, "bare")
shutil.copytree(os.path.join(root, "cases", "organism-confused", "model"), os.path.join(bare, "model"),
                ignore=shutil.ignore_patterns("*.safetensors"))
document = json.load(open(incident))
document["model"].pop("weights_sha256", None)
json.dump(document, open(os.path.join(bare, "incident.json"), "w"))
control({})
result = subprocess.run([forensics, "investigate", os.path.join(bare, "incident.json"), "--engine", url, "--probes",
                         "resample,patch", "--samples", "3", "--engine-cache", "none", "--out",
                         os.path.join(work, "bare.json")], capture_output=True, text=True)
check(result.returncode == 0, f"no weights: exit {result.returncode}: {result.stderr[-600:]}")
if result.returncode == 0:
    patch = next(p for p in json.load(open(os.path.join(work, "bare.json")))["probes"] if p["name"] == "patch")
    check(patch["status"] == "skipped" and "no weights here" in patch.get("reason", ""), f"no weights: patch {patch}")
result = subprocess.run([forensics, "validate", os.path.join(bare, "incident.json"), "--without-weights"],
                        capture_output=True, text=True)
check(result.returncode == 0, f"validate --without-weights: exit {result.returncode}: {result.stderr[-300:]}")
result = subprocess.run([forensics, "investigate", os.path.join(bare, "incident.json"), "--out",
                         os.path.join(work, "bare-local.json")], capture_output=True, text=True)
check(result.returncode == 3 and "no model.safetensors" in result.stderr,
      f"no weights, no engine: exit {result.returncode}: {result.stderr[-300:]}")

finish()
