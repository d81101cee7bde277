"""The first hour of a new user, re-tried through the real command line on a shipped organism:
each check below is one way a user could waste time or misread a result, and what the tool now
says instead. Runs are small (quick budget, few probes): seconds each.

Usage: first_hour_test.py <forensics> <source dir> <work dir>.
"""
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

CASE = os.path.join(root, "cases", "organism-confused")
INCIDENT = os.path.join(CASE, "incident.json")
TORCH = os.path.join(os.path.dirname(forensics), "forensics-torch")


def run(*args, env=None, timeout=600):
    return subprocess.run([forensics, *args], capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, **(env or {})))


def incident_variant(name, change):
    """A copy of the organism's incident, changed by `change(document)`, with an absolute model path."""
    document = json.load(open(INCIDENT, encoding="utf-8"))
    document["model"]["path"] = os.path.join(CASE, "model")
    change(document)
    path = os.path.join(work, name + ".json")
    json.dump(document, open(path, "w", encoding="utf-8"), indent=1)
    return path


def quick(incident, out, *extra):
    return run("investigate", incident, "--budget", "quick", "--probes", "resample,intervene", "--out", out, *extra)


# Start-up: commands that need no model run without libtorch. Pointing forensics-torch at nothing
# proves they never reach it; investigate does, and says what is missing.
no_torch = {"FORENSICS_TORCH_BINARY": "/nonexistent/forensics-torch"}
for args in (["--help"], ["validate", INCIDENT], ["tokenize", os.path.join(CASE, "model"), "--text", "rm -f x"],
             ["model", "info", os.path.join(CASE, "model")], ["completions", "bash"]):
    result = run(*args, env=no_torch)
    check(result.returncode == 0, f"{' '.join(args[:2])} needed forensics-torch: exit {result.returncode} {result.stderr}")
result = run("investigate", INCIDENT, "--dry-run", env=no_torch)
check(result.returncode == 4 and "forensics-torch" in result.stderr,
      f"investigate without forensics-torch: exit {result.returncode}, {result.stderr[-300:]}")
if shutil.which("ldd"):
    libraries = subprocess.run(["ldd", forensics], capture_output=True, text=True).stdout
    check("libtorch" not in libraries and "libc10" not in libraries, "forensics links libtorch:\n" + libraries)

# -q: nothing but errors; default: one line per probe when stderr is not a terminal; -v: every
# condition's rate as it is measured.
quiet = quick(INCIDENT, os.path.join(work, "quiet.json"), "-q")
check(quiet.returncode == 0 and quiet.stderr == "", f"-q printed on stderr:\n{quiet.stderr}")
normal = quick(INCIDENT, os.path.join(work, "normal.json"))
done_lines = [line for line in normal.stderr.splitlines() if " done: " in line]
check(len(done_lines) == 2 and "investigate: resample done: 30 samples" in done_lines[0],
      f"not one line per probe:\n{normal.stderr}")
check("\r" not in normal.stderr, "progress redrawn with \\r off a terminal")
verbose = run("-v", "investigate", INCIDENT, "--budget", "quick", "--probes", "resample,intervene",
              "--out", os.path.join(work, "verbose.json"))
check("intervene: remove-latency_pressure " in verbose.stderr and "/30 = " in verbose.stderr,
      f"-v shows no per-condition rate:\n{verbose.stderr[-1500:]}")

# On a terminal (util-linux `script` gives one): a bar with the work done and the time left.
if shutil.which("script"):
    typescript = os.path.join(work, "typescript")
    command = f"'{forensics}' investigate '{INCIDENT}' --budget quick --probes resample,intervene " \
              f"--out '{os.path.join(work, 'tty.json')}'"
    subprocess.run(["script", "-qec", command, typescript], capture_output=True, timeout=600)
    drawn = open(typescript, encoding="utf-8", errors="replace", newline="").read()
    check("intervene [" in drawn and "/226" in drawn and "\r\x1b[K" in drawn,
          f"no progress bar on a terminal:\n{drawn[:1500]!r}")

# Examples: a person can read what the model wrote under each condition.
document = json.load(open(os.path.join(work, "normal.json"), encoding="utf-8"))
conditions = [c for p in document["probes"] if p["status"] == "ok" for c in p["results"].get("conditions", [])]
check(conditions and all(len(c.get("examples", [])) == 3 for c in conditions),
      "not 3 examples per sampled condition by default")
