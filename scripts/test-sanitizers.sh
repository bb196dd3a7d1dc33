#!/usr/bin/env bash
# The sanitizer leg: configures the `asan` preset (CMakePresets.json: AddressSanitizer +
# UndefinedBehaviorSanitizer, -O1 -g1, build-asan/), builds the tests of every reader, the
# weights loader, the command line and the training loop (pipeline_sanitizer_tests) and
# runs them, the training loop's cases and the rest as two processes side by side (one per
# core; PIPELINE_SANITIZER_TESTS, a doctest -tc filter, runs that subset as one). With
# PIPELINE_SANITIZER_TARGET=pipeline_tests and PIPELINE_SANITIZER_TESTS='*' it builds and
# runs the whole unit suite instead (about 25 min to build on 2 cores). Any sanitizer
# report fails the run. Ends with one summary line.
#
#   bash scripts/test-sanitizers.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$SECONDS
if [[ -n ${PIPELINE_SANITIZER_TESTS:-} ]]; then
  groups=("$PIPELINE_SANITIZER_TESTS")
else
  # About half of the time each (the loop's cases train; the readers' are many and short).
  groups=('train/fit*' 'data/*,io/*,models/pretrained*,run/*')
fi

target=${PIPELINE_SANITIZER_TARGET:-pipeline_sanitizer_tests}

cmake --preset asan >/dev/null
cmake --build build-asan --target "$target"

# LibTorch is not instrumented; what it allocates goes through the malloc ASan intercepts,
# so our misuse of its memory still shows. Leaks are checked, with one suppression for a
# leak inside LibTorch 1.13 (scripts/lsan-libtorch.supp says which and why).
export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:check_initialization_order=1
export LSAN_OPTIONS=suppressions=$PWD/scripts/lsan-libtorch.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# Two processes share the cores: OpenMP's threads wait without spinning (tests/CMakeLists.txt).
export OMP_WAIT_POLICY=passive
tests_start=$SECONDS
logs=()
pids=()
for i in "${!groups[@]}"; do
  logs+=("build-asan/sanitizer-tests-$i.log")
  build-asan/tests/"$target" -tc="${groups[$i]}" >"${logs[$i]}" 2>&1 &
  pids+=($!)
done
status=0
cases=()
for i in "${!groups[@]}"; do
  s=0
  wait "${pids[$i]}" || s=$?
  ((s == 0)) || status=$s
  echo "--- -tc='${groups[$i]}' (exit $s)"
  cat "${logs[$i]}"
  cases+=("$(grep '\[doctest\] test cases:' "${logs[$i]}" | tail -1 | sed 's/^\[doctest\] test cases: *//')")
done
reports=$(cat "${logs[@]}" | grep -c 'ERROR: AddressSanitizer\|runtime error:\|ERROR: LeakSanitizer' || true)
# doctest counts a case the filter left out as skipped: each process "skips" the other's.
summary=$(printf '%s\n' "${cases[@]}" | awk -F'|' '
  NF >= 4 { p += $2; f += $3; m++ }
  END { if (m == '"${#groups[@]}"') printf "test cases run: %d | %d passed | %d failed", p + f, p, f; else printf "a doctest summary is missing" }')
echo "=== sanitizer leg (ASan + UBSan, ${#groups[@]} processes: ${groups[*]/#/-tc=}): $summary; $reports sanitizer reports; exit $status; $((SECONDS - start)) s (the cases $((SECONDS - tests_start)) s)"
exit "$status"
