#!/usr/bin/env python3
"""bench/python_reference: PyTorch's eager training loop, the reference for bench_overhead.

The model, batch and optimizer of bench/overhead.cpp: torchvision's resnet18(num_classes=10)
with the library's CifarStem (include/pipeline/models/resnet.hpp: conv1 a 3x3 stride-1
convolution with padding 1 and no bias, no max-pool), one synthetic 3x32x32 batch made once
on the CPU, SGD(lr 0.05, momentum 0.9, nesterov, weight decay 5e-4) over every parameter,
cross-entropy. Times each step; prints the median step time and images/s.

    python bench/python_reference.py [--batch 64] [--steps 80] [--warmup 3]
                                     [--threads N (default: every core)] [--json FILE]
"""

import argparse
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F
import torchvision


def cifar_resnet18(classes):
    model = torchvision.models.resnet18(num_classes=classes)
    # The library's CifarStem; torchvision's initialisation (Kaiming-normal, fan_out, ReLU),
    # as its own constructor gives every other convolution.
    model.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    torch.nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.maxpool = torch.nn.Identity()
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=80,
                        help="timed steps (bench_overhead's --rounds x --steps-per-round)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op CPU threads (0: every core, as bench_overhead)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if args.batch < 2 or args.steps < 1 or args.warmup < 0 or args.threads < 0:
        parser.error("--batch >= 2, --steps >= 1, --warmup >= 0, --threads >= 0")

    # bench_overhead's default is std::thread::hardware_concurrency(), os.cpu_count() here.
    threads = args.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    # Normalised images as bench_overhead feeds them (float32, about zero mean, unit std).
    x = (torch.randint(0, 256, (args.batch, 3, 32, 32), generator=gen).float() / 255.0
         - 0.5) / 0.25
    y = torch.randint(0, 10, (args.batch,), generator=gen)

    model = cifar_resnet18(10)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True,
                                weight_decay=5e-4)

    def step():
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(args.warmup):
        step()
    times_ms = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        step()
        times_ms.append(1000.0 * (time.perf_counter() - t0))
    median_ms = statistics.median(times_ms)
    rate = 1000.0 * args.batch / median_ms
    print(f"python_reference: ResNet-18 (CifarStem) | 10 classes | 3x32x32 synthetic batch "
          f"of {args.batch} | {args.steps} steps (after {args.warmup} warm-up) | cpu | "
          f"{threads} thread{'' if threads == 1 else 's'} | torch {torch.__version__} | "
          f"torchvision {torchvision.__version__}")
    print(f"median step {median_ms:.2f} ms | {rate:.1f} images/s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "python_reference", "torch": torch.__version__,
                       "torchvision": torchvision.__version__, "threads": threads,
                       "batch": args.batch, "steps": args.steps, "warmup": args.warmup,
                       "median_step_ms": median_ms, "images_per_second": rate,
                       "step_ms": times_ms}, f, indent=2)


if __name__ == "__main__":
    main()
