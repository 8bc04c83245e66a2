"""Sizes read from a result file (resample count, recall cut-offs) are bounded before
anything is allocated for them: a hostile file is one line, never gigabytes of memory."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from xtd10.cli import cli

REPO = Path(__file__).resolve().parents[2]


def _edited_random_result(tmp_path: Path, **config) -> Path:
    data = json.loads((REPO / "leaderboards" / "results" / "random.json").read_text(encoding="utf-8"))
    data["config"].update(config)
    path = tmp_path / "random.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(("config", "message"), [
    ({"bootstrap": 1_500_000}, "config: bootstrap of 1500000 resamples of 1000 queries is too large to compute "
                               "(at most 50000;"),
    ({"ks": list(range(1, 100_001))}, "config: ks must list 1 to 20 recall cut-offs, got 100000"),
])
def test_sizes_in_a_result_file_are_bounded_before_verify_allocates(tmp_path, config, message):
    path = _edited_random_result(tmp_path, **config)
    started = time.perf_counter()
    outcome = CliRunner().invoke(cli, ["leaderboard", "verify", str(path)])
    assert time.perf_counter() - started < 10
    assert outcome.exit_code == 1, outcome.output
    assert f"{path}: {message}" in outcome.output
    assert "Traceback" not in outcome.output


def test_a_bootstrap_too_large_for_the_data_stops_bench_run_before_encoding(tmp_path, capsys):
    from xtd10.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "100000000", "--no-cache",
              "--out", str(tmp_path / "r.json")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: bootstrap of 100000000 resamples of 12 queries is too large to compute")
    assert "\n" not in err and not (tmp_path / "r.json").exists()
