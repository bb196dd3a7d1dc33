#!/usr/bin/env bash
# bench/gpu/run.sh OUTDIR: the GPU benchmark of issue 20, one script for a GPU machine.
# Writes OUTDIR/gpu-bench.json and OUTDIR/gpu-bench.md (with every part's log beside them):
#
#   throughput  images/s at batch 512 of cifar10_fast's training step (ResNet-18 with
#               CifarStem, SGD Nesterov, label smoothing 0.1, synthetic data on the GPU):
#               the library's eager loop (fp32; bf16 + channels-last) and its CudaGraph
#               loop and a hand-written LibTorch loop (bench_gpu_step, one process,
#               alternating rounds), PyTorch eager (fp32; bf16 + channels-last), the same
#               step captured whole in a CUDA graph, and under torch.compile
#               (bench/gpu/reference.py throughput, one process each). Each as a ratio to
#               PyTorch eager of the same precision from the same run, and model FLOP
#               utilisation (3.3 GFLOP per 32x32 training image, forward and backward, over
#               the GPU's dense bf16 peak: H100/H200 SXM 989 TFLOP/s).
#   train       wall seconds to 94% CIFAR-10 test accuracy: examples/cifar10_fast (its
#               metrics.csv: epoch seconds, training and evaluation, summed until val_acc,
#               the test split's, first reaches 0.94) and bench/gpu/reference.py train (the
#               same recipe in PyTorch, counted the same way).
#
#   bash bench/gpu/run.sh OUTDIR                      # after scripts/device-check.sh's build
#   BUILD_DIR=build-device PARTS="throughput" bash bench/gpu/run.sh OUTDIR
#
# Environment: BUILD_DIR (build-device: a configured build tree with benchmarks on; the two
# targets are built if missing), PIPELINE_PYTHON (python3, with torch and torchvision),
# CIFAR10_DIR (the folder with data_batch_1.bin ...; default
# $PIPELINE_DATA_DIR/cifar-10-batches-bin, as .device/setup.sh writes it), PARTS
# ("throughput train"), DEVICE (cuda), PEAK_TFLOPS (the GPU's dense bf16 peak when its name
# is not one of H100, H200, A100), PART_TIMEOUT (seconds per command, 420).
# Never run by CI: nothing here is a test.
set -uo pipefail
out=${1:?usage: bench/gpu/run.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
build=${BUILD_DIR:-build-device}
python=${PIPELINE_PYTHON:-python3}
device=${DEVICE:-cuda}
parts=${PARTS:-throughput train}
limit=${PART_TIMEOUT:-420}
cifar=${CIFAR10_DIR:-${PIPELINE_DATA_DIR:-../shared/data}/cifar-10-batches-bin}
started=$(date +%s)
: > "$out/parts.txt"

part() { # part NAME COMMAND...: runs under the time limit, logs to OUTDIR/NAME.log
  local name=$1; shift
  local t0=$(date +%s)
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "$name: exit $rc, $(( $(date +%s) - t0 )) s" >> "$out/parts.txt"
  return $rc
}

if [ ! -f "$build/CMakeCache.txt" ]; then
  part configure cmake -S . -B "$build" -G Ninja -DPIPELINE_PYTHON="$python" -DPIPELINE_BUILD_BENCH=ON
fi
part build cmake --build "$build" --target bench_gpu_step cifar10_fast

if [[ " $parts " == *" throughput "* ]]; then
  part step "$build/bench/bench_gpu_step" --device "$device" --json "$out/step.json"
  for v in eager-fp32 eager graph compile; do
    part "reference-$v" "$python" bench/gpu/reference.py throughput --variant "$v" \
      --device "$device" --json "$out/reference-$v.json"
  done
fi

if [[ " $parts " == *" train "* ]]; then
  if [ -f "$cifar/test_batch.bin" ]; then
    runs=$build/gpu-bench-runs
    rm -rf "$runs"
    part cifar10_fast "$build/examples/cifar10_fast" --device "$device" --data-dir "$cifar" \
      --out-dir "$runs"
    metrics=$(find "$runs" -name metrics.csv 2>/dev/null | head -1)
    [ -n "$metrics" ] && cp "$metrics" "$out/cifar10_fast-metrics.csv"
    part reference-train "$python" bench/gpu/reference.py train --data-dir "$cifar" \
      --device "$device" --json "$out/reference-train.json"
  else
    echo "train: skipped, no CIFAR-10 binary files in $cifar (set CIFAR10_DIR)" >> "$out/parts.txt"
  fi
fi

# The table: every figure read back from the parts' JSON and CSV files.
"$python" - "$out" "$(git rev-parse --short HEAD 2>/dev/null)" "${PEAK_TFLOPS:-}" <<'PY'
import csv, json, os, sys

out, commit, peak_arg = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    try:
        with open(os.path.join(out, name)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

step = load("step.json")
ref = {v: load(f"reference-{v}.json") for v in ("eager-fp32", "eager", "graph", "compile")}
gpu = next((r["device"] for r in ref.values() if r), step["device"] if step else "unknown")
peaks = {"H100": 989.0, "H200": 989.0, "A100": 312.0}
peak = float(peak_arg) if peak_arg else next((v for k, v in peaks.items() if k in gpu), None)
flop_per_image = 3.3e9

def rate(name):
    if name.startswith("dsl") or name == "hand":
        return step["sides"][name]["images_per_second"] if step and name in step.get("sides", {}) else None
    r = ref.get(name)
    return r["images_per_second"] if r else None

rows = [("PyTorch eager, fp32", "eager-fp32", "eager-fp32"),
        ("PyTorch eager, bf16 + channels-last", "eager", "eager"),
        ("PyTorch, whole step in a CUDA graph", "graph", "eager"),
        ("PyTorch, torch.compile(model)", "compile", "eager"),
        ("library eager, fp32", "dsl-fp32", "eager-fp32"),
        ("library eager, Precision<BF16> + ChannelsLast", "dsl-eager", "eager"),
        ("library CudaGraph, Precision<BF16> + ChannelsLast", "dsl-graph", "eager"),
        ("hand-written LibTorch, bf16 + channels-last", "hand", "eager")]
table, record = [], {"gpu": gpu, "commit": commit, "peak_tflops": peak, "throughput": {}}
for label, name, base in rows:
    r, b = rate(name), rate(base)
    ratio = r / b if r and b else None
    mfu = r * flop_per_image / (peak * 1e12) if r and peak else None
    record["throughput"][name] = {"label": label, "images_per_second": r,
                                  "ratio_to_python_eager": ratio, "mfu": mfu}
    table.append(f"| {label} | {f'{r:,.0f}' if r else 'not run'} | "
                 f"{f'{ratio:.2f}x' if ratio else '—'} | {f'{100 * mfu:.1f}%' if mfu else '—'} |")
compile_rate, graph_rate = rate("compile"), rate("dsl-graph")
if compile_rate and graph_rate:
    record["dsl_graph_over_compile"] = graph_rate / compile_rate

def to_target(path, target=0.94):
    try:
        rows = list(csv.DictReader(open(path)))
    except OSError:
        return None, None, None
    total, reached, best = 0.0, None, 0.0
    for row in rows:
        acc = float(row["val_acc"])
        acc = acc / 100 if acc > 1 else acc
        total += float(row["seconds"])
        best = max(best, acc)
        if reached is None and acc >= target:
            reached = total
    return reached, total, best

ours_reached, ours_total, ours_best = to_target(os.path.join(out, "cifar10_fast-metrics.csv"))
rt = load("reference-train.json")
record["to_94"] = {"cifar10_fast": {"seconds": ours_reached, "epoch_seconds": ours_total,
                                    "best_test_acc": ours_best},
                   "reference": {"seconds": rt["seconds_to_target"] if rt else None,
                                 "epoch_seconds": rt["epoch_seconds"] if rt else None,
                                 "best_test_acc": max(e["test_acc"] for e in rt["epochs"]) if rt else None}}
with open(os.path.join(out, "gpu-bench.json"), "w") as f:
    json.dump(record, f, indent=2)

def secs(v):
    return f"{v:.1f} s" if v is not None else "not reached"
def acc(v):
    return f"{100 * v:.2f}%" if v is not None else "not run"
lines = [f"# GPU benchmark: {gpu} (commit {commit})", "",
         f"Batch 512, ResNet-18 with CifarStem, synthetic data on the GPU; ratios to PyTorch "
         f"eager of the same precision from this run; utilisation at 3.3 GFLOP per image over "
         f"{f'{peak:.0f} TFLOP/s' if peak else 'an unknown peak (set PEAK_TFLOPS)'}.", "",
         "| loop | images/s | vs PyTorch eager | utilisation |", "| --- | ---: | ---: | ---: |",
         *table, ""]
if "dsl_graph_over_compile" in record:
    lines.append(f"Library CudaGraph over torch.compile: {record['dsl_graph_over_compile']:.2f}x.")
    lines.append("")
lines += ["| to 94% CIFAR-10 test accuracy | seconds (epochs summed) | best test accuracy |",
          "| --- | ---: | ---: |",
          f"| examples/cifar10_fast | {secs(ours_reached) if ours_total is not None else 'not run'} | {acc(ours_best)} |",
          f"| bench/gpu/reference.py train (PyTorch eager) | {secs(record['to_94']['reference']['seconds']) if rt else 'not run'} | {acc(record['to_94']['reference']['best_test_acc'])} |",
          ""]
with open(os.path.join(out, "gpu-bench.md"), "w") as f:
    f.write("\n".join(lines))
PY
{
  echo "## Parts"
  echo
  sed 's/^/    /' "$out/parts.txt"
  echo
  echo "Total $(( $(date +%s) - started )) s."
} >> "$out/gpu-bench.md"
cat "$out/gpu-bench.md"
