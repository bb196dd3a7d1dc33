#!/usr/bin/env python3
"""Keeps the docs' code honest: every snippet must be something the build compiles.

Checked in README.md and docs/*.md:

1. Each ```cpp block equals a compiled file under examples/ or tests/consumer/, either
   the whole file or a region marked in it

       // [docs:name]
       ...
       // [docs:end]

   compared without `// clang-format off/on` lines, common indentation, trailing spaces
   and leading or trailing blank lines.
2. Each quoted `error: static assertion failed: <message>` line (in any block) quotes a
   rule's message exactly as a static_assert in include/pipeline/ spells it, and a
   compile-fail test's `// EXPECT:` regex matches it, so it is the first error the
   compiler really prints for some mistake.
3. Each Markdown table has a header and a `| --- |` line, and every row as many cells as
   the header (a stray row after a paragraph renders as text).

Usage: snippets.py ROOT. Prints `file:line: ...` (with a diff against the closest
compiled code) for each problem and exits 1 if there is any.
"""
import difflib
import re
import sys
import textwrap
from pathlib import Path

SOURCES = ("examples", "tests/consumer")
DOCS = ("README.md", "docs")
CPP_FENCES = {"cpp", "c++", "cxx"}
_begin = re.compile(r"^\s*// \[docs:([\w-]+)\]\s*$")
_end = re.compile(r"^\s*// \[docs:end\]\s*$")
_formatter = re.compile(r"^\s*// clang-format (off|on)\s*$")
_fence = re.compile(r"^\s*```\s*(\S*)")
_assert_quote = re.compile(r"error: static assertion failed: (.*\S)")
_literal_run = re.compile(r'"(?:[^"\\\n]|\\.)*"(?:\s*"(?:[^"\\\n]|\\.)*")*')
_literal = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def normalised(lines):
    """The lines as compared: no formatter switches, dedented, no blank ends."""
    kept = [line.rstrip() for line in lines if not _formatter.match(line)]
    text = textwrap.dedent("\n".join(kept)).strip("\n")
    return text.split("\n") if text else []


def compiled_snippets(root):
    """{label: lines} for every whole file and every marked region under SOURCES, and
    the problems with the markers."""
    found, problems = {}, []
    for rel in SOURCES:
        for path in sorted((root / rel).rglob("*.cpp")):
            shown = path.relative_to(root).as_posix()
            lines = path.read_text(encoding="utf-8").split("\n")
            found[shown] = normalised(lines)
            name, start = None, 0
            for number, line in enumerate(lines, 1):
                if _end.match(line) and name:
                    found[f"{shown}:{start} [docs:{name}]"] = normalised(
                        lines[start:number - 1])
                    name = None
                elif _end.match(line):
                    problems.append(f"{shown}:{number}: [docs:end] without a region")
                elif m := _begin.match(line):
                    if name:
                        problems.append(f"{shown}:{start}: [docs:{name}] never ended")
                    name, start = m.group(1), number
            if name:
                problems.append(f"{shown}:{start}: [docs:{name}] never ended")
    return found, problems


def doc_files(root):
    for rel in DOCS:
        path = root / rel
        yield from [path] if path.is_file() else sorted(path.glob("*.md"))


def blocks(lines):
    """(first line number, fence language, lines) of each fenced block."""
    start, lang = None, ""
    for number, line in enumerate(lines, 1):
        m = _fence.match(line)
        if not m:
            continue
        if start is None:
            start, lang = number, m.group(1).lower()
        else:
            yield start, lang, lines[start:number - 1]
            start = None


_string_macro = re.compile(
    r'^#define\s+(\w+)[ \t]*(?:\\\n[ \t]*)?((?:"(?:[^"\\\n]|\\.)*"[ \t]*(?:\\\n[ \t]*)?)+)$', re.M)


