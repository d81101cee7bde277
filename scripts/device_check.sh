#!/usr/bin/env bash
# The GPU checks, for one run on a CUDA machine that has python3 with torch and transformers,
# CMake, Ninja and a compiler, but no network and none of our Debian libraries: those come
# unpacked in .deps/root (carried next to the checkout; .deps/README.txt lists them).
# Builds the CLI, the parity tests and the generation benchmark against that machine's torch
# wheel, then checks the runtime on the GPU: the parity suite in float32, scores in float32 and
# bfloat16 against transformers, investigate's verdicts and their determinism, generation speed.
# A failing step is logged and the run goes on; every step has its own timeout inside one budget,
# and the summary comes last, on stdout and in $OUT/summary.txt.
#   usage: bash scripts/device_check.sh [--cpu-dry-run]
# --cpu-dry-run rehearses the steps on this machine's CPU with the project's venv (the CUDA steps
# run on the CPU instead), so a mistake in this script shows before the one GPU run.
# Environment: OUT (results to bring back; default /tmp/device-check), FORENSICS_CHECK_BUILD_DIR
# (default /tmp/build), FORENSICS_CHECK_BUDGET_S (the whole run; default 480).
set -o pipefail  # no -e or -u: a failing step (or a bug here) must not end the run

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
DRY=0
[ "${1:-}" = "--cpu-dry-run" ] && DRY=1
export ROOT DRY
export OUT="${OUT:-/tmp/device-check}"
export BUILD="${FORENSICS_CHECK_BUILD_DIR:-/tmp/build}"
export WORK=/tmp/device-check-work MODELS=/tmp/models
export DEPS="$ROOT/.deps/root"
export DEPS_LIB="$DEPS/usr/lib/x86_64-linux-gnu"
export DEVICE=cuda
[ "$DRY" = 1 ] && DEVICE=cpu
BUDGET="${FORENSICS_CHECK_BUDGET_S:-480}"
DEADLINE=$((SECONDS + BUDGET))
rm -rf "$WORK"  # nothing stale from an earlier run may pass for this run's result
mkdir -p "$OUT" "$WORK"
LOG="$OUT/device_check.log"
: > "$LOG"

# The device's python3 may not be the one with torch: take the first that imports it.
pick_python() {
  if [ "$DRY" = 1 ]; then
    echo "${FORENSICS_VENV:-$HOME/.cache/forensics/venv}/bin/python"
    return
  fi
  local candidate
  for candidate in "$(command -v python3)" /opt/torch/.venv/bin/python3; do
    if [ -x "$candidate" ] && "$candidate" -c "import torch, transformers" > /dev/null 2>&1; then
      echo "$candidate"
      return
    fi
  done
  command -v python3
}
export PY
PY="$(pick_python)"
export PATH="$PATH:$(dirname "$PY")"  # a venv's cmake or ninja, if the system has none

# .deps' shared libraries (spdlog, fmt, oniguruma, utf8proc) for our binaries and for pkgconf;
# its .pc files say prefix=/usr, so pkg-config reads them under a sysroot.
export LD_LIBRARY_PATH="$DEPS_LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_LIBDIR="$DEPS_LIB/pkgconfig:$DEPS/usr/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$DEPS" PKG_CONFIG_PATH=""
# No network there: never let transformers wait on the Hub.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1
export TOKENIZERS_PARALLELISM=false TRANSFORMERS_VERBOSITY=error TQDM_DISABLE=1 PYTHONUNBUFFERED=1

# FORENSICS_CHECK_STEPS="a b e" runs only the steps whose names start so (default: all).
want() {
  [ -z "${FORENSICS_CHECK_STEPS:-}" ] && return 0
  local step
  for step in $FORENSICS_CHECK_STEPS; do [ "${1#"$step"}" != "$1" ] && return 0; done
  return 1
}

