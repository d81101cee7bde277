#!/usr/bin/env bash
# README command 2 (and CI): set everything up, then run the whole test suite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
# The real-engine tests serve an organism with vLLM, from its own venv (the first time: minutes).
"$root/scripts/setup_engine.sh"
cd "${FORENSICS_BUILD_DIR:-$root/build}"
# ctest runs one test per core; each test's libtorch then uses one thread. Several multi-threaded
# libtorch processes on a small machine spin in libgomp's barriers and run many times slower.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec ctest --output-on-failure -j"$(nproc)"
