"""Encoders for the sweep tests: ``py:tests.benchmark.stalling_encoder:build`` stalls, ``:broken`` breaks.

Where ``XTD10_TEST_PID_DIR`` is set (the tests' Ray cluster sets it on every node), the first
build records its process id in ``stalled.pid`` and then waits, so a test can find the worker
that runs it and kill or cancel it; every build appends its process id to ``attempts.txt``.
Later builds (the retry) go straight on. Elsewhere it is the ``random`` encoder under
another name.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from xtd10.encoders.random_encoder import RandomEncoder

# Long beside what a kill or a cancel takes, even on a loaded two-core machine, so a test can
# tell "stopped" from "waited it out" with a wide margin (STALL_S / 2).
STALL_S = 240.0


def build() -> RandomEncoder:
    folder = os.environ.get("XTD10_TEST_PID_DIR")
    if folder:
        folder_path = Path(folder)
        with open(folder_path / "attempts.txt", "a") as attempts:
            attempts.write(f"{os.getpid()}\n")
        marker = folder_path / "stalled.pid"
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(STALL_S)
    return RandomEncoder(seed=7)


class BrokenEncoder(RandomEncoder):
    """Breaks the way a model with a bug does: an error that is not the toolkit's."""

    def encode_text(self, texts, *, language):
        raise RuntimeError("this model's code has a bug\nsecond line")


def broken() -> BrokenEncoder:
    return BrokenEncoder(seed=3)
