#!/usr/bin/env python3
"""The host-read check, on headers it must reject and headers it must pass."""
import contextlib
import io
import sys
import tempfile
import unittest
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, str(Path(__file__).resolve().parent))
import host_reads as check  # noqa: E402

GOOD = """\
#include <pipeline/host_read.hpp>
// a comment may say loss.item<double>() or x.cpu()
/* and a block comment
   t.to(torch::kCPU) */
auto v = host_value<double>(loss_sum);
auto h = to_host(t, torch::kFloat64);
auto d = torch::Device(torch::kCPU);
auto s = "t.item()";
auto m = items.size();
"""

BAD = {
    "item_template": "auto v = loss.item<double>();\n",
    "item_plain": "auto v = loss.item();\n",
    "cpu": "auto h = logits.cpu();\n",
    "to_cpu": "auto h = t.detach().to(torch::kCPU).contiguous();\n",
    "to_cpu_dtype": "auto h = t.to(torch::kCPU, torch::kFloat64);\n",
    "to_cpu_device": "auto h = t.to(torch::Device(torch::kCPU));\n",
    "to_cpu_string": 'auto h = t.to("cpu");\n',
    "after_block_comment": "/* x */ auto v = loss.item<float>();\n",
}


def run_on(files):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "include" / "pipeline").mkdir(parents=True)
        for name, text in files.items():
            (root / "include" / "pipeline" / name).write_text(text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = check.main(["host_reads.py", str(root)])
        return status, out.getvalue()


class HostReads(unittest.TestCase):
    def test_good_header_passes(self):
        status, out = run_on({"good.hpp": GOOD})
        self.assertEqual(status, 0, out)

    def test_host_read_hpp_itself_is_allowed(self):
        status, out = run_on({"host_read.hpp": "return t.item<T>();\n"})
        self.assertEqual(status, 0, out)

    def test_each_read_is_reported(self):
        for name, text in BAD.items():
            with self.subTest(name):
                status, out = run_on({"bad.hpp": GOOD + text})
                self.assertEqual(status, 1, out)
                self.assertIn("bad.hpp:%d:" % (GOOD.count("\n") + 1), out)

    def test_implementation_files_are_checked(self):
        status, out = run_on({"impl.ipp": BAD["cpu"]})
        self.assertEqual(status, 1, out)


if __name__ == "__main__":
    unittest.main()