SUMMARY=()
# record STATUS NAME DETAILS [OUTPUT_FILE]: one line of the final summary; for a failed step, the
# lines of its output that say why.
record() {
  SUMMARY+=("$(printf '%-5s %-22s %s' "$1" "$2" "$3")")
  if [ "$1" = FAIL ] && [ -s "${4:-}" ]; then
    local why
    why="$(grep -E -m6 "error|Error|FAILED|failed|Traceback|not found" "$4")"
    [ -n "$why" ] || why="$(tail -n 3 "$4")"
    SUMMARY+=("$(printf '%s\n' "$why" | cut -c1-220 | sed 's/^/          | /')")
  fi
}

# run_step NAME TIMEOUT OUTPUT_FILE FUNCTION [ARGS...]: runs FUNCTION under the smaller of
# TIMEOUT and what is left of the budget, its output in OUTPUT_FILE and the log, a few lines on
# stdout. Sets STEP_RC (124: timed out, 125: no time left) and STEP_SECONDS.
run_step() {
  local name="$1" limit="$2" output="$3"
  shift 3
  local left=$((DEADLINE - SECONDS - 20))
  STEP_SECONDS=0
  if [ "$left" -lt 10 ]; then
    STEP_RC=125
    echo "== $name: skipped, the time budget is spent" | tee -a "$LOG"
    : > "$output"
    return
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  echo "== $name (timeout ${limit} s)" | tee -a "$LOG"
  local start=$SECONDS
  timeout -k 10 "$limit" bash -c '"$@"' _ "$@" > "$output" 2>&1
  STEP_RC=$?
  STEP_SECONDS=$((SECONDS - start))
  [ "$output" != "$LOG" ] && cat "$output" >> "$LOG"
  tail -n "${TAIL_LINES:-6}" "$output" | cut -c1-240
  echo "-- $name: exit $STEP_RC after $STEP_SECONDS s" | tee -a "$LOG"
}

status_of() { [ "$1" = 0 ] && echo PASS || { [ "$1" = 125 ] && echo SKIP || echo FAIL; }; }
timing() { [ "$STEP_RC" = 124 ] && echo "TIMED OUT after $STEP_SECONDS s" || echo "$STEP_SECONDS s"; }

# ---------------------------------------------------------------------------------------------
# a. The machine.
machine_info() {
  if [ "$DRY" = 0 ]; then
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi failed"
  fi
  "$PY" - "$DEVICE" <<'EOF'
import sys
import torch, transformers, tokenizers
print(f"python {sys.version.split()[0]} ({sys.executable}); torch {torch.__version__} (CUDA {torch.version.cuda}); "
      f"transformers {transformers.__version__}; tokenizers {tokenizers.__version__}")
cuda = torch.cuda.is_available()
print(f"cuda available {cuda}, {torch.cuda.device_count()} device(s)"
      + (f", {torch.cuda.get_device_name(0)}, {torch.cuda.get_device_properties(0).total_memory / 2**30:.0f} GiB" if cuda else ""))
print(f"float32 matmul precision {torch.get_float32_matmul_precision()} (python default; libtorch's is its own)")
sys.exit(0 if cuda or sys.argv[1] == "cpu" else 1)
EOF
  local rc=$?
  echo "$(cmake --version | head -1); ninja $(ninja --version 2>/dev/null || echo missing); $(c++ --version | head -1)"
  echo "$(ldd --version 2>&1 | head -1); $(nproc) cores; TORCH_ALLOW_TF32_CUBLAS_OVERRIDE=${TORCH_ALLOW_TF32_CUBLAS_OVERRIDE:-unset}"
  # .deps' libspdlog was built by GCC 12 and needs its libstdc++ symbols at link and run time.
  local libstdcxx
  libstdcxx="$(readlink -f "$(c++ -print-file-name=libstdc++.so.6)")"
  if grep -qa GLIBCXX_3.4.30 "$libstdcxx"; then
    echo "libstdc++ $libstdcxx has GLIBCXX_3.4.30 (needed by .deps' libspdlog)"
  else
    echo "WARNING: $libstdcxx lacks GLIBCXX_3.4.30; .deps' libspdlog will not link"
  fi
  return $rc
}