def static_assert_messages(root):
    """Every run of adjacent string literals in the library's headers, joined, with the
    macros that stand for string literals (`#define NAME "..." "..."`) written out."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "include").rglob("*.hpp"))]
    macros = {m.group(1): m.group(2).replace("\\\n", " ")
              for text in texts for m in _string_macro.finditer(text)}
    messages = set()
    for text in texts:
        for name, value in macros.items():
            text = re.sub(rf"\b{name}\b", lambda _: value, text)
        for run in _literal_run.finditer(text):
            joined = "".join(_literal.findall(run.group(0)))
            messages.add(joined.replace('\\"', '"').replace("\\\\", "\\"))
    return messages


def expect_patterns(root):
    patterns = []
    for path in sorted((root / "tests" / "compile_fail").glob("*.cpp")):
        first = path.read_text(encoding="utf-8").split("\n", 1)[0]
        if m := re.match(r"^// EXPECT: (.+)$", first):
            if m.group(1) != "BUILDS":
                patterns.append(m.group(1))
    return patterns


def check_snippet(shown, start, body, snippets):
    wanted = normalised(body)
    if wanted in snippets.values():
        return []
    best = max(snippets, key=lambda k: difflib.SequenceMatcher(
        None, "\n".join(snippets[k]), "\n".join(wanted)).ratio())
    diff = "\n".join(difflib.unified_diff(snippets[best], wanted, best, f"{shown}:{start}",
                                          lineterm=""))
    return [f"{shown}:{start}: this cpp block is no compiled example; make it a file or a "
            f"// [docs:name] ... // [docs:end] region under {' or '.join(SOURCES)}.\n"
            f"Closest: {best}\n{diff}"]


def check_error_quotes(shown, start, body, messages, patterns):
    problems = []
    for offset, line in enumerate(body, 1):
        m = _assert_quote.search(line)
        if not m:
            continue
        where = f"{shown}:{start + offset}"
        if m.group(1) not in messages:
            near = difflib.get_close_matches(m.group(1), messages, 1, 0.5)
            problems.append(f"{where}: quotes a static_assert message that no header has:\n"
                            f"  quoted:  {m.group(1)}\n"
                            f"  closest: {near[0] if near else '(none)'}")
        elif not any(re.search(p, line) for p in patterns):
            problems.append(f"{where}: no compile-fail test expects this message as its "
                            f"first error (tests/compile_fail/*.cpp, `// EXPECT:`)")
    return problems


def cells(row):
    return len(re.split(r"(?<!\\)\|", row.strip().strip("|")))


def check_tables(shown, lines):
    problems, in_block, number = [], False, 0
    while number < len(lines):
        line = lines[number]
        if _fence.match(line):
            in_block = not in_block
        if in_block or not line.lstrip().startswith("|"):
            number += 1
            continue
        first = number
        while number < len(lines) and lines[number].lstrip().startswith("|"):
            number += 1
        table = lines[first:number]
        if len(table) < 2 or not re.match(r"^\s*\|(\s*:?-{3,}:?\s*\|)+\s*$", table[1]):
            problems.append(f"{shown}:{first + 1}: table rows without a header and a "
                            f"`| --- |` line (a row cut off from its table?)")
            continue
        width = cells(table[0])
        problems += [f"{shown}:{first + k + 1}: {cells(row)} cells in a table of {width}"
                     for k, row in enumerate(table) if cells(row) != width]
    return problems


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1])
    snippets, problems = compiled_snippets(root)
    messages = static_assert_messages(root)
    patterns = expect_patterns(root)
    checked = 0
    for path in doc_files(root):
        shown = path.relative_to(root).as_posix()
        lines = path.read_text(encoding="utf-8").split("\n")
        problems += check_tables(shown, lines)
        for start, lang, body in blocks(lines):
            if lang in CPP_FENCES:
                checked += 1
                problems += check_snippet(shown, start, body, snippets)
            problems += check_error_quotes(shown, start, body, messages, patterns)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in the docs")
        return 1
    print(f"docs: {checked} cpp blocks match compiled examples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
