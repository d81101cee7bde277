#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) on the torch-free sources (util, stats, incident, verdict,
# probes, the torch-free runtime and organism files) with the build's compile_commands.json.
# About 3 s a file on the 2-core machine, so a command to run before committing, not a test.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FORENSICS_BUILD_DIR:-$root/build}"
cd "$root"
mapfile -t files < <(git ls-files 'src/util/*.cc' 'src/stats/*.cc' 'src/incident/*.cc' 'src/verdict/*.cc' \
  'src/probes/*.cc' 'src/runtime/tokenizer/*.cc' src/runtime/{hooks,model_config,model_directory,runner,safetensors}.cc \
  src/organism/{read_recipe,scenario}.cc)
status=0
for file in "${files[@]}"; do
  clang-tidy --quiet -p "$build" --extra-arg=-Wno-unknown-warning-option "$file" 2>/dev/null || status=1
done
exit $status
