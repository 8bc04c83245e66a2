"""``xtd10 leaderboard submit``: verified files only, never silently over another run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from xtd10.cli import cli

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "leaderboards" / "results"


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def said(outcome) -> str:
    """What the user sees: the output, plus the one-line error the CLI prints for a refusal."""
    return outcome.output + (str(outcome.exception) if outcome.exception else "")


@pytest.fixture(scope="module")
def demo_runs(tmp_path_factory) -> dict[str, Path]:
    """Two fresh runs of the random encoder on the demo set: seeds 1 and 2."""
    folder = tmp_path_factory.mktemp("runs")
    runs = {}
    for seed in (1, 2):
        out = folder / f"seed{seed}" / "random.xtd10-demo.json"
        outcome = invoke("bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "100",
                         "--seed", str(seed), "--no-cache", "--out", str(out))
        assert outcome.exit_code == 0, outcome.output
        runs[f"seed{seed}"] = out
    return runs


def test_submit_places_rebuilds_and_links_the_failure_view(demo_runs, tmp_path):
    board = tmp_path / "board"
    outcome = invoke("leaderboard", "submit", str(demo_runs["seed1"]), "--out", str(board), "--no-plots")
    assert outcome.exit_code == 0, outcome.output
    placed = board / "results" / "random.xtd10-demo.json"
    assert placed.read_bytes() == demo_runs["seed1"].read_bytes()
    assert f"wrote {placed}" in outcome.output
    page = (board / "index.html").read_text(encoding="utf-8")
    assert 'href="failures/random.xtd10-demo/index.html"' in page
    assert (board / "failures" / "random.xtd10-demo" / "index.html").is_file()
    # the same file again: nothing written, said so
    again = invoke("leaderboard", "submit", str(demo_runs["seed1"]), "--out", str(board), "--no-build")
    assert again.exit_code == 0 and "nothing written" in again.output


def test_a_different_run_of_the_same_encoder_is_refused_unless_replace(demo_runs, tmp_path):
    board = tmp_path / "board"
    assert invoke("leaderboard", "submit", str(demo_runs["seed1"]), "--out", str(board), "--no-build").exit_code == 0
    refused = invoke("leaderboard", "submit", str(demo_runs["seed2"]), "--out", str(board), "--no-build")
    assert refused.exit_code != 0
    assert "--replace" in said(refused) and "different settings or numbers" in said(refused)
    placed = board / "results" / "random.xtd10-demo.json"
    assert placed.read_bytes() == demo_runs["seed1"].read_bytes()
    replaced = invoke("leaderboard", "submit", str(demo_runs["seed2"]), "--out", str(board), "--no-build",
                      "--replace")
    assert replaced.exit_code == 0 and f"replaced {placed}" in replaced.output
    assert placed.read_bytes() == demo_runs["seed2"].read_bytes()
    assert sorted(p.name for p in (board / "results").iterdir()) == ["random.xtd10-demo.json"]


def test_a_taken_name_of_another_encoder_gets_a_distinct_name(demo_runs, tmp_path):
    board = tmp_path / "board"
    (board / "results").mkdir(parents=True)
    other = json.loads(demo_runs["seed1"].read_text(encoding="utf-8"))
    other["dataset"]["revision"] = "demo-" + "0" * 16  # same name, other data: another run
    taken = board / "results" / "random.xtd10-demo.json"
    taken.write_text(json.dumps(other), encoding="utf-8")
    outcome = invoke("leaderboard", "submit", str(demo_runs["seed1"]), "--out", str(board), "--no-build")
    assert outcome.exit_code == 0, outcome.output
    revision = json.loads(demo_runs["seed1"].read_text(encoding="utf-8"))["dataset"]["revision"]
    renamed = board / "results" / f"random.xtd10-demo.{revision[:12]}.json"
    assert renamed.read_bytes() == demo_runs["seed1"].read_bytes()
    assert json.loads(taken.read_text(encoding="utf-8")) == other  # untouched
    assert str(renamed) in outcome.output


def test_a_file_that_does_not_verify_is_not_placed(tmp_path):
    data = json.loads((RESULTS / "random.xtd10-demo.json").read_text(encoding="utf-8"))
    # a row whose edited value still lies inside its interval, so only the ranks can tell
    row = next(r for r in data["metrics"] if r["metric"] == "R@1" and r["ci_low"] is not None
               and r["ci_low"] <= r["value"] + 0.001 <= r["ci_high"] and r["language"] not in ("avg", "avg_non_en"))
    row["value"] = round(row["value"] + 0.001, 6)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    board = tmp_path / "board"
    outcome = invoke("leaderboard", "submit", str(path), "--out", str(board), "--no-build")
    assert outcome.exit_code != 0
    assert "does not verify" in said(outcome) and "R@1: value is" in said(outcome)
    assert not (board / "results").exists() or not any((board / "results").iterdir())


def test_a_refusal_is_one_line_without_traceback(tmp_path, capsys):
    from xtd10.cli import main

    path = tmp_path / "broken.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", "submit", str(path), "--out", str(tmp_path / "board"), "--no-build"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "does not verify" in err[0]


def test_a_run_on_fewer_languages_is_merged_as_the_runner_does(tmp_path):
    board = tmp_path / "board"
    full = tmp_path / "full" / "random.xtd10-demo.json"
    part = tmp_path / "part" / "random.xtd10-demo.json"
    for out, languages in ((full, "all"), (part, "de,ja")):
        outcome = invoke("bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "100",
                         "--languages", languages, "--track", "image", "--no-cache", "--out", str(out))
        assert outcome.exit_code == 0, outcome.output
    assert invoke("leaderboard", "submit", str(full), "--out", str(board), "--no-build").exit_code == 0
    outcome = invoke("leaderboard", "submit", str(part), "--out", str(board), "--no-build")
    assert outcome.exit_code == 0, said(outcome)
    placed = board / "results" / "random.xtd10-demo.json"
    assert f"merged into {placed}" in outcome.output
    merged = json.loads(placed.read_text(encoding="utf-8"))
    assert len(merged["dataset"]["languages"]) == 11
    # the merged file verifies: its averages were recomputed from the merged ranks
    assert invoke("leaderboard", "verify", str(placed)).exit_code == 0


def test_a_narrow_run_that_changes_existing_cells_is_refused_unless_replace(tmp_path):
    from xtd10.benchmark.scoring import Cell, metric_rows
    from xtd10.schema import Result

    board = tmp_path / "board"
    full = tmp_path / "full" / "random.xtd10-demo.json"
    narrow = tmp_path / "narrow" / "random.xtd10-demo.json"
    for out, languages in ((full, "all"), (narrow, "es")):
        outcome = invoke("bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "100",
                         "--languages", languages, "--track", "text", "--no-cache", "--out", str(out))
        assert outcome.exit_code == 0, outcome.output
    # a forged es-only run: same encoder, data and settings, every es query at rank 1, every
    # number recomputed from those ranks so that it verifies
    forged = Result.load(narrow)
    forged.per_query = [dict(e, ranks=[1] * len(e["ranks"])) for e in forged.per_query]
    cells = [Cell(*key, stats=s, query_images=np.arange(len(s))) for key, s in forged.query_stats().items()]
    forged.metrics = metric_rows(cells, 100, 0, forged.config["ks"])
    forged.save(narrow)
    assert invoke("leaderboard", "verify", str(narrow)).exit_code == 0
    assert invoke("leaderboard", "submit", str(full), "--out", str(board), "--no-build").exit_code == 0
    placed = board / "results" / "random.xtd10-demo.json"
    before = placed.read_bytes()
    refused = invoke("leaderboard", "submit", str(narrow), "--out", str(board), "--no-build")
    assert refused.exit_code != 0, refused.output
    assert "--replace" in said(refused) and "text/x2en/es/all" in said(refused)
    assert placed.read_bytes() == before
    # asked for: the es cells are replaced, the other languages kept
    replaced = invoke("leaderboard", "submit", str(narrow), "--out", str(board), "--no-build", "--replace")
    assert replaced.exit_code == 0, said(replaced)
    merged = Result.load(placed)
    assert merged.value("text", "x2en", "es", "all", "R@1") == 1.0
    assert len(merged.dataset["languages"]) == len(Result.load(full).dataset["languages"])
