#!/usr/bin/env bash
# Fuzz smoke run: builds the libFuzzer targets of fuzz/ (clang-14, ASan + UBSan) in
# build-fuzz/ and runs each for FUZZ_SECONDS (default 30) from its seed corpus, if it has
# one. A crash, a sanitizer report, a leak, a timeout or running out of memory fails the
# run; the input that did it is kept in build-fuzz/artifacts/. FUZZ_JOBS targets run at
# once (default 2). Ends with one line per target (executions, coverage) and a summary line.
#
#   bash scripts/fuzz-smoke.sh            # needs clang-14 and libclang-rt-14-dev
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-30}
cxx=${FUZZ_CXX:-clang++-14}
start=$SECONDS
targets=(fuzz_idx fuzz_cifar10 fuzz_image_cache fuzz_safetensors fuzz_image_decode)
declare -A seeds=([fuzz_safetensors]=fuzz/corpus-safetensors [fuzz_image_decode]=fuzz/corpus-image)

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER="$cxx" -DPIPELINE_BUILD_FUZZ=ON \
  -DPIPELINE_BUILD_TESTS=OFF -DPIPELINE_BUILD_EXAMPLES=OFF -DPIPELINE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz --target "${targets[@]}"

# Two targets at a time (libFuzzer runs on one core; this machine has two): the same
# seconds each, half the wall time.
jobs=${FUZZ_JOBS:-2}
mkdir -p build-fuzz/artifacts
run_target() {
  local t=$1 status=0
  local corpus=build-fuzz/corpus/$t # the working corpus grows here; the seeds stay as they are
  mkdir -p "$corpus"
  local log=build-fuzz/$t.log
  # -timeout: one input taking 10 s is a hang; -rss_limit_mb: a reader that allocates what
  # a header claims is a bug (the targets use small limits).
  "build-fuzz/fuzz/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$t-" \
    "$corpus" ${seeds[$t]:+"${seeds[$t]}"} >"$log" 2>&1 || status=$?
  echo "$status" >"build-fuzz/$t.status"
}
rm -f build-fuzz/*.status
for t in "${targets[@]}"; do
  while (($(jobs -rp | wc -l) >= jobs)); do wait -n || true; done
  run_target "$t" &
done
wait

failed=0
lines=()
for t in "${targets[@]}"; do
  log=build-fuzz/$t.log
  status=$(cat "build-fuzz/$t.status" 2>/dev/null || echo "no status")
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo "?")
  if [[ $status != 0 ]]; then
    failed=$((failed + 1))
    lines+=("$t: FAILED (exit $status) after $runs executions; see $log and build-fuzz/artifacts/")
    grep -m1 -A12 'ERROR: \|runtime error\|==ERROR\|deadly signal' "$log" || tail -20 "$log"
  else
    lines+=("$t: $runs executions in ${seconds} s, coverage $cov edges, no crash")
  fi
done
printf '%s\n' "${lines[@]}"
echo "=== fuzz smoke: ${#targets[@]} targets x ${seconds} s, $jobs at a time, $failed failed ($((SECONDS - start)) s in all)"
exit $((failed > 0))
