#!/usr/bin/python3
"""--seeds N in several processes (train/seed_processes.hpp), on the CPU.

usage: fan_out.py BINARY WORKDIR

1. --seeds 3 --seed-procs 2 gives the same runs as --seeds 3 one after another: the
   summary JSON is equal number for number, every seed has its run directory, and each
   worker's output arrives line by line with its seed in front.
2. A worker that fails (no data) and a worker killed with SIGKILL end the parent with one
   error naming the seed and how it ended, after the other workers have finished; the
   parent never hangs.

BINARY is tests/distributed/target.cpp (a staged unfreeze on 288 Fashion-MNIST images);
launched without WORLD_SIZE it trains alone. Every worker runs one intra-op thread.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

ARGS = ["--device", "cpu", "--threads", "1", "--eval-limit", "48", "--seed", "5",
        "--no-weights"]
TIMEOUT = 300


def fail(message):
    print("FAILED: " + message)
    sys.exit(1)


def environment():
    env = dict(os.environ)
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT",
                 "PIPELINE_SEED_WORKER"):
        env.pop(name, None)
    return env


def run(binary, out, *extra):
    start = time.monotonic()
    p = subprocess.run([binary, *ARGS, "--out-dir", out, *extra], env=environment(),
                       capture_output=True, text=True, timeout=TIMEOUT)
    return p, time.monotonic() - start


def summary(out):
    files = glob.glob(os.path.join(out, "seeds-*.json"))
    if len(files) != 1:
        fail(f"{out}: expected one seeds-*.json, found {files}")
    return json.load(open(files[0]))


def children(pid):
    """The pids of `pid`'s child processes (the parent pid in each /proc/N/stat)."""
    found = []
    for stat in glob.glob("/proc/[0-9]*/stat"):
        try:
            fields = open(stat).read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.split("/")[2]))
    return found


def main():
    binary, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    # 1. The same runs, two at a time.
    one, t1 = run(binary, os.path.join(work, "sequential"), "--seeds", "3", "--seed-procs", "1")
    if one.returncode != 0:
        fail("sequential run: " + one.stdout[-2000:] + one.stderr[-2000:])
    two, t2 = run(binary, os.path.join(work, "parallel"), "--seeds", "3", "--seed-procs", "2")
    if two.returncode != 0:
        fail("--seed-procs 2: " + two.stdout[-3000:] + two.stderr[-2000:])
    a, b = summary(os.path.join(work, "sequential")), summary(os.path.join(work, "parallel"))
    if a != b:
        fail(f"summaries differ:\n{json.dumps(a, indent=1)}\n{json.dumps(b, indent=1)}")
    if [r["seed"] for r in b["runs"]] != [5, 6, 7]:
        fail(f"seeds {[r['seed'] for r in b['runs']]}, expected [5, 6, 7]")
    dirs = sorted(os.path.basename(d) for d in glob.glob(os.path.join(work, "parallel", "*-seed*")))
    # Two workers start together, so the directories' time stamps need not follow the seeds.
    if sorted(d[-5:] for d in dirs) != ["seed5", "seed6", "seed7"]:
        fail(f"run directories {dirs}")
    if "seeds 5 to 7: 2 at a time, each in its own process (1 thread each)" not in two.stdout:
        fail("no fan-out line in:\n" + two.stdout[:2000])
    for seed in (5, 6, 7):
        if not re.search(rf"^\[seed {seed}\] test: loss [0-9.]+ \| accuracy", two.stdout, re.M):
            fail(f"no '[seed {seed}] test:' line in:\n" + two.stdout[-3000:])
    print(f"3 seeds one after another: {t1:.1f} s; two at a time: {t2:.1f} s; "
          f"summaries equal ({len(b['runs'])} runs, mean test acc {b['mean']['test_acc']:.4f})")

    # 2a. Workers that fail: both seeds named, exit code 1, no hang.
    bad, t = run(binary, os.path.join(work, "bad"), "--seeds", "2", "--seed-procs", "2",
                 "--data-dir", os.path.join(work, "no-such-dir"))
    expected = "--seeds 2 in 2 processes: expected every seed's run to finish"
    if bad.returncode != 1 or expected not in bad.stderr \
            or "seed 5: exit code 1" not in bad.stderr or "seed 6: exit code 1" not in bad.stderr:
        fail(f"failing workers: exit {bad.returncode}\n{bad.stdout[-2000:]}\n{bad.stderr}")
    print(f"failing workers: exit 1 after {t:.1f} s: {bad.stderr.strip()[:300]}")

    # 2b. A worker killed mid-run: the other finishes, then one error names the killed seed.
    out = os.path.join(work, "killed")
    start = time.monotonic()
    parent = subprocess.Popen([binary, *ARGS, "--out-dir", out, "--seeds", "2",
                               "--seed-procs", "2"], env=environment(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    victim = None
    while time.monotonic() - start < TIMEOUT and parent.poll() is None:
        kids = children(parent.pid)
        if len(kids) == 2:
            victim = kids[0]
            time.sleep(0.5)  # let it start training
            os.kill(victim, signal.SIGKILL)
            break
        time.sleep(0.05)
    if victim is None:
        parent.kill()
        fail("never saw two worker processes")
    try:
        stdout, stderr = parent.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        parent.kill()
        fail("the parent hung after a worker was killed")
    elapsed = time.monotonic() - start
    if parent.returncode != 1 or "killed by signal 9" not in stderr:
        fail(f"killed worker: exit {parent.returncode}\n{stdout[-2000:]}\n{stderr}")
    survivors = re.findall(r"^\[seed (\d)\] test: loss", stdout, re.M)
    if len(survivors) != 1:
        fail(f"expected the other seed to finish, found test lines for {survivors}")
    print(f"killed worker: the other seed ({survivors[0]}) finished, exit 1 after "
          f"{elapsed:.1f} s: {stderr.strip()[:300]}")
    print("PASSED")


if __name__ == "__main__":
    main()
