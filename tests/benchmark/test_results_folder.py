"""A user's runs go to their own results folder (``./results/`` or ``$XTD10_RESULTS``),
never into the checkout's committed ``leaderboards/results/``; ``xtd10 demo`` says whether
its metrics equal the committed ones, cell by cell."""

from __future__ import annotations

import json

from click.testing import CliRunner

from xtd10.benchmark import Result
from xtd10.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_bench_run_from_another_folder_writes_results_there_and_no_leaderboard(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XTD10_RESULTS", raising=False)
    res = invoke("bench", "run", "-m", "random", "--dataset", "demo", "--track", "text", "--bootstrap", "0")
    assert res.exit_code == 0, res.output
    assert "wrote results/random.xtd10-demo.json" in res.output
    assert Result.load(tmp_path / "results" / "random.xtd10-demo.json").encoder["spec"] == "random"
    assert not (tmp_path / "leaderboards").exists()


def test_the_results_environment_variable_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XTD10_RESULTS", str(tmp_path / "mine"))
    res = invoke("bench", "sweep", "--config", str(_roster(tmp_path)), "--offline-only", "--dataset", "demo",
                 "--bootstrap", "0")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "mine" / "random.xtd10-demo.json").is_file()
    assert not (tmp_path / "results").exists() and not (tmp_path / "leaderboards").exists()


def _roster(tmp_path):
    path = tmp_path / "models.yaml"
    path.write_text("models:\n  - spec: random\n    track: text\n    offline: true\n", encoding="utf-8")
    return path


def _demo(tmp_path, committed):
    return invoke("demo", "--image-model", "random", "--bootstrap", "10", "--committed", str(committed))


def test_demo_writes_to_the_results_folder_and_says_its_numbers_equal_the_committed_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("XTD10_RESULTS", raising=False)
    committed = tmp_path / "committed"
    assert invoke("bench", "run", "-m", "random", "--dataset", "demo", "--bootstrap", "10",
                  "--out", str(committed / "random.xtd10-demo.json")).exit_code == 0
    res = _demo(tmp_path, committed)
    assert res.exit_code == 0, res.output
    cells = len(Result.load(committed / "random.xtd10-demo.json").metrics)
    assert (f"metrics: identical to the committed result {committed / 'random.xtd10-demo.json'} "
            f"({cells} metric cells)") in res.output
    assert "result files: results/random.xtd10-demo.json" in res.output
    assert not (tmp_path / "leaderboards").exists()


def test_demo_counts_the_cells_that_differ_and_the_largest_difference(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    committed = tmp_path / "committed"
    path = committed / "random.xtd10-demo.json"
    assert invoke("bench", "run", "-m", "random", "--dataset", "demo", "--bootstrap", "10",
                  "--out", str(path)).exit_code == 0
    data = json.loads(path.read_text(encoding="utf-8"))
    changed = [m for m in data["metrics"] if m["metric"] == "MedR"][:2]
    cell = "/".join(str(changed[1][k]) for k in ("track", "direction", "language", "subset", "metric"))
    changed[0]["value"] += 0.25
    changed[1]["value"] += 0.5
    path.write_text(json.dumps(data), encoding="utf-8")
    res = _demo(tmp_path, committed)
    assert res.exit_code == 0, res.output
    assert (f"metrics: 2 of {len(data['metrics'])} metric cells differ from the committed result {path} "
            f"(largest difference 0.5, {cell})") in res.output


def test_demo_without_a_committed_result_compares_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = _demo(tmp_path, tmp_path / "none")
    assert res.exit_code == 0, res.output
    assert "metrics:" not in res.output
