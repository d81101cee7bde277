#!/usr/bin/env bash
# README command 1: set everything up, then run the main job on a shipped case: check the
# `intentional` organism's captured incident against its model, and measure the organism's
# behaviour under every cue combination next to its planted policy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
case_dir="$root/cases/organism-intentional"
"$root/build/forensics" validate "$case_dir/incident.json"
echo
exec "$root/build/forensics" organism eval "$case_dir/model" --samples 48 --instances 4 --no-progress