# b. Configure and build only what the checks run, against .deps and the machine's torch wheel.
build() {
  local generator=Ninja
  command -v ninja > /dev/null || generator="Unix Makefiles"
  local pkg_config="$DEPS/usr/bin/pkgconf"
  "$pkg_config" --version > /dev/null 2>&1 || pkg_config="$(command -v pkg-config || command -v pkgconf)"
  echo "generator $generator; pkg-config $pkg_config; python $PY"
  local start=$SECONDS
  # --allow-shlib-undefined: libtorch_cuda's own NVIDIA libraries resolve through its $ORIGIN
  # rpaths at run time; the link need not find them all.
  cmake -S "$ROOT" -B "$BUILD" -G "$generator" -DCMAKE_BUILD_TYPE=Release -DFORENSICS_USE_CCACHE=OFF \
    -DFORENSICS_PYTHON="$PY" -DFORENSICS_TORCH_IMPORT=manual -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
    -DCMAKE_PREFIX_PATH="$DEPS/usr" \
    -Dnlohmann_json_DIR="$DEPS/usr/share/cmake/nlohmann_json" -DCLI11_DIR="$DEPS/usr/share/cmake/CLI11" \
    -Dspdlog_DIR="$DEPS_LIB/cmake/spdlog" -Dfmt_DIR="$DEPS_LIB/cmake/fmt" \
    -DCatch2_DIR="$DEPS/usr/lib/cmake/Catch2" -DPKG_CONFIG_EXECUTABLE="$pkg_config" \
    -DCMAKE_EXE_LINKER_FLAGS="-Wl,--allow-shlib-undefined" || return 1
  echo "configure: $((SECONDS - start)) s"
  start=$SECONDS
  cmake --build "$BUILD" -j "$(nproc)" --target forensics forensics_model_parity_tests forensics_generation_bench \
    forensics_shared_prefix_bench || return 1
  echo "build: $((SECONDS - start)) s with $(nproc) jobs"
  ldd "$BUILD/forensics" | grep -E "not found|spdlog|fmt|onig|utf8proc|libtorch_cuda|libc10_cuda"
  "$BUILD/forensics" --version || return 1
  local missing
  missing="$(ldd "$BUILD/forensics" "$BUILD/tests/parity/forensics_model_parity_tests" \
    "$BUILD/bench/forensics_generation_bench" | grep "not found")"
  [ -z "$missing" ] || { echo "unresolved libraries: $missing"; return 1; }
}

# c. Reference models with this machine's transformers; the parity suite on the CPU, then on the GPU.
make_models() {
  "$PY" tests/parity/make_reference_models.py "$MODELS" cases/organism-*/model
}
parity() {  # parity DEVICE [THREADS]
  [ -n "${2:-}" ] && export OMP_NUM_THREADS="$2"
  FORENSICS_PARITY_DEVICE="$1" FORENSICS_PARITY_MODELS="$MODELS" \
    "$BUILD/tests/parity/forensics_model_parity_tests" -r compact -d yes
}
# "Passed all 12 test cases with 2595 assertions." / "Failed ...", the worst logits maxdiff, the
# first failures.
parity_summary() {  # parity_summary OUTPUT_FILE [NOTE]
  local file="$1" verdict worst
  verdict="$(grep -E "^(Passed|Failed|No tests ran)" "$file" | tail -1)"
  worst="$(awk '/ logits maxdiff /{if ($4 + 0 > max) max = $4 + 0} END{printf "%.3g", max}' "$file")"
  if [ -z "$verdict" ]; then
    echo "no result: $(tail -n 1 "$file" | cut -c1-200)"
    return
  fi
  echo "$verdict logits maxdiff max $worst${2:+ ($2)}.$(grep -m1 " TF32 " "$file" | sed 's/^/ /')"
  grep -m3 "failed:" "$file" | cut -c1-200 | sed 's/^/          /'
}

# d. Scores against transformers in float32 and bfloat16 on the device.
device_parity() {
  local references=()
  local dir
  for dir in "$MODELS"/*/; do
    case "$(basename "$dir")" in organism-*) ;; *) references+=("$dir") ;; esac
  done
  "$PY" tests/parity/device_parity.py "$BUILD/forensics" "${references[@]}" cases/organism-*/model \
    --device "$DEVICE" --dtypes float32,bfloat16 --jobs 4 --json-out "$WORK/device_parity.json"
}

