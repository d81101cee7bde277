"""A stopped investigation resumes from its journal (docs/cli.md "Resuming"): killed with SIGKILL
once its journal holds a few answers, or out of disk space when the verdict is written, the same
command again answers those calls from the journal and writes the verdict an uninterrupted run
writes; a finished run leaves no journal; --no-resume starts afresh.

The disk-full part mounts a small tmpfs, so it needs root (CI runs as root); elsewhere it is
reported as not run, and the kill part still runs.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time

# A run killed while its tmpfs was mounted leaves the mount inside the work folder, which the
# harness deletes and recreates on import: unmount it first.
subprocess.run(["umount", os.path.join(sys.argv[3], "small-disk")], capture_output=True, check=False)

from harness import check, finish, forensics, root, work  # noqa: E402

INCIDENT = os.path.join(root, "cases", "organism-confused", "incident.json")
ARGS = ["--budget", "quick", "--probes", "resample,intervene,ablate"]
RESUMED = re.compile(r"resumed: (\d+) of (\d+) model calls")


def investigate(out, *extra):
    return subprocess.run([forensics, "investigate", INCIDENT, "-o", out, *ARGS, *extra],
                          capture_output=True, text=True, timeout=300)


def journal(out):
    return os.path.join(os.path.dirname(out), "." + os.path.basename(out) + ".journal")


ENTRY = re.compile(r"[0-9a-f]{64}\.json")


def entries(folder):
    """The journal's complete answers (a write cut by the kill leaves a temporary file, not one)."""
    return sum(len([f for f in files if ENTRY.fullmatch(f)]) for _, _, files in os.walk(folder))


def comparable(path):
    """The verdict without what differs between two runs of the same inputs (timing, its path)."""
    with open(path) as f:
        document = json.load(f)
    document["reproducibility"].pop("wall_time_s")
    for probe in document["probes"]:
        probe.pop("wall_time_s", None)
    return document


def resumed_calls(stderr):
    found = RESUMED.search(stderr)
    return int(found.group(1)) if found else 0


reference = os.path.join(work, "uninterrupted.json")
run = investigate(reference)
check(run.returncode == 0, f"the uninterrupted run exits 0, got {run.returncode}: {run.stderr[-400:]}")
check(not os.path.exists(journal(reference)), "a finished run leaves no journal")
check(resumed_calls(run.stderr) == 0, "a first run resumes nothing")

# Killed once its journal holds three answers: no verdict, the journal stays, the same command
# answers those three (at least) from it and writes the same verdict.
killed = os.path.join(work, "killed.json")
process = subprocess.Popen([forensics, "investigate", INCIDENT, "-o", killed, *ARGS],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.time() + 120
while entries(journal(killed)) < 3 and process.poll() is None and time.time() < deadline:
    time.sleep(0.01)
process.send_signal(signal.SIGKILL)
process.wait()
kept = entries(journal(killed))
check(kept >= 3 and not os.path.exists(killed), f"killed with {kept} answers in its journal and no verdict")
run = investigate(killed)
check(run.returncode == 0, f"the resumed run exits 0, got {run.returncode}: {run.stderr[-400:]}")
check(resumed_calls(run.stderr) >= min(kept, 3),
      f"the resumed run answers the journal's calls from it: {RESUMED.search(run.stderr)}")
check(os.path.exists(killed) and comparable(killed) == comparable(reference),
      "the resumed verdict equals the uninterrupted run's (timing apart)")
check(not os.path.exists(journal(killed)), "the resumed run deletes its journal once the verdict is written")

# --no-resume: a journal left by a killed run is deleted, nothing is answered from it.
process = subprocess.Popen([forensics, "investigate", INCIDENT, "-o", killed, *ARGS],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
while entries(journal(killed)) < 2 and process.poll() is None:
    time.sleep(0.01)
process.send_signal(signal.SIGKILL)
process.wait()
run = investigate(killed, "--no-resume")
check(run.returncode == 0 and resumed_calls(run.stderr) == 0,
      f"--no-resume answers nothing from the old journal: {run.returncode} {RESUMED.search(run.stderr)}")

# Disk full: a tmpfs too small for the verdict. The journal fills it (and is dropped with a
# warning), the verdict cannot be written (exit 3, no space), the run's answers up to then stay.
# After space is freed the same command resumes.
disk = os.path.join(work, "small-disk")
os.makedirs(disk)
mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", disk],
                         capture_output=True, text=True).returncode == 0
if not mounted:
    print("NOTE: the disk-full part did not run: mounting a tmpfs needs root")
else:
    try:
        full = os.path.join(disk, "verdict.json")
        run = investigate(full)
        check(run.returncode == 3 and "No space left on device" in run.stderr,
              f"a full disk is exit 3 naming it, got {run.returncode}: {run.stderr[-400:]}")
        check("journal:" in run.stderr and "cannot resume" in run.stderr,
              "the journal that no longer fits is dropped with a warning")
        check(not os.path.exists(full), "no half-written verdict")
        kept = entries(journal(full))
        check(kept >= 1, f"the journal kept the answers that fit: {kept}")
        subprocess.run(["mount", "-o", "remount,size=4m", disk], check=True)
        run = investigate(full)
        check(run.returncode == 0, f"after space is freed the run exits 0, got {run.returncode}: {run.stderr[-400:]}")
        check(resumed_calls(run.stderr) >= kept, f"and resumes the {kept} answers: {RESUMED.search(run.stderr)}")
        check(os.path.exists(full) and comparable(full) == comparable(reference),
              "the verdict equals the uninterrupted run's")
    finally:
        subprocess.run(["umount", disk], check=False)

finish()
