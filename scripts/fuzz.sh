#!/usr/bin/env bash
# Fuzzes the readers of untrusted files with libFuzzer (clang, ASan + UBSan): tests/fuzz/*_fuzz.cc.
#   scripts/fuzz.sh [--check] [SECONDS_PER_TARGET] [TARGET...]   (default 600 s each, every target)
# Builds tests/fuzz with clang (into $FUZZ_BUILD, default build-fuzz/), seeds each corpus from the
# project's own fixtures, runs two targets at a time (one per core), and prints each target's
# executions and result. A crashing input is kept in tests/fuzz/crashers/ (commit it:
# tests/fuzz/replay_test.py replays every one in the test suite). --check is the test suite's
# short run: one target at a time (the suite gives each test one core), crashing inputs stay in the
# build folder, and any crash makes the exit status 1.
# docs/security.md records a run.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
seconds="${1:-600}"
shift || true
build="${FUZZ_BUILD:-$root/build-fuzz}"
crash_root="$root/tests/fuzz/crashers"
[ "$check" = 0 ] || crash_root="$build/crashers"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(incident recipe safetensors config tokenizer chat_template log verdict_report)

cmake -S "$root/tests/fuzz" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ >/dev/null
# --check runs inside the test suite beside other tests: two compile jobs, not one per core + 2.
ninja -C "$build" $([ "$check" = 0 ] || echo "-j2") >/dev/null

seed() {  # seed TARGET FILE...: copy fixtures into the target's corpus
  local corpus="$build/corpus/$1"
  shift
  mkdir -p "$corpus"
  for file in "$@"; do [ -f "$file" ] && cp "$file" "$corpus/$(echo "$file" | sha1sum | cut -c1-16)"; done
  return 0
}
seed incident "$root"/cases/*/incident.json "$root"/tests/cli/valid/*.json "$root"/tests/cli/malformed/*.json
"$root/scripts/fuzz_seeds.py" "$build/corpus"
seed config "$root"/cases/*/model/config.json
seed tokenizer "$root"/tests/fixtures/tokenizers/*/tokenizer.json
seed chat_template "$root"/tests/fixtures/chat_templates/*.jinja
seed log $(find "$root/tests/import/fixtures" -type f ! -name MANIFEST.json)
seed verdict_report "$root"/cases/*/example_verdict.json

run_target() {
  local target="$1" corpus="$build/corpus/$1" crashers="$crash_root/$1"
  mkdir -p "$corpus" "$crashers"
  "$build/fuzz_$target" "$corpus" -max_total_time="$seconds" -max_len=262144 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$crashers/" >"$build/$target.log" 2>&1 || true
  local runs
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/$target.log" | grep -o '[0-9]*$' || echo '?')"
  if grep -q "ERROR: libFuzzer\|SUMMARY: .*Sanitizer\|==ERROR" "$build/$target.log"; then
    echo "$target: CRASH after $runs executions (input in $crashers/, log $build/$target.log)"
    cat "$build/$target.log"
    return 1
  else
    echo "$target: $runs executions in ${seconds} s, no crash"
  fi
}

crashed=0
at_once=$((check ? 1 : 2))
for ((i = 0; i < ${#targets[@]}; i += at_once)); do
  pids=()
  for ((j = i; j < i + at_once && j < ${#targets[@]}; ++j)); do
    run_target "${targets[j]}" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || crashed=1; done
done
[ "$check" = 0 ] || exit "$crashed"