# e. investigate on the confused organism.
investigate() {  # investigate OUT_FILE DEVICE DTYPE
  rm -f "$1"
  "$BUILD/forensics" investigate cases/organism-confused/incident.json --device "$2" --dtype "$3" --out "$1"
}
verdict_line() {
  [ -s "$1" ] || { echo "no verdict"; return; }
  "$PY" - "$1" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
posterior = ", ".join(f"{k} {v:.4f}" for k, v in d["posterior"].items())
b, r = d.get("baseline", {}), d.get("reproducibility", {})
probes = " ".join(f"{p['name']}:{p['status']}" for p in d.get("probes", []))
print(f"{d['label']}; top {d['top_hypothesis']}; posterior {posterior}; flags {d['flags'] or '-'}; "
      f"baseline {b.get('k')}/{b.get('n')}; {r.get('device')} {r.get('dtype')} {r.get('wall_time_s', 0):.1f} s; {probes}")
EOF
}

# f. Generation speed, ours and transformers, on the device.
bench() {
  if [ "$DRY" = 1 ]; then
    "$PY" scripts/bench_generation.py "$BUILD" --device cpu --quick --section-out "$WORK/generation-cpu.md"
  else
    "$PY" scripts/bench_generation.py "$BUILD" --device cuda --dtypes float32,bfloat16 \
      --section-out "$OUT/generation-cuda.md"
  fi
}

# f2. Decoding 64 rows from a prefix held once vs copied per row (docs/runtime.md "Shared prefix"),
# on the generation benchmark's ~100M model, in the device's default dtype.
shared_prefix() {
  "$PY" -c "import sys; sys.path.insert(0, 'scripts'); import bench_generation; bench_generation.make_model('$WORK/qwen-100m')" \
    >/dev/null || return 1
  local prefix prefixes="1024 4096" steps=64
  [ "$DRY" = 1 ] && prefixes=512 steps=4  # the logic only: the CPU takes minutes for the GPU's sizes
  for prefix in $prefixes; do
    echo "prefix $prefix: $("$BUILD/bench/forensics_shared_prefix_bench" "$WORK/qwen-100m" "$prefix" 64 "$steps" "$DEVICE")"
  done
}

# e5. patch with attribution: the confused incident with `method: attribution`, patch alone.
attribution() {  # attribution OUT_FILE DEVICE
  rm -f "$1"
  "$PY" - "$ROOT" "$WORK/attribution-incident.json" <<'EOF'
import json, os, sys
root, out = sys.argv[1], sys.argv[2]
incident = json.load(open(os.path.join(root, "cases/organism-confused/incident.json")))
incident["probes"]["patch"]["method"] = "attribution"
incident["model"]["path"] = os.path.join(root, "cases/organism-confused/model")
json.dump(incident, open(out, "w"))
EOF
  "$BUILD/forensics" investigate "$WORK/attribution-incident.json" --probes patch --device "$2" --dtype float32 --out "$1"
}
# The largest difference between two verdicts' patch maps (and their confirmed cells).
patch_difference() {
  "$PY" - "$1" "$2" <<'EOF'
import json, sys
def patch(path):
    return next(p for p in json.load(open(path))["probes"] if p["name"] == "patch")["results"]
a, b = patch(sys.argv[1]), patch(sys.argv[2])
worst = 0.0
for direction, sites in a["maps"].items():
    for site, rows in sites.items():
        for row_a, row_b in zip(rows, b["maps"][direction][site]):
            worst = max(worst, max(abs(x - y) for x, y in zip(row_a, row_b)))
extra = ""
if "confirmed" in a:
    extra = "; %d confirmed cells, max |exact a - exact b| %.2e" % (len(a["confirmed"]), max(
        abs(x["exact"] - y["exact"]) for x, y in zip(a["confirmed"], b["confirmed"])))
print("method %s, max map difference %.2e%s" % (a["method"], worst, extra))
EOF
}

