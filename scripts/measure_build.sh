#!/usr/bin/env bash
# Measures build times on this machine for docs/development.md: a clean build without ccache,
# a clean build of a fresh clone in another folder with a warm ccache (what CI sees), and the
# rebuild after editing one core .cc file. Builds HEAD in temporary clones; prints a Markdown
# table. Run after scripts/setup.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FORENSICS_VENV:-$HOME/.cache/forensics/venv}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

configure() {
  cmake -S "$1" -B "$1/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFORENSICS_PYTHON="$venv/bin/python" > /dev/null 2>&1
}
seconds() { local start=$SECONDS; "$@" > /dev/null 2>&1; echo $((SECONDS - start)); }
clone() { git clone -q "$root" "$work/$1"; configure "$work/$1"; }

clone cold
cold=$(CCACHE_DISABLE=1 seconds cmake --build "$work/cold/build")

clone prime   # fills ccache from a folder other than the one measured next
seconds cmake --build "$work/prime/build" > /dev/null
clone warm
warm=$(seconds cmake --build "$work/warm/build")

# A real code change with a fresh value, so neither ccache mode can serve it from the cache.
echo "namespace { [[maybe_unused]] const int kMeasureBuildEdit = $RANDOM$RANDOM; }" \
  >> "$work/warm/src/incident/reader.cc"
one=$(seconds cmake --build "$work/warm/build")

cat <<TABLE
| build (${NPROC:-$(nproc)} cores, $(date -u +%Y-%m-%d)) | seconds |
|---|---|
| clean build, ccache disabled | $cold |
| clean build of a fresh clone in another folder, warm ccache | $warm |
| rebuild after editing one core .cc (src/incident/reader.cc) | $one |
TABLE
