#!/usr/bin/env python3
"""The docs check, on a small tree with docs it must pass and docs it must reject."""
import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import snippets  # noqa: E402

EXAMPLE = """\
// An example with a region the docs quote.
#include <pipeline/pipeline.hpp>

void f() {
    // [docs:stages]
    // clang-format off
    constexpr auto e = Load<FashionMNIST>
                     | Model<ResNet18>;
    // clang-format on
    // [docs:end]
}
"""

HEADER = """\
static_assert(is_loss<L>,
              "pipeline: Loss<L> takes a "
              "loss");
static_assert(unique, "pipeline: two Loss stages");
"""

COMPILE_FAIL = "// EXPECT: pipeline: Loss<L> takes\n"

GOOD_DOC = """\
# Doc

```cpp
constexpr auto e = Load<FashionMNIST>
                 | Model<ResNet18>;
```

```
error: static assertion failed: pipeline: Loss<L> takes a loss
```

| a | b |
| --- | --- |
| `x \\| y` | 2 |
"""


class Snippets(unittest.TestCase):
    def run_on(self, doc, example=EXAMPLE):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for rel, text in {"examples/a.cpp": example, "docs/x.md": doc, "README.md": "",
                              "include/pipeline/stages.hpp": HEADER,
                              "tests/compile_fail/wrong.cpp": COMPILE_FAIL}.items():
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text, encoding="utf-8")
            (root / "tests" / "consumer").mkdir()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                rc = snippets.main(["snippets.py", tmp])
            return rc, out.getvalue()

    def test_docs_that_match_pass(self):
        rc, out = self.run_on(GOOD_DOC)
        self.assertEqual(rc, 0, out)

    def test_a_drifted_snippet_fails_with_place_and_diff(self):
        rc, out = self.run_on(GOOD_DOC.replace("Model<ResNet18>;", "Model<ResNet34>;"))
        self.assertEqual(rc, 1)
        self.assertIn("docs/x.md:3:", out)
        self.assertIn("examples/a.cpp:5 [docs:stages]", out)
        self.assertIn("+                 | Model<ResNet34>;", out)

    def test_a_fragment_that_is_in_no_example_fails(self):
        rc, out = self.run_on(GOOD_DOC.replace("```cpp\n", "```cpp\nusing P = int;\n"))
        self.assertEqual(rc, 1)
        self.assertIn("docs/x.md:3:", out)

    def test_an_outdated_error_message_fails(self):
        rc, out = self.run_on(GOOD_DOC.replace("takes a loss", "takes a loss (CrossEntropy)"))
        self.assertEqual(rc, 1)
        self.assertIn("docs/x.md:9: quotes a static_assert message that no header has", out)

    def test_an_error_no_compile_fail_test_expects_fails(self):
        rc, out = self.run_on(GOOD_DOC.replace("pipeline: Loss<L> takes a loss",
                                               "pipeline: two Loss stages"))
        self.assertEqual(rc, 1)
        self.assertIn("docs/x.md:9: no compile-fail test expects this message", out)

    def test_a_row_cut_off_from_its_table_fails(self):
        rc, out = self.run_on(GOOD_DOC + "\nA paragraph.\n\n| `z` | 3 |\n")
        self.assertEqual(rc, 1)
        self.assertIn("docs/x.md:18: table rows without a header", out)
        rc, out = self.run_on(GOOD_DOC + "| 1 | 2 | 3 |\n")
        self.assertEqual(rc, 1)
        self.assertIn("docs/x.md:15: 3 cells in a table of 2", out)

    def test_an_unterminated_region_fails(self):
        rc, out = self.run_on(GOOD_DOC, EXAMPLE.replace("    // [docs:end]\n", ""))
        self.assertEqual(rc, 1)
        self.assertIn("examples/a.cpp:5: [docs:stages] never ended", out)


if __name__ == "__main__":
    unittest.main()
