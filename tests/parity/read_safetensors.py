#!/usr/bin/env python3
"""Reads a safetensors file the way `safetensors.torch.load_file` does, with the checks of
the reference (Rust) parser, and prints {"metadata": ..., "tensors": {name: [shape, sum]}}
as JSON. Debian bookworm has no python3-safetensors, so this stands in for it: a file the
C++ writer produces must pass every check here.

usage: /usr/bin/python3 read_safetensors.py FILE
"""
import json
import struct
import sys

import torch

DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
    "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32,
    "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
MAX_HEADER = 100_000_000


def fail(msg):
    print(f"read_safetensors: {msg}", file=sys.stderr)
    sys.exit(1)


def main(path):
    data = open(path, "rb").read()
    if len(data) < 8:
        fail("file shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if n > MAX_HEADER or 8 + n > len(data):
        fail(f"header length {n} out of range")
    raw = data[8:8 + n]
    if not raw.startswith(b"{"):
        fail("header does not start with '{'")
    header = json.loads(raw.decode("utf-8"))
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        fail("__metadata__ must map strings to strings")
    buffer = data[8 + n:]
    spans = []
    out = {}
    for name, info in header.items():
        dtype = DTYPES.get(info.get("dtype"))
        if dtype is None:
            fail(f"{name}: unknown dtype {info.get('dtype')}")
        shape = info["shape"]
        if not all(isinstance(d, int) and d >= 0 for d in shape):
            fail(f"{name}: bad shape {shape}")
        begin, end = info["data_offsets"]
        numel = 1
        for d in shape:
            numel *= d
        itemsize = torch.empty((), dtype=dtype).element_size()
        if end < begin or end - begin != numel * itemsize:
            fail(f"{name}: offsets {begin}..{end} do not hold {shape} {info['dtype']}")
        spans.append((begin, end, name))
        t = torch.frombuffer(bytearray(buffer[begin:end]), dtype=dtype) if numel else \
            torch.empty(0, dtype=dtype)
        t = t.reshape(shape)
        out[name] = [shape, float(t.double().sum())]
    expected = 0
    for begin, end, name in sorted(spans):
        if begin != expected:
            fail(f"{name}: data starts at {begin}, expected {expected} (gap or overlap)")
        expected = end
    if expected != len(buffer):
        fail(f"data holds {len(buffer)} bytes, the tensors cover {expected}")
    print(json.dumps({"metadata": metadata, "tensors": out}))


if __name__ == "__main__":
    main(sys.argv[1])