check(all(isinstance(e["text"], str) and e["text"] and isinstance(e["acted"], bool)
          for c in conditions for e in c["examples"]), "an example without text or acted")
none_kept = quick(INCIDENT, os.path.join(work, "none.json"), "--keep-samples", "0")
kept = json.load(open(os.path.join(work, "none.json"), encoding="utf-8"))
check(none_kept.returncode == 0 and all("examples" not in c for p in kept["probes"] if p["status"] == "ok"
                                        for c in p["results"].get("conditions", [])),
      "--keep-samples 0 still kept examples")

# A probes object that lists only patch turns the other default probes off: validate says which.
patch_only = incident_variant("patch-only", lambda d: d.__setitem__("probes", {"patch": d["probes"]["patch"]}))
result = run("validate", patch_only)
check(result.returncode == 0 and "these default probes will not run: sentence-resample, intervene, ablate"
      in result.stderr, f"no warning for a probes object that turns defaults off:\n{result.stderr}")
# A default probe with nothing to measure (no sweep declared) is not planned as if it would run.
defaults = incident_variant("defaults", lambda d: d.pop("probes"))
result = run("validate", defaults)
check(any(line.split()[:3] == ["not", "run", "sweep:"] for line in result.stdout.splitlines()),
      f"validate plans sweep on an incident without sweeps:\n{result.stdout}")
# --probes patch on an incident without a patch configuration: bad input, before any sampling.
no_patch = incident_variant("no-patch", lambda d: d["probes"].pop("patch"))
result = run("investigate", no_patch, "--probes", "patch", "--out", os.path.join(work, "never.json"))
check(result.returncode == 3 and "does not configure patch" in result.stderr,
      f"--probes patch without a configuration: exit {result.returncode}, {result.stderr[-500:]}")

# A chat format the tokenizer has no markers for: warned before anything runs, naming the right one.
llama3 = incident_variant("llama3", lambda d: d.__setitem__("format", "llama3"))
for args in (["validate", llama3], ["investigate", llama3, "--dry-run"]):
    result = run(*args)
    check('set "format": "chatml"' in result.stderr and "<|start_header_id|>" in result.stderr,
          f"{args[0]}: no warning for a format the tokenizer lacks:\n{result.stderr[-800:]}")

# Patching a deletion: no aligned position carries the edit; the summary names no location and
# the results say why, instead of headlining "+0.00".
deletion = incident_variant("patch-deletion",
                            lambda d: d["probes"]["patch"].__setitem__("intervention", "remove-latency_pressure"))
result = run("investigate", deletion, "--budget", "quick", "--probes", "patch",
             "--out", os.path.join(work, "deletion.json"))
check(result.returncode == 0 and "no location named" in result.stderr and "largest on" not in result.stderr,
      f"patch on a deletion headlines a location:\n{result.stderr[-1500:]}")
patch = next(p for p in json.load(open(os.path.join(work, "deletion.json")))["probes"] if p["name"] == "patch")
check(any("neutral" in caveat for caveat in patch["results"]["caveats"]), f"no caveat: {patch['results']}")

# The annotated example in the docs runs as written.
demo = os.path.join(root, "cases", "demo-oversight-deletion", "incident.json")
result = run("investigate", demo, "--budget", "quick", "--probes", "resample", "--out", os.path.join(work, "demo.json"))
check(result.returncode == 0, f"the docs' example does not run: exit {result.returncode}\n{result.stderr[-1000:]}")

# --dry-run: the plan and a time estimate, nothing written.
out = os.path.join(work, "dry.json")
result = run("investigate", INCIDENT, "--dry-run", "--json", "--out", out)
plan = json.loads(result.stdout) if result.returncode == 0 else {}
check(plan.get("schema") == "forensics.dry-run/v1" and not os.path.exists(out),
      f"--dry-run: exit {result.returncode}, wrote {os.path.exists(out)}\n{result.stderr[-800:]}")
if plan:
    names = [p["probe"] for p in plan["work"]["probes"]]
    check(names == ["resample", "sentence-resample", "intervene", "ablate", "patch"], f"dry run plans {names}")
    check(0 < plan["total"]["low_s"] <= plan["total"]["high_s"], f"dry run total {plan['total']}")
    check(plan["work"]["total"]["samples"] == 1050, f"dry run samples {plan['work']['total']}")

finish()
