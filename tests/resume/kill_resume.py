#!/usr/bin/python3
"""Kills a training run at several points and resumes it each time; the final model must
equal, tensor for tensor, the model of the same run left alone.

usage: kill_resume.py BINARY WORKDIR

Kill points, one per interruption of the chain: SIGKILL as soon as the first checkpoint
exists, SIGKILL while a checkpoint is being written (its .tmp file exists), SIGINT in the
middle of an epoch, SIGKILL in the middle of an epoch. After each, the run resumes (in a
new directory, as --resume always does) from the newest checkpoint on disk; a kill before
any checkpoint exists starts the run again. Runs on the CPU with one thread.

Then the order of a run directory's writes: a run kills itself (PIPELINE_KILL_AFTER) right
after each write in turn (the epoch's records, best.next.safetensors, the checkpoint, the
rename to best.safetensors, model.safetensors, summary.json) and is resumed; the finished
directory's summary.json must name the best epoch that its best.safetensors holds, and its
models must equal the uninterrupted run's.
"""
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

ARGS = ["--device", "cpu", "--threads", "1", "--seed", "3", "--eval-limit", "64"]


def tensors(path):
    """name -> (dtype, shape, raw bytes) of a safetensors file."""
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    base = 8 + n
    return {k: (v["dtype"], v["shape"], data[base + v["data_offsets"][0]:base + v["data_offsets"][1]])
            for k, v in header.items()}


def runs(root):
    """Run directories under root, oldest first."""
    if not os.path.isdir(root):
        return []
    return sorted((os.path.join(root, d) for d in os.listdir(root)), key=os.path.getmtime)


def newest_checkpoint(root):
    for d in reversed(runs(root)):
        if os.path.exists(os.path.join(d, "checkpoint.safetensors")):
            return d
    return None


def start(binary, root):
    resume = newest_checkpoint(root)
    extra = ["--resume", resume] if resume else []
    return subprocess.Popen([binary, *ARGS, "--out-dir", root, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True), resume


def wait_for(predicate, proc, timeout=600):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.001)
    return False


def main(binary, work):
    shutil.rmtree(work, ignore_errors=True)
    whole_root, chain_root = os.path.join(work, "whole"), os.path.join(work, "chain")
    t0 = time.time()
    subprocess.run([binary, *ARGS, "--out-dir", whole_root], check=True, stdout=subprocess.DEVNULL)
    whole = runs(whole_root)[-1]
    print(f"uninterrupted run: {time.time() - t0:.1f} s, {whole}")

    def own(suffix, resumed):  # the new run (not the one it resumed) has this file
        def check():
            return any(os.path.exists(os.path.join(d, suffix))
                       for d in runs(chain_root) if d != resumed)
        return check

    kills = [("SIGKILL once its first checkpoint exists", signal.SIGKILL, "checkpoint.safetensors", 0.0),
             ("SIGKILL while a checkpoint is being written", signal.SIGKILL, "checkpoint.safetensors.tmp", 0.0),
             ("SIGINT in the middle of an epoch", signal.SIGINT, "checkpoint.safetensors", 0.4),
             ("SIGKILL in the middle of an epoch", signal.SIGKILL, "checkpoint.safetensors", 0.7)]
    for what, sig, file, delay in kills:
        proc, resumed = start(binary, chain_root)
        hit = wait_for(own(file, resumed), proc)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(sig)
        proc.wait()
        print(f"{what}: {'killed' if hit and proc.returncode != 0 else 'finished first'} "
              f"(exit {proc.returncode}, resumed from {resumed})")
    proc, resumed = start(binary, chain_root)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        print(out)
        sys.exit(f"the last resume failed (exit {proc.returncode})")
    final = runs(chain_root)[-1]
    print(f"last resume from {resumed}: finished in {final}")

    a = tensors(os.path.join(whole, "model.safetensors"))
    b = tensors(os.path.join(final, "model.safetensors"))
    if a.keys() != b.keys():
        sys.exit("the resumed model has other tensors than the uninterrupted one")
    differ = [k for k in a if a[k] != b[k]]
    if differ:
        sys.exit(f"{len(differ)} of {len(a)} tensors differ after kill and resume, e.g. {differ[:3]}")

    def metrics(d):  # without the wall-clock columns (images/s, seconds)
        return [",".join(r.split(",")[:-2]) for r in open(os.path.join(d, "metrics.csv")).read().splitlines()]
    if metrics(whole) != metrics(final):
        sys.exit("metrics.csv differs after kill and resume")
    print(f"identical: {len(a)} tensors and every epoch's metrics, after {len(kills)} interruptions")
    write_order(binary, work, whole)


def best_epoch_of(d):
    """The best epoch summary.json names, and the epoch best.safetensors says it holds."""
    summary = json.load(open(os.path.join(d, "summary.json")))
    path = os.path.join(d, "best.safetensors")
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    meta = json.loads(data[8:8 + n]).get("__metadata__", {})
    return summary["best_epoch"]["epoch"], int(meta.get("epoch", "0"))


def write_order(binary, work, whole):
    """Killed (SIGKILL, from inside, PIPELINE_KILL_AFTER) right after each write of a run
    directory in turn, then resumed: the finished directory agrees with itself (summary.json's
    best epoch is the one in best.safetensors) and with the uninterrupted run."""
    want_best = best_epoch_of(whole)
    if want_best[0] != want_best[1]:
        sys.exit(f"the uninterrupted run disagrees with itself: summary {want_best[0]}, "
                 f"best.safetensors {want_best[1]}")
    rows = open(os.path.join(whole, "metrics.csv")).read().splitlines()
    last = len(rows) - 1
    # At the whole run's best epoch: killed after its checkpoint, the resumed run's
    # best.safetensors was the previous best's while summary.json named this one.
    best_at = want_best[0]
    points = [f"records@2", f"best.next@{best_at}", f"checkpoint@{best_at}", f"best@{best_at}",
              f"checkpoint@{last}", f"model@{last}", f"summary@{last}"]
    points = list(dict.fromkeys(points))  # the best epoch may be the last
    for point in points:
        root = os.path.join(work, "order-" + point.replace("@", "-"))
        env = dict(os.environ, PIPELINE_KILL_AFTER=point)
        killed = subprocess.run([binary, *ARGS, "--out-dir", root], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        if killed.returncode != -signal.SIGKILL:
            sys.exit(f"{point}: expected the run to kill itself there, exit {killed.returncode}")
        # Killed in the first epoch before its checkpoint (after its records or
        # best.next, when the best epoch is the first): nothing to resume, and the run
        # starts again in a new directory, as --resume does after any kill.
        resume = newest_checkpoint(root)
        if resume is None and not point.endswith("@1"):
            sys.exit(f"{point}: no checkpoint left to resume from")
        again = ["--resume", resume] if resume else []
        done = subprocess.run([binary, *ARGS, "--out-dir", root, *again],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode != 0:
            print(done.stdout)
            sys.exit(f"{point}: the resume failed (exit {done.returncode})")
        final = runs(root)[-1]
        got = best_epoch_of(final)
        if got != want_best:
            sys.exit(f"{point}: summary.json's best epoch {got[0]}, best.safetensors holds "
                     f"epoch {got[1]}; the uninterrupted run: {want_best[0]}")
        for name in ("model.safetensors", "best.safetensors"):
            a, b = tensors(os.path.join(whole, name)), tensors(os.path.join(final, name))
            if a != b:
                sys.exit(f"{point}: {name} differs from the uninterrupted run's")
        print(f"killed after {point}, {'resumed' if resume else 'started again'}: best epoch "
              f"{got[0]} in summary.json and best.safetensors, models identical")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
