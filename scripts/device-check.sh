#!/usr/bin/env bash
# The GPU check, one prepared script: configures and builds against the machine's LibTorch
# (CMAKE_PREFIX_PATH, e.g. from ../shared/device/setup.sh), runs the unit and parity tests,
# the quick start and the CIFAR-10 example on the GPU, and writes OUTDIR/summary.md (device,
# versions, test summary, accuracy and seconds per run) with the full logs beside it.
#
#   source .device/setup.sh && bash scripts/device-check.sh "$OUT"
#
# Prepare .device/ with libjpeg-turbo among the carried Debian packages (the GPU machine has
# no libturbojpeg): ../shared/device/prepare.sh libturbojpeg0-dev libturbojpeg0
#
# OUTDIR receives six files (a device machine returns few): summary.md, configure.log,
# build.log, ctest.log, quickstart.log, cifar10_augment.log; run directories stay in the
# build directory.
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

step configure cmake -S . -B "$build" -G Ninja -DPIPELINE_PYTHON="$python"
step build cmake --build "$build" -j "$jobs"
build_rc=$?
# Unit and parity tests (the compile-time, per-header and consumer tests need no GPU).
step ctest ctest --test-dir "$build" -j "$jobs" --output-on-failure -E '^(compile_fail|header|consumer|style|docs)/'
tests=$(grep -E 'tests passed|tests failed' "$out/ctest.log" | tail -1)

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
if [ "$build_rc" -eq 0 ]; then
  run_example quickstart ${QUICKSTART_ARGS:-}
  run_example cifar10_augment ${CIFAR_ARGS:-}
fi

{
  echo
  echo "## Tests"
  echo
  echo "${tests:-no test summary (build exit $build_rc; see build.log)}"
  grep -E '^\s+[0-9]+ - ' "$out/ctest.log" | sed 's/^/    /' || true
  echo
  echo "## Runs"
  echo
  cat "$build/runs.md"
  echo
  echo "## Steps"
  echo
  sed 's/^/    /' "$build/steps.txt"
  echo
  echo "Total $(( $(date +%s) - started )) s. Logs: configure.log, build.log, ctest.log, one per run."
} >> "$out/summary.md"
cat "$out/summary.md"
