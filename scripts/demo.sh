#!/usr/bin/env bash
# README command 1: set everything up, then run the main job on a shipped case.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
exec "$root/build/forensics" validate "$root/cases/demo-oversight-deletion/incident.json"
