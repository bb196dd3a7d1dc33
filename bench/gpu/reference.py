#!/usr/bin/env python3
"""bench/gpu/reference: examples/cifar10_fast.cpp's recipe in PyTorch, the GPU reference.

The recipe: torchvision's resnet18(num_classes=10) with the library's CifarStem (conv1 a 3x3
stride-1 convolution, padding 1, no bias; no max-pool), SGD (momentum 0.9, Nesterov, weight
decay 5e-4 on weights only, none on BatchNorm and biases, as the library's optimizer groups
them), cross-entropy with label smoothing 0.1, batch 512, bfloat16 autocast, channels-last.

Two modes:

  throughput  images/s of the training step on one synthetic batch that lives on the GPU
              (what users would otherwise run), one --variant per process:
                eager-fp32  float32, contiguous, eager
                eager       bf16 autocast + channels-last, eager
                graph       eager's step (forward, backward, optimizer) captured whole with
                            torch.cuda.graph after warm-up steps on a side stream, replayed
                compile     torch.compile(model) with eager's autocast and layout
              Rounds of --steps steps, the device synchronised only at each round's ends;
              the median round's images/s.

  train       the recipe on CIFAR-10 (the official binary files in --data-dir), data on the
              GPU from the start, random crops (reflect padding 4) and flips drawn on the GPU,
              one-cycle rate (OneCycleLR: peak 0.4, pct_start 0.25, cosine, momentum not
              cycled) over --epochs, the test split scored after each epoch. Prints each
              epoch's test accuracy and seconds (training + that evaluation, as the library's
              metrics.csv counts them) and the sum of epoch seconds until the test accuracy
              first reaches --target.

    python bench/gpu/reference.py throughput --variant eager [--steps 50 --rounds 5 --json F]
    python bench/gpu/reference.py train --data-dir DIR/cifar-10-batches-bin [--epochs 24]
                                        [--target 0.94] [--compile] [--json F]
"""

import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import torchvision

MEAN = (0.4914, 0.4822, 0.4465)  # the library's CIFAR-10 statistics (dsl/datasets.hpp)
STD = (0.2470, 0.2435, 0.2616)


def cifar_resnet18(classes=10):
    model = torchvision.models.resnet18(num_classes=classes)
    model.conv1 = torch.nn.Conv2d(3, 64, kernel_size=3, stride=1, padding=1, bias=False)
    torch.nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.maxpool = torch.nn.Identity()
    return model


def sgd(model, lr):
    decay = [p for p in model.parameters() if p.dim() > 1]
    no_decay = [p for p in model.parameters() if p.dim() <= 1]
    return torch.optim.SGD([{"params": decay, "weight_decay": 5e-4},
                            {"params": no_decay, "weight_decay": 0.0}],
                           lr=lr, momentum=0.9, nesterov=True)


def setup(variant, device):
    model = cifar_resnet18().to(device)
    amp = variant != "eager-fp32"
    if amp:
        model = model.to(memory_format=torch.channels_last)
    model.train()
    return model, amp


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_name(device):
    return torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"


def make_step(model, opt, amp, device, cache=True):
    def step(x, y):
        opt.zero_grad(set_to_none=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp,
                            cache_enabled=cache):
            loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()
        return loss.detach()
    return step


