#!/usr/bin/env python3
"""Fails when the library reads a tensor's values on the host anywhere but host_read.hpp.

Such a read waits for the device. The loop keeps its sums on the device and reads them
once per epoch through pipeline::to_host and pipeline::host_value, which count every read
(include/pipeline/host_read.hpp; tests/unit/train/host_reads.cpp holds the loop to a
count that does not grow with the steps). A `.item()`, `.item<T>()`, `.cpu()` or
`.to(torch::kCPU ...)` elsewhere would read past the count, so none may appear in the
library's headers; comments and string literals are not code and are ignored.

Usage: host_reads.py ROOT   (checks ROOT/include/pipeline)
Prints `path:line: ...` for each offence and exits 1 if there is any.
"""
import re
import sys
from pathlib import Path

ALLOWED = {"host_read.hpp"}
SUFFIXES = {".hpp", ".ipp", ".h"}
_read = re.compile(
    r"\.\s*item\s*(?:<|\()"  # t.item<T>(), t.item()
    r"|\.\s*cpu\s*\("  # t.cpu()
    r"|\.\s*to\s*\(\s*(?:(?:torch|at|c10)::)?(?:Device\s*\(\s*)?(?:(?:torch|at|c10)::)?"
    r"(?:DeviceType::)?kCPU\b"  # t.to(torch::kCPU ...), t.to(torch::Device(torch::kCPU))
    r"|\.\s*to\s*\(\s*\"cpu\""  # t.to("cpu")
)
_string = re.compile(r'"(?:\\.|[^"\\])*"')


def code_of(line):
    """The line without a // comment and its string literals emptied ("cpu" kept)."""
    line = _string.sub(lambda m: m.group(0) if m.group(0) == '"cpu"' else '""', line)
    cut = line.find("//")
    return line if cut < 0 else line[:cut]


def offences(path):
    in_block = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line
        if in_block:
            end = code.find("*/")
            if end < 0:
                continue
            code = code[end + 2:]
            in_block = False
        start = code.find("/*")
        if start >= 0 and code.find("*/", start) < 0:
            in_block = True
            code = code[:start]
        code = re.sub(r"/\*.*?\*/", "", code)
        if _read.search(code_of(code)):
            yield number, line.strip()


def main(argv):
    root = Path(argv[1]) if len(argv) > 1 else Path(".")
    found = 0
    for path in sorted((root / "include" / "pipeline").rglob("*")):
        if path.suffix not in SUFFIXES or path.name in ALLOWED:
            continue
        for number, line in offences(path):
            found += 1
            print(f"{path}:{number}: a host read outside pipeline/host_read.hpp "
                  f"(use to_host or host_value, which count): {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
