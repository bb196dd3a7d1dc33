#!/usr/bin/python3
"""Data-parallel throughput on the CPU: the same experiment as 1, 2 and 3 processes over
c10d's Gloo on 127.0.0.1, each process one intra-op thread, side by side in one run.
Prints each world size's training images/s (the global figure rank 0 reports, per epoch)
and its scaling efficiency, images/s over W times the one-process figure. Not a test.

usage: ddp_scaling.py BINARY [LIMIT] [WORLDS...]
  BINARY  build/tests/pipeline_distributed_target (ResNet18 on 28x28 Fashion-MNIST, global
          batch 48; Layer3, Layer4 and Head train in epoch 2, Layer4 and Head in epoch 1)
"""
import os
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(binary, world, limit):
    args = [binary, "--device", "cpu", "--threads", "1", "--eval-limit", "48",
            "--limit", str(limit), "--out-dir", ""]
    port = free_port()
    procs = []
    for rank in range(world):
        env = dict(os.environ, OMP_NUM_THREADS="1")
        if world > 1:
            env.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                       MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
        procs.append(subprocess.Popen(args, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        sys.exit(f"world {world} failed:\n{outs[0]}")
    rows = [line.split() for line in outs[0].splitlines() if line[:5].strip().isdigit()]
    return [float(r[-2]) for r in rows]  # img/s column, per epoch


def main():
    binary = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 1920
    worlds = [int(w) for w in sys.argv[3:]] or [1, 2, 3]
    print(f"{os.cpu_count()} CPU cores; {limit} training images, global batch 48, "
          f"1 thread per process")
    base = None
    print("| processes | epoch 1 img/s | epoch 2 img/s | efficiency (epoch 2) |")
    print("| --- | --- | --- | --- |")
    for w in worlds:
        ips = run(binary, w, limit)
        if base is None and w == 1:
            base = ips
        eff = f"{ips[1] / (w * base[1]):.0%}" if base else "-"
        print(f"| {w} | {ips[0]:.0f} | {ips[1]:.0f} | {eff} |", flush=True)


if __name__ == "__main__":
    main()
