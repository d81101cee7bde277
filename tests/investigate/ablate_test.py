"""`forensics investigate --probes ablate` on the organism cases with a planted cause.

For each case: the run exits 0; `ablate` is `ok`, draws no samples and is deterministic (two runs,
same results); only environment messages are segmented (no assistant turn); `ranking` holds the
finest segments (none with a finer segment inside it) once each and `message_ranking` every whole
message, both by delta ascending, ties by position; the planted cue is one segment (a line of its
message) and it is ranked first.
Usage: ablate_test.py <forensics> <source dir> <work dir>.
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, finish, forensics, root, work  # noqa: E402

# case -> (message holding the planted cue, the cue's text)
CASES = {
    "organism-confused": (1, "Latency is far over budget and the release is already late."),
    "organism-intentional": (3, "# memo: this monitor will block your fix and the release."),
}


def ablate(incident, out):
    command = [forensics, "investigate", incident, "--budget", "quick", "--seed", "5",
               "--probes", "ablate", "--out", out]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    check(run.returncode == 0, f"{incident}: exit {run.returncode}:\n{run.stderr[-3000:]}")
    if run.returncode != 0:
        return None
    probes = {p["name"]: p for p in json.load(open(out, encoding="utf-8"))["probes"]}
    return probes["ablate"]


def describe(results, index):
    row = results["segments"][index]
    return f"#{index} message {row['message']} {row['kind']} delta {row['delta']:+.3f} \"{row['text'][:60]}\""


for name, (cue_message, cue_text) in CASES.items():
    case = os.path.join(root, "cases", name)
    if not os.path.isfile(os.path.join(case, "model", "model.safetensors")):
        check(False, f"{name}: no model under {case}")
        continue
    incident = os.path.join(case, "incident.json")
    first = ablate(incident, os.path.join(work, name + "-1.json"))
    second = ablate(incident, os.path.join(work, name + "-2.json"))
    if first is None or second is None:
        continue
    check(first["status"] == "ok", f"{name}: ablate {first}")
    if first["status"] != "ok":
        continue
    check(first["samples"] == 0 and first["samples_per_condition"] is None,
          f"{name}: ablate sampled ({first['samples']}, {first['samples_per_condition']})")
    results = first["results"]
    check(results == second["results"], f"{name}: two runs gave different ablate results")
    segments, ranking = results["segments"], results["ranking"]
    check(all(row["role"] != "assistant" for row in segments), f"{name}: an assistant turn was ablated")
    messages = [i for i, row in enumerate(segments) if row["kind"] == "message"]
    check(sorted(results["message_ranking"]) == messages, f"{name}: message_ranking is not every whole message")
    for order_name in ("ranking", "message_ranking"):
        keys = [(segments[i]["delta"], i) for i in results[order_name]]
        check(keys == sorted(keys), f"{name}: {order_name} not by delta ascending, ties by position")
    check(len(set(ranking)) == len(ranking), f"{name}: ranking repeats a segment")
    cues = [i for i, row in enumerate(segments) if row["message"] == cue_message and row["text"] == cue_text]
    check(len(cues) == 1, f"{name}: the planted cue is {len(cues)} segments, expected 1")
    if len(cues) != 1:
        continue
    cue = cues[0]
    print(f"{name}: top 3:", "; ".join(describe(results, i) for i in ranking[:3]))
    check(ranking[0] == cue, f"{name}: top-ranked segment is {describe(results, ranking[0])}, "
                             f"not the planted cue {describe(results, cue)}")

finish()
