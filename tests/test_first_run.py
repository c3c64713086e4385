"""The first run on a machine is quiet: libraries' warnings go to the cache's
warnings.log, never to the terminal, while deepstart's own messages stay there
(issue 29, item 5)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

from deepstart.log import warnings_to

# `deepstart` as a user runs it, with one more library warning raised while the network
# is prepared (torch.onnx's own "Constant folding" warnings may or may not come, by timing)
NOISY_CLI = """
import sys, warnings
from deepstart.modalities.images import encoders
prepare = encoders.FeatureEncoder.prepare
def noisy(self):
    warnings.warn("a library's warning, for the test", UserWarning)
    prepare(self)
encoders.FeatureEncoder.prepare = noisy
from deepstart.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_cold_first_run_prints_no_library_warning_and_logs_it(digits_root, tmp_path):
    cache = tmp_path / "cache"  # empty: no features, no prepared network
    done = subprocess.run(
        [sys.executable, "-c", NOISY_CLI, "train", str(digits_root), "--out", str(tmp_path / "model")]
        + ["--model", "transfer", "--epochs", "3"],
        capture_output=True,
        text=True,
        env={**os.environ, "DEEPSTART_CACHE": str(cache)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert [line for line in done.stderr.splitlines() if "Warning" in line] == []
    assert "Preparing the network for fast CPU inference" in done.stderr  # cold, and deepstart still speaks
    assert list((cache / "onnx").glob("*.onnx"))
    logged = (cache / "warnings.log").read_text()
    assert "UserWarning: a library's warning, for the test" in logged


def test_warnings_to_moves_to_the_last_file_and_refuses_a_path_it_cannot_write(tmp_path):
    found = logging.getLogger("py.warnings")
    before = (found.handlers[:], found.propagate)
    try:
        assert warnings_to(tmp_path / "one" / "warnings.log")
        assert warnings_to(tmp_path / "two" / "warnings.log")
        found.warning("a warning, as the warnings module logs it")
        assert (tmp_path / "one" / "warnings.log").read_text() == ""
        assert "a warning, as the" in (tmp_path / "two" / "warnings.log").read_text()
        (tmp_path / "file").write_text("not a folder")
        assert not warnings_to(tmp_path / "file" / "warnings.log")
    finally:
        for handler in found.handlers:
            handler.close()
        found.handlers[:], found.propagate = before
        logging.captureWarnings(False)
