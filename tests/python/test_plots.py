"""attnserve_plots.py and attnserve.plots write valid, non-blank PNG and SVG images.

The command runs once against the real server at $ATTNSERVE_TARGET with the example bench
sweep in data/; the bench plot's variants (SVG, open loop, wrong schema) need no server and
run in-process. Run by ctest like test_client.py.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import unittest

import numpy as np
from matplotlib import image

from attnserve import plots

REPO = pathlib.Path(__file__).resolve().parents[2]
COMMAND = REPO / "client" / "python" / "attnserve_plots.py"
BENCH_FIXTURE = pathlib.Path(__file__).resolve().parent / "data" / "example_bench_sweep.json"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run_command(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(COMMAND), *args], capture_output=True, text=True,
                          timeout=120, check=False)


class ImageAssertions(unittest.TestCase):
    """Checks on written image files."""

    def assert_valid_png(self, path: pathlib.Path):
        self.assertEqual(path.read_bytes()[:8], PNG_SIGNATURE, path)
        pixels = image.imread(path)
        height, width, channels = pixels.shape
        self.assertGreaterEqual(min(height, width), 300, path)
        self.assertLessEqual(max(height, width), 4000, path)
        self.assertIn(channels, (3, 4), path)
        self.assertGreater(float(np.std(pixels[..., :3])), 0.01, f"{path} is blank")

    def assert_valid_svg(self, path: pathlib.Path):
        text = path.read_text()
        self.assertTrue(text.startswith("<?xml"), path)
        self.assertIn("<svg", text)
        self.assertTrue(text.rstrip().endswith("</svg>"), path)


class CommandTest(ImageAssertions):

    @classmethod
    def setUpClass(cls):
        cls.directory = tempfile.TemporaryDirectory()
        cls.out = pathlib.Path(cls.directory.name)
        cls.result = run_command("--target", os.environ["ATTNSERVE_TARGET"], "--bench-json",
                                 str(BENCH_FIXTURE), "--out", str(cls.out), "--format", "png")

    @classmethod
    def tearDownClass(cls):
        cls.directory.cleanup()

    def test_exits_zero_and_names_every_file(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        for name in [plots.BENCH_PLOT, *plots.SERVER_PLOTS]:
            self.assertIn(f"{name}: wrote {self.out / name}.png", self.result.stdout)

    def test_every_plot_is_a_valid_png(self):
        for name in [plots.BENCH_PLOT, *plots.SERVER_PLOTS]:
            with self.subTest(plot=name):
                self.assert_valid_png(self.out / f"{name}.png")

    def test_sources_not_given_are_skipped_with_a_message(self):
        with tempfile.TemporaryDirectory() as directory:
            result = run_command("--out", directory)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(os.listdir(directory), [])
        self.assertIn("bench_sweep: skipped, no --bench-json given", result.stdout)
        self.assertIn("attention_by_distance: skipped, no --target given", result.stdout)


class BenchPlotTest(ImageAssertions):

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)
        self.out = pathlib.Path(self.directory.name)
        self.document = json.loads(BENCH_FIXTURE.read_text())

    def write_sweep(self) -> pathlib.Path:
        path = self.out / "sweep.json"
        path.write_text(json.dumps(self.document))
        return path

    def test_svg(self):
        written = plots.write_all(self.out, "svg", bench_json=BENCH_FIXTURE)
        self.assertEqual(list(written), [plots.BENCH_PLOT])
        self.assert_valid_svg(written[plots.BENCH_PLOT])

    def test_open_loop_sweep_without_knee(self):
        self.document["config"]["mode"] = "open"
        for rate, level in zip((500, 1000, 2000, 4000, 8000, 16000, 32000),
                               self.document["levels"]):
            level["rate"], level["concurrency"] = rate, 256
        self.document["knee"] = None
        written = plots.write_all(self.out, "png", bench_json=self.write_sweep())
        self.assert_valid_png(written[plots.BENCH_PLOT])

    def test_other_schema_versions_are_refused(self):
        self.document["attnctl_bench_version"] = 2
        with self.assertRaisesRegex(ValueError, "attnctl_bench_version=2"):
            plots.write_all(self.out, "png", bench_json=self.write_sweep())


if __name__ == "__main__":
    unittest.main()
