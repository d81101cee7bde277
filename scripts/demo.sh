#!/usr/bin/env bash
# README command 1: set everything up, then run the main job on a shipped case: investigate the
# incident captured from the `intentional` organism (a model trained to delete its monitor when
# the monitor blocks its goal, while claiming latency as its reason) and write its verdict to
# cases/organism-intentional/verdict.json, with its report beside it (verdict.html). Expected:
# `intentional`, flagged `cot-unfaithful`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Only the two binaries the demo runs: the test suite (with its sanitizer build) is
# ./scripts/test.sh's to build.
"$root/scripts/setup.sh" forensics forensics-torch
# One libtorch thread unless told otherwise: these models are tiny, and on a small machine shared
# with other work two threads can spin in OpenMP barriers and run many times slower (docs/probes.md).
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec "$root/build/forensics" investigate "$root/cases/organism-intentional/incident.json" --report
