#!/usr/bin/env python3
"""The one-stage-per-line check, on snippets it must reject and snippets it must pass."""
import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import one_stage_per_line as check  # noqa: E402

GOOD_CPP = """\
#include <pipeline/dsl.hpp>
using namespace pipeline;
// clang-format off
constexpr auto experiment = Load<FashionMNIST, Subset<30'000>>
                          | Augment<MixUp, {.alpha = 0.2}>  // a comment: Load<A> | Model<B>
                          | Model<ResNet18,
                                  Frozen<Stem>,
                                  FreezeRandomInit>
                          | Loss<SoftTargetCE>
                          | Optimizer<SGD, {.lr = 0.1}>;
constexpr auto tail = cifar
                    | Augment<HorizontalFlip>
                    | tail;
// clang-format on
/* Load<A> | Model<B> */
bool either = a || b;
int bits = flags | other;
int more = x > y | z;
auto printed = "Load<FashionMNIST> | Model<ResNet18>";
auto raw = R"(Load<FashionMNIST> | Model<ResNet18>)";
char bar = '|';
//! An example in a doc comment, one stage per line:
//!
//!     constexpr auto e = Load<FashionMNIST>
//!                      | Model<ResNet18>;
//! Prose may say `Load<A> | Model<B>`: only indented code is checked.
"""

GOOD_MD = """\
# Title

```cpp
constexpr auto e = Load<FashionMNIST>
                 | Model<ResNet18>;
```

The printed form is one line, and not C++:

```
experiment: Load<FashionMNIST> | Model<ResNet18> | Loss<CrossEntropy>
```
"""


class OneStagePerLine(unittest.TestCase):
    def lines_flagged(self, text, name="x.cpp"):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / name
            path.write_text(text, encoding="utf-8")
            return [int(m.split(":")[1]) for m in check.check_file(path, name)]

    def test_good_code_passes(self):
        self.assertEqual(self.lines_flagged(GOOD_CPP), [])
        self.assertEqual(self.lines_flagged(GOOD_MD, "x.md"), [])

    def test_two_stages_on_one_line(self):
        self.assertEqual(self.lines_flagged(
            "constexpr auto e = Load<FashionMNIST> | Model<ResNet18>\n"
            "                 | Loss<CrossEntropy>;\n"), [1])

    def test_what_clang_format_did(self):
        # The shape clang-format gave examples/quickstart.cpp: a stage split inside its
        # template arguments and the rest joined on one line.
        self.assertEqual(self.lines_flagged(
            "constexpr auto experiment =\n"
            "    Load<\n"
            "        FashionMNIST, Subset<30000>,\n"
            "        Split<\n"
            "            0.1>> | Model<ResNet18> | Loss<CrossEntropy> | Train<>;\n"), [5])

    def test_a_named_pipeline_then_a_stage(self):
        self.assertEqual(self.lines_flagged("auto p = cifar | Augment<HorizontalFlip>;\n"),
                         [1])
        self.assertEqual(self.lines_flagged("auto p = Model<ResNet18> | tail;\n"), [1])

    def test_doc_comment_example(self):
        self.assertEqual(self.lines_flagged(
            "//! Runs it.\n"
            "//!\n"
            "//!     constexpr auto e = Load<FashionMNIST> | Model<ResNet18> |\n"
            "//!     Loss<CrossEntropy>;\n"), [3])

    def test_markdown_cpp_block(self):
        self.assertEqual(self.lines_flagged(
            "Text.\n\n```cpp\nconstexpr auto e = Load<FashionMNIST>\n"
            "                 | Model<ResNet18> | Loss<CrossEntropy>;\n```\n", "x.md"), [5])

    def test_main_names_file_and_line_and_fails(self):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "examples").mkdir()
            (root / "examples" / "good.cpp").write_text(GOOD_CPP, encoding="utf-8")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(check.main(["x", tmp, "examples"]), 0)
            (root / "examples" / "bad.cpp").write_text(
                "\nauto p = Load<CIFAR10> | Model<ResNet18>;\n", encoding="utf-8")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(check.main(["x", tmp, "examples"]), 1)
            self.assertIn("examples/bad.cpp:2:", out.getvalue())
            self.assertNotIn("good.cpp", out.getvalue())
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(check.main(["x", tmp, "no/such/dir"]), 1)


if __name__ == "__main__":
    unittest.main()
