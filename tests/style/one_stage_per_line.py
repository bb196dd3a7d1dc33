#!/usr/bin/env python3
"""Fails when a pipeline expression puts two stages on one line.

An experiment is read and diffed stage by stage (STYLE.md), so every `|` that composes
stages must begin its line:

    constexpr auto experiment = Load<CIFAR10>
                              | Model<ResNet18>
                              | Loss<CrossEntropy>;

A `|` composes stages when the operand before it ends with a stage (`Loss<...>`) or the
operand after it starts with one; `||`, `|=` and a `|` between other operands are other
code and ignored, and so are comments and string literals (a printed experiment such as
"Load<FashionMNIST> | Model<ResNet18>" is one line on purpose). Code examples in `//!`
doc comments (lines indented four spaces past the `//!`) and ```cpp blocks in Markdown
are checked like code.

Usage: one_stage_per_line.py ROOT [PATH...]   (default paths: DEFAULT_PATHS, under ROOT)
Prints `path:line: ...` for each offence and exits 1 if there is any.
"""
import re
import sys
from pathlib import Path

STAGES = ("Load", "Augment", "Model", "Loss", "Optimizer", "Schedule", "Train")
DEFAULT_PATHS = ("README.md", "docs", "examples", "tests", "bench", "include")
CPP_SUFFIXES = {".cpp", ".hpp", ".h", ".cc"}

_stage_after = re.compile(r"\s*(?:::)?(?:pipeline::)?(?:%s)\s*<" % "|".join(STAGES))
_doc_code = re.compile(r"^(\s*)//!(?= {4,}\S)")
_fence = re.compile(r"^\s*```\s*(\S*)")


def blank_comments_and_literals(text):
    """`text` with comments and the insides of string and character literals replaced
    by spaces; newlines (and so line numbers and columns) stay where they were."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            blank(i, end)
            i = end
        elif c == "R" and text.startswith('R"', i) and not (i and text[i - 1].isalnum()):
            m = re.match(r'R"([^(\s]*)\(', text[i:])
            if not m:
                i += 1
                continue
            close = ")" + m.group(1) + '"'
            end = text.find(close, i + m.end())
            end = n if end < 0 else end + len(close)
            blank(i + 2, end - 1)
            i = end
        elif c in "\"'":
            if c == "'" and i and text[i - 1].isalnum():  # digit separator: 30'000
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def cpp_view(text):
    """The C++ a source file's reader sees: code, plus `//!` code examples."""
    lines = text.split("\n")
    lines = [_doc_code.sub(lambda m: m.group(1) + "   ", line) for line in lines]
    return blank_comments_and_literals("\n".join(lines))


def markdown_view(text):
    """Only the ```cpp blocks of a Markdown file, other lines blank."""
    out, in_cpp, in_block = [], False, False
    for line in text.split("\n"):
        m = _fence.match(line)
        if m:
            if in_block:
                in_block = in_cpp = False
            else:
                in_block = True
                in_cpp = m.group(1).lower() in ("cpp", "c++", "cxx")
            out.append("")
        else:
            out.append(line if in_cpp else "")
    return blank_comments_and_literals("\n".join(out))


def _ends_with_stage(code, i):
    """Whether the operand that ends just before index `i` is a stage, `Name<...>`."""
    j = i - 1
    while j >= 0 and code[j].isspace():
        j -= 1
    if j < 0 or code[j] != ">":
        return False
    depth = 0
    while j >= 0:
        if code[j] == ">":
            depth += 1
        elif code[j] == "<":
            depth -= 1
            if depth == 0:
                break
        j -= 1
    j -= 1
    while j >= 0 and code[j].isspace():
        j -= 1
    end = j + 1
    while j >= 0 and (code[j].isalnum() or code[j] == "_"):
        j -= 1
    return code[j + 1:end] in STAGES


def offences(code):
    """(line, column) of the first stage-composing `|` with code before it on its line,
    for every such line."""
    found = {}
    for m in re.finditer(r"(?<![|])\|(?![|=])", code):
        i = m.start()
        if not (_stage_after.match(code, i + 1) or _ends_with_stage(code, i)):
            continue
        line_start = code.rfind("\n", 0, i) + 1
        if code[line_start:i].strip():
            found.setdefault(code.count("\n", 0, i) + 1, i - line_start + 1)
    return sorted(found.items())


def check_file(path, shown):
    text = path.read_text(encoding="utf-8")
    code = markdown_view(text) if path.suffix == ".md" else cpp_view(text)
    lines = text.split("\n")
    return [f"{shown}:{line}:{col}: two stages on one line; begin each `| Stage<...>` on "
            f"its own line (STYLE.md, one stage per line)\n    {lines[line - 1].strip()}"
            for line, col in offences(code)]


def files_under(root, rel):
    path = root / rel
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*")
                  if p.is_file() and (p.suffix in CPP_SUFFIXES or p.suffix == ".md"))


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    rels = argv[2:] or DEFAULT_PATHS
    messages, count = [], 0
    for rel in rels:
        if not (root / rel).exists():
            messages.append(f"{rel}: no such file or directory under {root}")
            continue
        for path in files_under(root, rel):
            count += 1
            messages += check_file(path, path.relative_to(root).as_posix())
    for message in messages:
        print(message)
    if messages:
        print(f"{len(messages)} problem(s) in {count} files")
        return 1
    print(f"one stage per line: {count} files checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
