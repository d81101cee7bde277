#!/usr/bin/env bash
# Measures the README's two commands as a new user meets them: a fresh clone of HEAD with an
# empty ccache, the Python environment and Debian packages already in place (the first-ever run
# also downloads the torch wheel, a few GB; that time depends on the network, not on us). Prints a
# Markdown table for docs/development.md. Run on an otherwise idle machine; takes ~25 min on 2 cores.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone -q "$root" "$work/clone"
export CCACHE_DIR="$work/ccache"  # empty: every object is compiled
seconds() { local start=$SECONDS; "$@" > "$work/log" 2>&1 || { tail -30 "$work/log" >&2; exit 1; }; echo $((SECONDS - start)); }
demo=$(cd "$work/clone" && seconds ./scripts/demo.sh)
tests=$(cd "$work/clone" && seconds ./scripts/test.sh)
summary=$(grep -E "tests passed" "$work/log" | tail -1)
again=$(cd "$work/clone" && seconds ./scripts/demo.sh)
cat <<TABLE
| README command, fresh clone, empty ccache (${NPROC:-$(nproc)} cores, $(date -u +%Y-%m-%d)) | seconds |
|---|---|
| \`./scripts/demo.sh\` (builds forensics and forensics-torch only, then investigates) | $demo |
| \`./scripts/test.sh\` next (builds the rest: tests, sanitizer build; runs the suite: $summary) | $tests |
| \`./scripts/demo.sh\` again (nothing to build) | $again |
TABLE
