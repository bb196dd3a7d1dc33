#!/usr/bin/python3
"""Parity fixtures: torchvision's own architectures, random weights, one input, logits.

For each architecture, builds the torchvision model (0.14 on Debian) with random weights
and randomised BatchNorm statistics (so eval-mode BatchNorm is not the identity), runs a
fixed input in eval mode, and writes into OUTDIR:

  <arch>.pth                  the state dict, torch.save (zip format)
  <arch>.safetensors          the same state dict as safetensors (written by the
                              specification below: Python's safetensors package is not
                              in Debian bookworm)
  resnet18.legacy.pth         the state dict in the legacy (non-zip) torch.save format
  <arch>.io.safetensors       `input` [2, 3, 64, 64] and torchvision's `logits` [2, 10]

Usage: /usr/bin/python3 make_fixtures.py OUTDIR
"""
import json
import os
import struct
import sys

import torch
import torchvision

ARCHS = ["resnet18", "resnet34", "resnet50", "mobilenet_v2", "mobilenet_v3_small",
         "mobilenet_v3_large"]
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
          torch.int64: "I64"}


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout: u64 LE header length, JSON header, raw LE data."""
    header = {}
    if metadata:
        header["__metadata__"] = metadata
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        data = t.numpy().tobytes() if t.dtype != torch.bfloat16 else \
            t.view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(path + ".tmp", path)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    for i, arch in enumerate(ARCHS):
        torch.manual_seed(1000 + i)
        model = getattr(torchvision.models, arch)(num_classes=10)
        with torch.no_grad():
            for m in model.modules():
                if isinstance(m, torch.nn.BatchNorm2d):
                    m.weight.uniform_(0.3, 0.8)
                    m.bias.normal_(0.0, 0.1)
                    m.running_mean.normal_(0.0, 0.1)
                    m.running_var.uniform_(0.5, 1.5)
                    m.num_batches_tracked.fill_(7)
                elif isinstance(m, torch.nn.Linear):
                    m.weight.normal_(0.0, 0.05)
                    m.bias.normal_(0.0, 0.05)
        model.eval()
        with torch.no_grad():
            logits = model(x)
        sd = model.state_dict()
        torch.save(sd, os.path.join(out, arch + ".pth"))
        if arch == "resnet18":
            torch.save(sd, os.path.join(out, arch + ".legacy.pth"),
                       _use_new_zipfile_serialization=False)
        write_safetensors(os.path.join(out, arch + ".safetensors"), sd,
                          {"mean": "0.485,0.456,0.406", "std": "0.229,0.224,0.225"})
        write_safetensors(os.path.join(out, arch + ".io.safetensors"),
                          {"input": x, "logits": logits})
        print(f"{arch}: {len(sd)} tensors, logits max |.| {logits.abs().max():.3f}")


if __name__ == "__main__":
    main()
