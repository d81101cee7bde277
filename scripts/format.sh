#!/usr/bin/env bash
# Formats every tracked C++ file as .clang-format says; with --check, changes nothing and exits 1
# listing the files that are not formatted (the test suite runs it so).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mapfile -t files < <(git ls-files '*.cc' '*.h')
if [ "${1:-}" = "--check" ]; then
  clang-format --dry-run --Werror "${files[@]}"
else
  clang-format -i "${files[@]}"
fi