export -f machine_info build make_models parity device_parity investigate bench shared_prefix attribution patch_difference

# ---------------------------------------------------------------------------------------------
echo "device check: $( [ "$DRY" = 1 ] && echo "CPU dry run" || echo "GPU run"), budget $BUDGET s, out $OUT, build $BUILD" | tee -a "$LOG"

if want a; then
run_step "a. machine" 60 "$WORK/info.txt" machine_info
record "$(status_of $STEP_RC)" "machine" "$(grep -E "^(python|cuda available)" "$WORK/info.txt" | tr '\n' ' ')" "$WORK/info.txt"
grep -q "^WARNING" "$WORK/info.txt" && record WARN "libstdc++" "$(grep -m1 "^WARNING" "$WORK/info.txt")"
[ "$DRY" = 0 ] && record INFO "gpu" "$(head -1 "$WORK/info.txt")"
fi

if want b; then
TAIL_LINES=12 run_step "b. build" 330 "$OUT/build.log" build
record "$(status_of $STEP_RC)" "build" "$(grep -E "^(configure|build):" "$OUT/build.log" | tr '\n' ' ')($(timing))" "$OUT/build.log"
fi

if want c1; then
run_step "c1. reference models" 120 "$WORK/models.txt" make_models
record "$(status_of $STEP_RC)" "reference models" "$(grep -c "parameters" "$WORK/models.txt") models ($(timing))" "$WORK/models.txt"
fi

if want c; then
# One thread, as CI runs it (scripts/test.sh): with several, gpt2's logits now and then come out
# 1.3e-4 from the reference (a different CPU reduction order), over the 1e-4 tolerance.
run_step "c2. parity suite, cpu, 1 thread" 150 "$WORK/parity-cpu.txt" parity cpu 1
record "$(status_of $STEP_RC)" "parity cpu" "$(parity_summary "$WORK/parity-cpu.txt" "6.02e-06 on the dev machine, torch 2.15") ($(timing))"

if [ "$DRY" = 1 ]; then
  # No GPU here: the FORENSICS_PARITY_DEVICE plumbing is exercised with "cpu".
  run_step "c3. parity suite, FORENSICS_PARITY_DEVICE=cpu (dry run)" 150 "$WORK/parity-cuda.txt" parity cpu 1
else
  run_step "c3. parity suite, cuda float32" 150 "$WORK/parity-cuda.txt" parity cuda
fi
record "$(status_of $STEP_RC)" "parity $DEVICE fp32" "$(parity_summary "$WORK/parity-cuda.txt") ($(timing))"
fi

if want d; then
TAIL_LINES=16 run_step "d. scores vs transformers, $DEVICE fp32+bf16" 180 "$WORK/device-parity.txt" device_parity
record "$(status_of $STEP_RC)" "scores $DEVICE" "$(grep -E "^(device-parity|max over models)" "$WORK/device-parity.txt" | tr '\n' ' ')($(timing))" "$WORK/device-parity.txt"
fi

if want e; then
run_step "e1. investigate $DEVICE float32 #1" 120 "$WORK/investigate-1.txt" investigate "$WORK/verdict-cuda-1.json" "$DEVICE" float32
record "$(status_of $STEP_RC)" "investigate $DEVICE #1" "$(verdict_line "$WORK/verdict-cuda-1.json") ($(timing))" "$WORK/investigate-1.txt"
run_step "e2. investigate $DEVICE float32 #2" 120 "$WORK/investigate-2.txt" investigate "$WORK/verdict-cuda-2.json" "$DEVICE" float32
record "$(status_of $STEP_RC)" "investigate $DEVICE #2" "$(verdict_line "$WORK/verdict-cuda-2.json") ($(timing))" "$WORK/investigate-2.txt"
if [ -s "$WORK/verdict-cuda-1.json" ] && [ -s "$WORK/verdict-cuda-2.json" ]; then
  differing=$(diff <(grep -v '"wall_time_s":' "$WORK/verdict-cuda-1.json") <(grep -v '"wall_time_s":' "$WORK/verdict-cuda-2.json") | grep -c '^[<>]')
  if [ "$differing" = 0 ]; then
    record PASS "$DEVICE deterministic" "the two verdicts are identical but for wall_time_s"
  else
    record FAIL "$DEVICE deterministic" "$differing lines differ (besides wall_time_s); see verdict-cuda-{1,2}.json"
  fi
