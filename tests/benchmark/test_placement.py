"""A run never replaces a result that covers cells it does not: it merges (same encoder,
data revision and settings) or writes beside, and says which."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from xtd10.benchmark.placement import BESIDE_FOLDER
from xtd10.cli import cli
from xtd10.schema import Result


def run(*args: str):
    res = CliRunner().invoke(cli, ["bench", "run", "-m", "random", "--dataset", "demo", "--track", "text", *args],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res


def comparable(path) -> list:
    return Result.load(path).metrics


def test_a_narrow_run_merges_into_the_wider_result_exactly(tmp_path):
    full = tmp_path / "full.json"
    run("--bootstrap", "200", "--out", str(full))  # every language, the reference
    target = tmp_path / "random.json"
    target.write_bytes(full.read_bytes())
    res = run("--languages", "es", "--bootstrap", "200", "--out", str(target))
    assert f"merged into {target} (kept " in res.output
    merged = Result.load(target)
    assert merged.dataset["languages"] == Result.load(full).dataset["languages"]
    # every row, the language averages and consistency included, as one run on all languages wrote it
    assert merged.metrics == comparable(full)
    assert merged.per_query == Result.load(full).per_query
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full.json", "random.json"]


def test_a_narrow_run_with_other_settings_is_written_beside(tmp_path):
    target = tmp_path / "random.json"
    run("--bootstrap", "200", "--out", str(target))
    before = target.read_bytes()
    res = run("--languages", "es", "--bootstrap", "50", "--out", str(target))
    (beside,) = (tmp_path / BESIDE_FOLDER).iterdir()
    assert beside.name.startswith("random.") and beside.suffix == ".json"
    assert f"wrote {beside} beside the existing result, not merged:" in res.output
    assert "different encoder, dataset revision or settings" in res.output
    assert target.read_bytes() == before
    assert Result.load(beside).dataset["languages"] == ["es"]


def test_a_run_covering_every_cell_replaces(tmp_path):
    target = tmp_path / "random.json"
    run("--languages", "es", "--bootstrap", "0", "--out", str(target))
    res = run("--languages", "es,de", "--bootstrap", "0", "--out", str(target))
    assert f"wrote {target}" in res.output and "merged" not in res.output
    assert json.loads(target.read_text())["dataset"]["languages"] == ["es", "de"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["random.json"]


@pytest.mark.integration
def test_a_one_language_run_over_the_committed_result_keeps_it_whole(tmp_path, real_source):
    """The committed 11-language random.json: re-running Spanish alone merges back into exactly it."""
    committed = Path(__file__).resolve().parents[2] / "leaderboards" / "results" / "random.json"
    target = tmp_path / "random.json"
    shutil.copyfile(committed, target)
    res = run_real("--languages", "es", "--source", str(real_source), "--out", str(target))
    assert f"merged into {target}" in res.output
    merged, original = Result.load(target), Result.load(committed)
    assert merged.metrics == original.metrics and merged.per_query == original.per_query
    assert merged.dataset["languages"] == original.dataset["languages"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["random.json"]


def run_real(*args: str):
    res = CliRunner().invoke(cli, ["bench", "run", "-m", "random", "--track", "text", *args], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return res
