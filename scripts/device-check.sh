#!/usr/bin/env bash
# The GPU check, one prepared script: configures and builds against the machine's LibTorch
# (CMAKE_PREFIX_PATH, e.g. from ../shared/device/setup.sh), runs the unit and parity tests
# (the captured-step test train/cuda_graph must run there, not skip: summary.md says
# which), the quick start and the CIFAR-10 example on the GPU, then the GPU benchmark
# (bench/gpu/run.sh: throughput against PyTorch eager, torch.compile and a hand-written
# loop; seconds to 94% for cifar10_fast), and writes OUTDIR/summary.md (device, versions,
# test summary, accuracy and seconds per run, the benchmark's table) with the full logs
# beside it.
#
#   source .device/setup.sh && bash scripts/device-check.sh "$OUT"
#   source .device/setup.sh && PARTS="tests" bash scripts/device-check.sh "$OUT"   # then
#   source .device/setup.sh && PARTS="bench" bash scripts/device-check.sh "$OUT"
#
# PARTS (default "tests runs bench") picks what runs after the build: "tests" (ctest, the
# captured-step test among them), "runs" (quickstart and cifar10_augment), "bench"
# (bench/gpu/run.sh into OUTDIR/bench/). All three take about 10 minutes on an H100 with
# the build (which a second call on the same warm machine reuses); a device session's
# command may run at most 10, so split them over two calls as above.
#
# Prepare .device/ with libjpeg-turbo among the carried Debian packages (the GPU machine has
# no libturbojpeg): ../shared/device/prepare.sh libturbojpeg0-dev libturbojpeg0
#
# OUTDIR receives summary.md, configure.log, build.log, ctest.log, quickstart.log, cifar10_augment.log and bench/ (gpu-bench.md, gpu-bench.json and each
# part's log); run directories stay in the build directory.
#
# Environment: DEVICE (default cuda), BUILD_DIR (default build-device), JOBS (default every
# core), QUICKSTART_ARGS and CIFAR_ARGS (extra options for the two runs, e.g. for a smoke
# run on the CPU: DEVICE=cpu QUICKSTART_ARGS="--epochs 1 --limit 512" ...).
set -uo pipefail
out=${1:?usage: scripts/device-check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")/.."
device=${DEVICE:-cuda}
build=${BUILD_DIR:-build-device}
jobs=${JOBS:-$(nproc)}
parts=${PARTS:-tests runs bench}
python=${PIPELINE_PYTHON:-python3}
started=$(date +%s)
mkdir -p "$build"
rm -f "$build/steps.txt" "$build/runs.md"

gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1)
torch_version=$("$python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)' 2>/dev/null)
{
  echo "# Device check ($(date -u +%Y-%m-%dT%H:%MZ))"
  echo
  echo "| what | value |"
  echo "| --- | --- |"
  echo "| device | ${gpu:-no GPU visible} (runs with --device $device) |"
  echo "| torch (Python) | ${torch_version:-not importable with $python} |"
  echo "| compiler | $(c++ --version | head -1) |"
  echo "| cmake | $(cmake --version | head -1) |"
  echo "| commit | $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet 2>/dev/null || echo ' (with uncommitted changes)') |"
} > "$out/summary.md"

step() { # step NAME COMMAND...: runs, logs to OUTDIR/NAME.log, records the exit code
  local name=$1; shift
  local t0=$(date +%s)
  "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc, $(( $(date +%s) - t0 )) s" >> "$build/steps.txt"
  return $rc
}

step configure cmake -S . -B "$build" -G Ninja -DPIPELINE_PYTHON="$python" -DPIPELINE_BUILD_BENCH=ON
step build cmake --build "$build" -j "$jobs"
build_rc=$?
has() { [[ " $parts " == *" $1 "* ]]; }
tests=""
graph_test="not run"
if has tests; then
  # Unit and parity tests (the compile-time, per-header and consumer tests need no GPU).
  step ctest ctest --test-dir "$build" -j "$jobs" --output-on-failure -E '^(compile_fail|header|consumer|style|docs)/'
  tests=$(grep -E 'tests passed|tests failed' "$out/ctest.log" | tail -1)
  # The captured step against the eager one (in the run above): on a GPU it must run, not
  # be reported skipped.
  graph_line=$(grep -E 'Test +#[0-9]+: train/cuda_graph: 50 replayed' "$out/ctest.log" | tail -1)
  case "$graph_line" in
    *Passed*) graph_test="passed (ran on the GPU)" ;;
    *Skipped*) graph_test="SKIPPED (no CUDA device or no graph capture in this build)" ;;
    "") graph_test="not in ctest.log" ;;
    *) graph_test="FAILED (ctest.log)" ;;
  esac
fi

run_example() { # run_example NAME ARGS...: trains, extracts the test line
  local name=$1; shift
  step "$name" "$build/examples/$name" --device "$device" --out-dir "$build/runs" "$@"
  local rc=$?
  local line=$(grep -E '^test: ' "$out/$name.log" | tail -1)
  local acc=$(sed -nE 's/.*accuracy ([0-9.]+%).*/\1/p' <<< "$line")
  local secs=$(sed -nE 's/.* ([0-9.]+) s in all.*/\1/p' <<< "$line")
  echo "| \`$name $*\` | ${acc:-—} | ${secs:-—} | $rc |" >> "$build/runs.md"
}
echo "| run | test accuracy | seconds | exit |" > "$build/runs.md"
echo "| --- | --- | --- | --- |" >> "$build/runs.md"
if [ "$build_rc" -eq 0 ] && has runs; then
  run_example quickstart ${QUICKSTART_ARGS:-}
  run_example cifar10_augment ${CIFAR_ARGS:-}
fi
if [ "$build_rc" -eq 0 ] && has bench; then
  step bench env BUILD_DIR="$build" PIPELINE_PYTHON="$python" DEVICE="$device" \
    bash bench/gpu/run.sh "$out/bench"
fi

{
  echo
  echo "## Tests"
  echo
  echo "${tests:-no test summary (build exit $build_rc, parts: $parts; see build.log)}"
  [ -f "$out/ctest.log" ] && { grep -E '^\s+[0-9]+ - ' "$out/ctest.log" | sed 's/^/    /' || true; }
  echo
  echo "train/cuda_graph (captured step vs eager, on the GPU): $graph_test"
  echo
  echo "## Runs"
  echo
  cat "$build/runs.md"
  echo
  if [ -f "$out/bench/gpu-bench.md" ]; then
    echo "## GPU benchmark (bench/gpu/run.sh)"
    echo
    sed 's/^#/##/' "$out/bench/gpu-bench.md"
    echo
  fi
  echo "## Steps"
  echo
  sed 's/^/    /' "$build/steps.txt"
  echo
  echo "Total $(( $(date +%s) - started )) s. Logs: configure.log, build.log, ctest.log, one per run."
} >> "$out/summary.md"
cat "$out/summary.md"