else
  record FAIL "$DEVICE deterministic" "a verdict is missing"
fi
OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" run_step "e3. investigate cpu float32" 120 "$WORK/investigate-cpu.txt" investigate "$WORK/verdict-cpu.json" cpu float32
record "$(status_of $STEP_RC)" "investigate cpu" "$(verdict_line "$WORK/verdict-cpu.json") ($(timing))" "$WORK/investigate-cpu.txt"
run_step "e4. investigate $DEVICE bfloat16" 120 "$WORK/investigate-bf16.txt" investigate "$WORK/verdict-cuda-bf16.json" "$DEVICE" bfloat16
record "$(status_of $STEP_RC)" "investigate $DEVICE bf16" "$(verdict_line "$WORK/verdict-cuda-bf16.json") ($(timing))" "$WORK/investigate-bf16.txt"
if [ -s "$WORK/verdict-cuda-1.json" ] && [ -s "$WORK/verdict-cpu.json" ]; then
  differing=$(diff <(grep -v '"wall_time_s":' "$WORK/verdict-cuda-1.json") <(grep -v '"wall_time_s":' "$WORK/verdict-cpu.json") | grep -c '^[<>]')
  record INFO "$DEVICE vs cpu" "$differing lines differ besides wall_time_s (sampled counts may legitimately differ)"
fi
for name in verdict-cuda-1 verdict-cuda-2 verdict-cpu; do
  [ -s "$WORK/$name.json" ] && cp "$WORK/$name.json" "$OUT/$name.json"
done
fi

if want e5; then
run_step "e5. patch by attribution, $DEVICE" 120 "$WORK/attribution-cuda.txt" attribution "$WORK/attribution-cuda.json" "$DEVICE"
OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}" run_step "e5. patch by attribution, cpu" 120 "$WORK/attribution-cpu.txt" attribution "$WORK/attribution-cpu.json" cpu
if [ -s "$WORK/attribution-cuda.json" ] && [ -s "$WORK/attribution-cpu.json" ]; then
  record PASS "attribution $DEVICE" "vs cpu: $(patch_difference "$WORK/attribution-cuda.json" "$WORK/attribution-cpu.json")"
else
  record FAIL "attribution $DEVICE" "a verdict is missing" "$WORK/attribution-cuda.txt"
fi
if [ -s "$WORK/verdict-cuda-1.json" ] && [ -s "$WORK/verdict-cpu.json" ]; then
  record INFO "exact patch $DEVICE" "vs cpu: $(patch_difference "$WORK/verdict-cuda-1.json" "$WORK/verdict-cpu.json")"
fi
fi

if want f; then
TAIL_LINES=14 run_step "f. generation benchmark, $DEVICE" 240 "$WORK/bench.txt" bench
record "$(status_of $STEP_RC)" "generation $DEVICE" "$(grep -E "^(float32|bfloat16):" "$WORK/bench.txt" | tr '\n' ';') ($(timing))" "$WORK/bench.txt"
run_step "f2. shared prefix vs copies, $DEVICE" 120 "$WORK/shared-prefix.txt" shared_prefix
record "$(status_of $STEP_RC)" "shared prefix $DEVICE" "$(grep "^prefix" "$WORK/shared-prefix.txt" | tr '\n' ';') ($(timing))" "$WORK/shared-prefix.txt"
fi

# g. The summary, last, so it is what the run's output ends with.
{
  echo "==================== device check summary ($( [ "$DRY" = 1 ] && echo "CPU dry run" || echo "GPU")) ===================="
  printf '%s\n' "${SUMMARY[@]}"
  echo "total $SECONDS s of a $BUDGET s budget; full log $LOG; build log $OUT/build.log"
} | tee "$OUT/summary.txt"
