"""A run's TensorBoard event file, read back by TensorBoard itself.

Trains the quick start for two epochs on a few hundred images, then reads its run
directory with TensorBoard's own EventAccumulator (the reader `tensorboard --logdir`
uses) and checks that every figure of metrics.csv, lrs.csv and ema.csv is there, under
its tag, at its epoch, to float32 precision. Then corrupts one byte of the last record
and checks that the reader refuses that record (so the CRCs are checked, and ours are
right: the intact file reads whole).

    tensorboard.py QUICKSTART WORK_DIR

TensorBoard comes from PIPELINE_TENSORBOARD_PYTHON, else the environment
scripts/install-tensorboard.sh makes, else this interpreter; with none of them the test
prints SKIPPED (CTest reports it as skipped).
"""

import csv
import os
import pathlib
import shutil
import subprocess
import sys


def tensorboard_python():
    given = os.environ.get("PIPELINE_TENSORBOARD_PYTHON")
    cache = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache"))
    candidates = [given] if given else []
    venv = os.environ.get("PIPELINE_TENSORBOARD_VENV", cache / "pipeline" / "tensorboard")
    candidates += [str(pathlib.Path(venv) / "bin" / "python"), sys.executable]
    for python in candidates:
        if python and pathlib.Path(python).exists():
            found = subprocess.run([python, "-c", "import tensorboard"],
                                   capture_output=True).returncode == 0
            if found:
                return python
    return None


def read_scalars(run_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    ea = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    ea.Reload()
    return {tag: {e.step: e.value for e in ea.Scalars(tag)}
            for tag in ea.Tags()["scalars"]}


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def close(value, printed):
    """Whether float32 `value` is the figure a CSV file printed as `printed`: within the
    printed form's rounding (half its last digit) plus float32's own."""
    expected = float(printed)
    mantissa = printed.lower().split("e")[0]
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    exponent = int(printed.lower().split("e")[1]) if "e" in printed.lower() else 0
    rounding = 0.5 * 10.0 ** (exponent - decimals)
    return abs(value - expected) <= rounding + 1e-6 * abs(expected)


def main():
    quickstart, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    if os.environ.get("PIPELINE_TENSORBOARD_CHILD") is None:
        python = tensorboard_python()
        if python is None:
            print("SKIPPED: no Python with the tensorboard package "
                  "(bash scripts/install-tensorboard.sh makes one)")
            return 0
        env = dict(os.environ, PIPELINE_TENSORBOARD_CHILD="1")
        return subprocess.run([python, __file__, *sys.argv[1:]], env=env).returncode

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    subprocess.run([str(quickstart), "--device", "cpu", "--threads", "2", "--epochs", "2",
                    "--limit", "256", "--eval-limit", "128", "--out-dir", str(work / "runs")],
                   check=True)
    (run_dir,) = (work / "runs").iterdir()
    (events,) = run_dir.glob("events.out.tfevents.*")
    got = read_scalars(run_dir)

    expected = {}
    metrics = rows(run_dir / "metrics.csv")
    columns = {"train/loss": "train_loss", "train/acc": "train_acc",
               "clean_train/loss": "clean_train_loss", "clean_train/acc": "clean_train_acc",
               "val/loss": "val_loss", "val/acc": "val_acc", "gap": "gap",
               "lr/schedule": "lr", "images_per_second": "images_per_second",
               "epoch_seconds": "seconds"}
    for row in metrics:
        for tag, column in columns.items():
            expected.setdefault(tag, {})[int(row["epoch"])] = row[column]
    for row in rows(run_dir / "lrs.csv"):
        for block, lr in row.items():
            if block not in ("epoch", "schedule"):
                expected.setdefault("lr/" + block, {})[int(row["epoch"])] = lr
    if (run_dir / "ema.csv").exists():
        for row in rows(run_dir / "ema.csv"):
            for column in ("val_loss", "val_acc"):
                expected.setdefault("ema/" + column, {})[int(row["epoch"])] = row[column]

    failures = []
    if len(metrics) != 2:
        failures.append(f"metrics.csv has {len(metrics)} epochs, expected 2")
    if not any(tag.startswith("lr/") and tag != "lr/schedule" for tag in expected):
        failures.append("lrs.csv names no block")
    for tag, by_epoch in expected.items():
        if tag not in got:
            failures.append(f"tag {tag} missing from {events.name} (has {sorted(got)})")
            continue
        if sorted(got[tag]) != sorted(by_epoch):
            failures.append(f"{tag}: steps {sorted(got[tag])}, expected {sorted(by_epoch)}")
        for epoch, value in by_epoch.items():
            if epoch in got[tag] and not close(got[tag][epoch], value):
                failures.append(f"{tag} at epoch {epoch}: {got[tag][epoch]}, "
                                f"expected {value}")
    extra = sorted(set(got) - set(expected))
    if extra:
        failures.append(f"tags not in the CSV files: {extra}")

    # One byte of the last record's data changed: its CRC no longer holds.
    corrupt = work / "corrupt"
    corrupt.mkdir()
    data = bytearray(events.read_bytes())
    data[-8] ^= 0x01
    (corrupt / events.name).write_bytes(bytes(data))
    damaged = read_scalars(corrupt)
    if sorted(damaged.get("val/acc", {})) != [1]:
        failures.append("a record with a wrong CRC was read: val/acc steps "
                        f"{sorted(damaged.get('val/acc', {}))}, expected [1]")

    for f in failures:
        print("FAILED:", f)
    if not failures:
        print(f"{events.name}: {len(got)} tags x 2 epochs read back by TensorBoard, equal "
              "to the run's CSV files; a corrupted record is refused")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
