#!/usr/bin/env bash
# bench/cpu_vs_python: the DSL's training step on the CPU (bench_overhead) against PyTorch's
# eager Python loop (bench/python_reference.py) from the same LibTorch: same ResNet-18
# (CifarStem), batch, SGD and thread count, runs alternating C++, Python, C++, Python, ...
# Prints each run's images/s and the median DSL images/s over the median Python images/s
# (target >= 1.0), with the thread count and both versions. Measure on an idle machine.
#
#   bash bench/cpu_vs_python.sh BUILD_DIR [--runs 3] [--batch 64] [--threads N]
#                               [--rounds 8] [--steps-per-round 10] [--warmup 3]
#
# BUILD_DIR: configured with -DPIPELINE_BUILD_BENCH=ON against the LibTorch of a Python
# environment (scripts/install-torch2.sh's venv; bench_overhead is built here if missing).
# The Python is that environment's: $PYTHON if set, else <venv>/bin/python of the venv
# whose torch the build's Torch_DIR points into, else the build's PIPELINE_PYTHON.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { sed -n '8,9p' "${BASH_SOURCE[0]}" | sed 's/^# *//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
build=$1
shift
runs=3 batch=64 threads=$(nproc) rounds=8 steps=10 warmup=3
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || usage
  case $1 in
    --runs) runs=$2 ;;
    --batch) batch=$2 ;;
    --threads) threads=$2 ;;
    --rounds) rounds=$2 ;;
    --steps-per-round) steps=$2 ;;
    --warmup) warmup=$2 ;;
    *) usage ;;
  esac
  shift 2
done

cache=$build/CMakeCache.txt
[[ -f $cache ]] || { echo "cpu_vs_python: $build is not a CMake build directory (no CMakeCache.txt)" >&2; exit 1; }
cached() { sed -n "s|^$1:[A-Z]*=||p" "$cache" | head -1; }
torch_dir=$(cached Torch_DIR)
venv=${torch_dir%%/lib/python*}
python=${PYTHON:-}
if [[ -z $python && $venv != "$torch_dir" && -x $venv/bin/python ]]; then
  python=$venv/bin/python
fi
python=${python:-$(cached PIPELINE_PYTHON)}
[[ -n $python && -x $python ]] || {
  echo "cpu_vs_python: no Python beside the build's LibTorch (Torch_DIR=$(cached Torch_DIR)); set PYTHON=<venv>/bin/python" >&2
  exit 1
}
if [[ ! -x $build/bench/bench_overhead ]]; then
  grep -q '^PIPELINE_BUILD_BENCH:BOOL=ON' "$cache" || {
    echo "cpu_vs_python: $build was configured without -DPIPELINE_BUILD_BENCH=ON" >&2
    exit 1
  }
  cmake --build "$build" --target bench_overhead
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for ((i = 1; i <= runs; ++i)); do
  echo "run $i of $runs: bench_overhead" >&2
  # Its table to stderr as it comes; its log (run and model lines) shown only on failure.
  "$build/bench/bench_overhead" --batch "$batch" --threads "$threads" --rounds "$rounds" \
    --steps-per-round "$steps" --warmup "$warmup" --json "$out/cpp-$i.json" \
    >&2 2>"$out/cpp-$i.log" || { cat "$out/cpp-$i.log" >&2; exit 1; }
  echo "run $i of $runs: python_reference.py" >&2
  "$python" "$here/python_reference.py" --batch "$batch" --threads "$threads" \
    --steps $((rounds * steps)) --warmup "$warmup" --json "$out/py-$i.json" >&2
done

"$python" - "$out" "$runs" <<'EOF'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
cpp = [json.load(open(f"{out}/cpp-{i}.json")) for i in range(1, runs + 1)]
py = [json.load(open(f"{out}/py-{i}.json")) for i in range(1, runs + 1)]
c0, p0 = cpp[0], py[0]
print(f"\ncpu_vs_python: ResNet-18 (CifarStem), batch {c0['batch']}, {c0['threads']} "
      f"thread{'' if c0['threads'] == 1 else 's'} | C++: LibTorch {c0['torch']} "
      f"(bench_overhead) | Python: torch {p0['torch']}, torchvision {p0['torchvision']} "
      f"| {runs} alternating runs\n")
if c0["threads"] != p0["threads"]:
    print(f"warning: thread counts differ ({c0['threads']} vs {p0['threads']})\n")
if c0["torch"].split(".")[:2] != p0["torch"].split("+")[0].split(".")[:2]:
    print(f"warning: different LibTorch versions ({c0['torch']} vs {p0['torch']})\n")
print("| run | DSL images/s | hand-written C++ images/s | Python eager images/s | DSL / Python |")
print("| --- | ---: | ---: | ---: | ---: |")
for i, (c, p) in enumerate(zip(cpp, py), 1):
    d, h, q = (c["dsl"]["images_per_second"], c["hand_written"]["images_per_second"],
               p["images_per_second"])
    print(f"| {i} | {d:.1f} | {h:.1f} | {q:.1f} | {d / q:.3f} |")
d = statistics.median(c["dsl"]["images_per_second"] for c in cpp)
h = statistics.median(c["hand_written"]["images_per_second"] for c in cpp)
q = statistics.median(p["images_per_second"] for p in py)
print(f"| median | {d:.1f} | {h:.1f} | {q:.1f} | **{d / q:.3f}** (target >= 1.0) |")
EOF
