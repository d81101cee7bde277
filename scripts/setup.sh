#!/usr/bin/env bash
# Installs what forensics needs and builds it. Idempotent: a second run installs nothing and
# only rebuilds what changed.
#   1. Debian packages (compilers, CMake, Ninja, ccache, the C++ libraries), only those missing.
#   2. A Python virtual environment OUTSIDE the checkout ($FORENSICS_VENV, default
#      ~/.cache/forensics/venv) with the pinned torch wheel (our libtorch) and the reference
#      libraries the parity tests compare against (requirements.txt). Reused by every clone.
#   3. CMake + Ninja build in ./build (ccache makes a fresh clone's build fast): every target, or
#      only the ones named as arguments (the demo builds just the two binaries).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${FORENSICS_VENV:-$HOME/.cache/forensics/venv}"
build_dir="${FORENSICS_BUILD_DIR:-$root/build}"

say() { printf 'setup: %s\n' "$*" >&2; }

debian_packages=(
  g++ cmake ninja-build ccache pkg-config git clang-format
  libcurl4-openssl-dev libcli11-dev nlohmann-json3-dev libspdlog-dev catch2 libonig-dev libutf8proc-dev libzip-dev libzstd-dev zlib1g-dev
  python3 python3-venv python3-dev
)
# Only the test suite needs these (the completion and man page tests, the short fuzzing run with
# clang and libFuzzer); a build of named targets (the demo's) skips them.
test_packages=(zsh fish man-db chromium clang libclang-rt-14-dev)

install_debian_packages() {
  local missing=()
  for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$package")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { say "need root (or sudo) to install: ${missing[*]}"; exit 1; }
    sudo="sudo"
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The stamp holds the hash of requirements.txt, so the venv is only touched when pins change.
install_python_environment() {
  local stamp="$venv/.forensics-requirements.sha256"
  local want
  want="$(sha256sum "$root/requirements.txt" | cut -d' ' -f1)"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  if [ ! -x "$venv/bin/python" ]; then
    say "creating the Python environment in $venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
  fi
  say "installing requirements.txt into $venv (torch is large: the first time takes minutes)"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements.txt"
  echo "$want" > "$stamp"
}

build() {
  if [ ! -f "$build_dir/build.ninja" ]; then
    say "configuring $build_dir"
    mkdir -p "$build_dir"
    cmake -S "$root" -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DFORENSICS_PYTHON="$venv/bin/python" -DFORENSICS_WERROR=ON > "$build_dir/configure.log" 2>&1 \
      || { cat "$build_dir/configure.log" >&2; exit 1; }
  fi
  say "building ${*:-everything}"
  if [ $# -gt 0 ]; then
    cmake --build "$build_dir" --target "$@" -- -j"$(nproc)" >&2
  else
    cmake --build "$build_dir" -- -j"$(nproc)" >&2
  fi
}

if [ $# -eq 0 ]; then
  install_debian_packages "${debian_packages[@]}" "${test_packages[@]}"
else
  install_debian_packages "${debian_packages[@]}"
fi
install_python_environment
build "$@"