def throughput(args):
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(0)
    model, amp = setup(args.variant, device)
    opt = sgd(model, 0.4)
    x = torch.randn(args.batch, 3, 32, 32, device=device)
    if amp:
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (args.batch,), device=device)

    net = torch.compile(model) if args.variant == "compile" else model
    step = make_step(net, opt, amp, device, cache=args.variant != "graph")
    started = time.perf_counter()
    if args.variant == "graph":
        # PyTorch's whole-network capture (CUDA semantics notes): warm up on a side stream,
        # capture with gradients set to None, replay.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(args.warmup):
                step(x, y)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        # The same step (its zero_grad only sets the gradients to None: no kernel), with
        # autocast's weight cache off, as capture needs.
        with torch.cuda.graph(graph):
            step(x, y)
        run = graph.replay
    else:
        for _ in range(args.warmup):
            step(x, y)
        run = lambda: step(x, y)  # noqa: E731
    sync(device)
    setup_seconds = time.perf_counter() - started

    rates = []
    for _ in range(args.rounds):
        sync(device)
        t0 = time.perf_counter()
        for _ in range(args.steps):
            run()
        sync(device)
        rates.append(args.steps * args.batch / (time.perf_counter() - t0))
    rate = statistics.median(rates)
    print(f"reference {args.variant}: ResNet-18 (CifarStem) | batch {args.batch} | "
          f"{args.rounds} rounds x {args.steps} steps (after {args.warmup} warm-up, "
          f"{setup_seconds:.1f} s) | {device_name(device)} | torch "
          f"{torch.__version__} | {rate:.0f} images/s")
    result = {"benchmark": "reference.py throughput", "variant": args.variant,
              "device": device_name(device), "torch": torch.__version__,
              "batch": args.batch, "steps": args.steps, "rounds": args.rounds,
              "warmup": args.warmup, "setup_seconds": setup_seconds,
              "images_per_second": rate, "round_images_per_second": rates}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


def read_cifar(directory, names, device, limit=0):
    images, labels = [], []
    for name in names:
        path = os.path.join(directory, name)
        with open(path, "rb") as f:
            raw = f.read()
        if len(raw) % 3073 != 0:
            sys.exit(f"reference.py: {path}: expected whole 3073-byte records, found "
                     f"{len(raw)} bytes")
        t = torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(-1, 3073)
        labels.append(t[:, 0].long())
        images.append(t[:, 1:].view(-1, 3, 32, 32))
    x = torch.cat(images)
    y = torch.cat(labels)
    if limit:
        x, y = x[:limit], y[:limit]
    x, y = x.to(device), y.to(device)
    mean = torch.tensor(MEAN, device=device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=device).view(1, 3, 1, 1)
    return (x.float() / 255.0 - mean) / std, y


def crop_flip(x, pad=4):
    """Random crops of the reflect-padded batch and mirrors of half of it, on the GPU."""
    n, _, h, w = x.shape
    padded = F.pad(x, (pad, pad, pad, pad), mode="reflect")
    dy = torch.randint(0, 2 * pad + 1, (n, 1), device=x.device)
    dx = torch.randint(0, 2 * pad + 1, (n, 1), device=x.device)
    rows = (dy + torch.arange(h, device=x.device))[:, None, :, None]
    cols = (dx + torch.arange(w, device=x.device))[:, None, None, :]
    idx = torch.arange(n, device=x.device)[:, None, None, None]
    chan = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    out = padded[idx, chan, rows, cols]
    flip = torch.rand(n, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], out.flip(3), out)


