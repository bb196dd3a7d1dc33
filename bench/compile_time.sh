#!/usr/bin/env bash
# The price of a one-line edit (not a test; CI never runs it). In one run, alternating,
# ROUNDS times: change `.lr = 0.05` to `.lr = 0.03` (and back) in a copy of
# examples/quickstart.cpp and rebuild it (compile + link of the experiment alone) with
#   core         pipeline_add_experiment, i.e. linked with the compiled core
#   header-only  pipeline::pipeline alone, with the shared precompiled <torch/torch.h>
# and touch the smallest honest LibTorch program (bench/compile_time/smallest.cpp: a conv
# and a linear layer, SGD, 10 steps) and rebuild it with the same flags and precompiled
# header. Prints each rebuild's median and the median of the paired ratios, the
# -fsyntax-only time of each translation unit, and the executables' sizes.
#
#   bash bench/compile_time.sh [BUILD_DIR] [ROUNDS] [BASELINE]   (defaults: build, 3, none)
#
# BUILD_DIR is a configured and built tree of this repository (the package is installed
# from it into the work directory, so its compiled core is reused, not rebuilt).
# BASELINE, a commit of this repository (issue 18's is b1ceea8, the tree before the
# compiled core), adds a fourth rebuild to every round: that commit checked out into the
# work directory, configured as its own README says (its default Release flags, its
# precompiled <torch/torch.h>), and its examples/quickstart.cpp edited the same way and
# rebuilt through its own `quickstart` target, so that "not slower than before" is
# measured side by side, on the same machine, in the same minutes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
rounds=${2:-3}
baseline=${3:-}
work=$build/compile-time-bench
if [[ -d $work/baseline ]]; then git -C "$root" worktree remove --force "$work/baseline"; fi
rm -rf "$work" && mkdir -p "$work/app"
cmake --install "$build" --prefix "$work/prefix" >/dev/null
cp "$here/compile_time/CMakeLists.txt.in" "$work/app/CMakeLists.txt"
cp "$here/compile_time/smallest.cpp" "$work/app/"
echo "// owns the precompiled <torch/torch.h>" > "$work/app/pch.cpp"
for mode in core header_only; do
  cp "$root/examples/quickstart.cpp" "$work/app/quickstart_$mode.cpp"
done
prefix_path=$(sed -n 's/^CMAKE_PREFIX_PATH:[A-Z]*=//p' "$build/CMakeCache.txt")
cmake -S "$work/app" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON "-DCMAKE_PREFIX_PATH=$work/prefix;$prefix_path" >/dev/null
cmake --build "$work/build" >/dev/null # first builds, the precompiled header among them
if [[ -n $baseline ]]; then
  git -C "$root" worktree add --detach "$work/baseline" "$baseline" >/dev/null 2>&1
  cmake -S "$work/baseline" -B "$work/baseline-build" -G Ninja -DPIPELINE_BUILD_TESTS=OFF \
    -DPIPELINE_BUILD_BENCH=OFF "-DCMAKE_PREFIX_PATH=$prefix_path" >/dev/null
  cmake --build "$work/baseline-build" --target quickstart >/dev/null
fi

# One-line edit: the learning rate toggles between 0.05 and 0.03.
edit() {
  local f=$work/app/quickstart_$1.cpp
  if [[ $1 == baseline ]]; then f=$work/baseline/examples/quickstart.cpp; fi
  if grep -q '\.lr = 0\.05' "$f"; then sed -i 's/\.lr = 0\.05/.lr = 0.03/' "$f"
  else sed -i 's/\.lr = 0\.03/.lr = 0.05/' "$f"; fi
}
seconds() { # seconds the rebuild of target $1 (of build tree $2) takes
  local t0 t1
  t0=$(date +%s.%N)
  cmake --build "${2:-$work/build}" --target "$1" >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
syntax_only() { # -fsyntax-only time of source $1, with its target's own flags
  python3 - "$work/build/compile_commands.json" "$1" <<'PY'
import json, shlex, subprocess, sys, time
for c in json.load(open(sys.argv[1])):
    if c["file"].endswith(sys.argv[2]):
        args = shlex.split(c["command"])
        out = args.index("-o")
        del args[out:out + 2]
        args = [a for a in args if a != "-c"] + ["-fsyntax-only"]
        t0 = time.time()
        subprocess.run(args, cwd=c["directory"], check=True)
        print(f"{time.time() - t0:.2f}")
        break
PY
}
declare -a core ho small base
for ((r = 1; r <= rounds; ++r)); do
  edit core; core+=("$(seconds edit_core)")
  touch "$work/app/smallest.cpp"; small+=("$(seconds smallest)")
  edit header_only; ho+=("$(seconds edit_header_only)")
  if [[ -n $baseline ]]; then
    edit baseline; base+=("$(seconds quickstart "$work/baseline-build")")
  fi
  echo "round $r: core ${core[-1]} s, smallest ${small[-1]} s, header-only ${ho[-1]} s${baseline:+, $baseline ${base[-1]} s}" >&2
done
base_size=0
if [[ -n $baseline ]]; then base_size=$(stat -c %s "$work/baseline-build/examples/quickstart"); fi
python3 - "${core[*]}" "${small[*]}" "${ho[*]}" \
  "$(syntax_only quickstart_core.cpp)" "$(syntax_only smallest.cpp)" \
  "$(syntax_only quickstart_header_only.cpp)" \
  "$(stat -c %s "$work/build/edit_core")" "$(stat -c %s "$work/build/smallest")" \
  "$(stat -c %s "$work/build/edit_header_only")" "$rounds" "$(nproc)" \
  "$baseline" "${base[*]:-}" "$base_size" <<'PY'
import statistics, sys
core, small, ho = ([float(x) for x in a.split()] for a in sys.argv[1:4])
syn_core, syn_small, syn_ho = sys.argv[4:7]
size_core, size_small, size_ho = (int(x) for x in sys.argv[7:10])
rounds, cores = sys.argv[10:12]
baseline, base, size_base = sys.argv[12], [float(x) for x in sys.argv[13].split()], int(sys.argv[14])
med = statistics.median
print(f"one-line edit, rebuilt (compile + link of the experiment alone), {rounds} rounds "
      f"alternating, {cores} cores")
print("| translation unit | rebuild (median) | ratio to smallest (median of pairs) | "
      "-fsyntax-only | executable |")
print("| --- | --- | --- | --- | --- |")
print(f"| quickstart, compiled core | {med(core):.2f} s | "
      f"{med(c / s for c, s in zip(core, small)):.2f}x | {syn_core} s | {size_core / 1e6:.2f} MB |")
print(f"| quickstart, header-only | {med(ho):.2f} s | "
      f"{med(h / s for h, s in zip(ho, small)):.2f}x | {syn_ho} s | {size_ho / 1e6:.2f} MB |")
if baseline:
    print(f"| quickstart at {baseline} (header-only, its own build) | {med(base):.2f} s | "
          f"{med(b / s for b, s in zip(base, small)):.2f}x | - | {size_base / 1e6:.2f} MB |")
print(f"| smallest LibTorch program | {med(small):.2f} s | 1.00x | {syn_small} s | "
      f"{size_small / 1e6:.2f} MB |")
PY
if [[ -n $baseline ]]; then git -C "$root" worktree remove --force "$work/baseline"; fi
