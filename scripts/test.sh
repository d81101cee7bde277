#!/usr/bin/env bash
# README command 2 (and CI): set everything up, then run the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
cd "${FORENSICS_BUILD_DIR:-$root/build}"
exec ctest --output-on-failure -j"$(nproc)"