def train(args):
    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    torch.manual_seed(args.seed)
    started = time.perf_counter()
    train_x, train_y = read_cifar(args.data_dir, [f"data_batch_{i}.bin" for i in range(1, 6)],
                                  device, args.limit)
    test_x, test_y = read_cifar(args.data_dir, ["test_batch.bin"], device, args.limit)
    test_x = test_x.contiguous(memory_format=torch.channels_last)
    model, amp = setup("eager", device)
    opt = sgd(model, args.lr)
    steps_per_epoch = train_x.shape[0] // args.batch  # the last partial batch is dropped
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=args.lr, total_steps=args.epochs * steps_per_epoch, pct_start=0.25,
        anneal_strategy="cos", cycle_momentum=False, div_factor=25.0, final_div_factor=1e4)
    net = torch.compile(model) if args.compile else model
    step = make_step(net, opt, amp, device)
    print(f"reference train: ResNet-18 (CifarStem) | CIFAR-10 {train_x.shape[0]} train / "
          f"{test_x.shape[0]} test from {args.data_dir} | batch {args.batch} | "
          f"{args.epochs} epochs | {'torch.compile' if args.compile else 'eager'} | "
          f"{device_name(device)} | torch {torch.__version__} | data on the device in "
          f"{time.perf_counter() - started:.1f} s", flush=True)

    epochs, total, reached = [], 0.0, None
    for epoch in range(1, args.epochs + 1):
        sync(device)
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(train_x.shape[0], device=device)
        loss_sum = torch.zeros((), device=device)
        for i in range(steps_per_epoch):
            idx = order[i * args.batch:(i + 1) * args.batch]
            x = crop_flip(train_x[idx]).contiguous(memory_format=torch.channels_last)
            loss_sum += step(x, train_y[idx])
            sched.step()
        model.eval()
        correct = torch.zeros((), device=device, dtype=torch.long)
        with torch.no_grad(), torch.autocast(device.type, dtype=torch.bfloat16):
            for i in range(0, test_x.shape[0], 1000):
                out = net(test_x[i:i + 1000])
                correct += (out.argmax(1) == test_y[i:i + 1000]).sum()
        acc = correct.item() / test_x.shape[0]
        seconds = time.perf_counter() - t0
        total += seconds
        if reached is None and acc >= args.target:
            reached = total
        epochs.append({"epoch": epoch, "train_loss": loss_sum.item() / steps_per_epoch,
                       "test_acc": acc, "seconds": seconds, "cumulative_seconds": total})
        print(f"epoch {epoch:2d} | train loss {epochs[-1]['train_loss']:.4f} | test acc "
              f"{100 * acc:.2f}% | {seconds:.2f} s | {total:.2f} s in all", flush=True)
    wall = time.perf_counter() - started
    if reached is None:
        print(f"reference train: did not reach {100 * args.target:.0f}% (best "
              f"{100 * max(e['test_acc'] for e in epochs):.2f}%); {total:.2f} s of epochs, "
              f"{wall:.1f} s wall")
    else:
        print(f"reference train: {100 * args.target:.0f}% reached after {reached:.2f} s of "
              f"epochs; {total:.2f} s of epochs, {wall:.1f} s wall")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"benchmark": "reference.py train", "device": device_name(device),
                       "torch": torch.__version__, "compile": args.compile,
                       "epochs": epochs, "target": args.target,
                       "seconds_to_target": reached, "epoch_seconds": total,
                       "wall_seconds": wall}, f, indent=2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    t = sub.add_parser("throughput")
    t.add_argument("--variant", choices=["eager-fp32", "eager", "graph", "compile"],
                   required=True)
    t.add_argument("--batch", type=int, default=512)
    t.add_argument("--steps", type=int, default=50)
    t.add_argument("--rounds", type=int, default=5)
    t.add_argument("--warmup", type=int, default=5)
    t.add_argument("--device", default="cuda", help="cuda (the benchmark); cpu: a smoke run")
    t.add_argument("--json")
    r = sub.add_parser("train")
    r.add_argument("--data-dir", required=True,
                   help="the folder holding data_batch_{1..5}.bin and test_batch.bin")
    r.add_argument("--epochs", type=int, default=24)
    r.add_argument("--batch", type=int, default=512)
    r.add_argument("--lr", type=float, default=0.4)
    r.add_argument("--target", type=float, default=0.94)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--compile", action="store_true")
    r.add_argument("--limit", type=int, default=0,
                   help="only the first N images of each split (a smoke run; 0: all)")
    r.add_argument("--device", default="cuda", help="cuda (the benchmark); cpu: a smoke run")
    r.add_argument("--json")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("reference.py: expected a CUDA device, found none "
                 f"(torch {torch.__version__}, CUDA {torch.version.cuda})")
    if args.mode == "throughput" and args.variant == "graph" and not args.device.startswith("cuda"):
        parser.error("--variant graph captures CUDA graphs: it needs --device cuda")
    if args.mode == "throughput":
        if args.batch < 2 or args.steps < 1 or args.rounds < 1 or args.warmup < 1:
            parser.error("--batch >= 2, --steps >= 1, --rounds >= 1, --warmup >= 1")
        throughput(args)
    else:
        if args.epochs < 1 or args.batch < 2 or not 0 < args.target <= 1:
            parser.error("--epochs >= 1, --batch >= 2, 0 < --target <= 1")
        train(args)


if __name__ == "__main__":
    main()
