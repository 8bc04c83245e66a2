"""``xtd10 leaderboard verify`` says, per result, what a re-run of its encoder is declared to
reproduce (xtd10.encoders.reproducibility): the whole table is explicit, no built-in
encoder is left undeclared."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from xtd10.cli import cli
from xtd10.encoders import BUILTIN_ADAPTERS
from xtd10.encoders.reproducibility import ANYWHERE, SAME_KERNEL, UNDECLARED, reproducibility

RESULTS = Path(__file__).resolve().parents[2] / "leaderboards" / "results"


def test_every_built_in_encoder_declares_what_a_rerun_reproduces():
    for prefix in BUILTIN_ADAPTERS:
        assert reproducibility(f"{prefix}:x").level in (ANYWHERE, SAME_KERNEL), prefix
    assert reproducibility("random").level == ANYWHERE
    assert reproducibility("muse").level == SAME_KERNEL and reproducibility("e5-small").level == SAME_KERNEL
    foreign = reproducibility("py:my_module:build")
    assert foreign.level == UNDECLARED and foreign.statement.startswith("not declared")


def test_verify_prints_the_guarantee_of_each_results_encoder(tmp_path):
    res = CliRunner().invoke(cli, ["leaderboard", "verify", str(RESULTS / "random.json"),
                                   str(RESULTS / "muse.json")], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = {line.split(": a re-run reproduces it: ")[0]: line.split(": a re-run reproduces it: ")[1]
             for line in res.output.splitlines() if ": a re-run reproduces it: " in line}
    assert lines[str(RESULTS / "random.json")].startswith("identical on any machine")
    muse = lines[str(RESULTS / "muse.json")]
    cpu = json.loads((RESULTS / "muse.json").read_text(encoding="utf-8"))["hardware"]["cpu"]
    assert muse.startswith("identical with the pinned packages on the same CPU family and BLAS kernel")
    assert "near-tied queries may swap" in muse and muse.endswith(f"(this file: made on {cpu})")
