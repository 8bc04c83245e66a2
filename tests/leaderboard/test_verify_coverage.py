"""A result must cover the whole query set of every cell it reports, and identify the
caption file of every language it reports: a consistent file scored on a few queries
(100% R@1 on 10 captions) or a language dropped from the data identity is refused."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.leaderboard.test_verify_submit import invoke, said
from xtd10.benchmark.scoring import Cell, metric_rows
from xtd10.data import demo
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "leaderboards" / "results"


def first_queries(name: str, n: int, subsets: tuple[str, ...] = ("all",)) -> dict:
    """A committed result re-scored on the first ``n`` queries of every cell: every number
    recomputed from the kept ranks, so the file is consistent with itself (only the number
    of queries gives it away). The kept ranks are 1: a perfect score."""
    result = Result.load(RESULTS / name)
    per_query = [dict(e, ranks=[1] * n) for e in result.per_query if e["subset"] in subsets]
    result.per_query = per_query
    stats = result.query_stats()
    cells = [Cell(*key, stats=stat, query_images=np.arange(len(stat))) for key, stat in stats.items()]
    result.metrics = metric_rows(cells, int(result.config["bootstrap"]), int(result.config["seed"]),
                                 result.config["ks"])
    result.config = dict(result.config, subsets=list(subsets))
    return result.to_dict()


def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_a_result_on_ten_queries_per_cell_is_refused_by_verify_and_submit(tmp_path):
    path = write(tmp_path / "muse.json", first_queries("muse.json", 10))
    outcome = invoke("leaderboard", "verify", str(path))
    assert outcome.exit_code == 1, outcome.output
    assert (f"{path}: text/x2en/de/all: n_queries is 10, but the dataset gives 1000 queries for this cell"
            in outcome.output)
    submitted = invoke("leaderboard", "submit", str(path), "--out", str(tmp_path / "board"), "--no-build")
    assert submitted.exit_code != 0 and "full query set" in said(submitted)
    assert not (tmp_path / "board" / "results").exists() or not any((tmp_path / "board" / "results").iterdir())


def test_a_short_val2014_cell_is_refused_against_the_caption_files(tmp_path, real_source):
    data = first_queries("e5-small.json", 10, ("val2014",))
    path = write(tmp_path / "e5.json", data)
    outcome = invoke("leaderboard", "verify", str(path), "--source", str(real_source))
    assert outcome.exit_code == 1, outcome.output
    # the expected count comes from the image list, the independent reference here
    image_list = (real_source / "XTD10" / "test_image_names.txt").read_text(encoding="utf-8").split()
    in_val = sum("_val2014_" in name for name in image_list)
    assert f"text/x2en/de/val2014: n_queries is 10, but the dataset gives {in_val} queries" in outcome.output


def test_a_full_val2014_result_verifies_against_the_caption_files(real_source):
    outcome = invoke("leaderboard", "verify", str(RESULTS / "e5-small.json"), "--source", str(real_source))
    assert outcome.exit_code == 0, said(outcome)
    assert "not checked" not in outcome.output


def test_a_demo_result_on_a_few_queries_is_refused(tmp_path):
    out = tmp_path / "random.xtd10-demo.json"
    assert invoke("bench", "run", "-m", "random", "--dataset", "demo", "--bootstrap", "0", "--no-cache",
                  "--out", str(out)).exit_code == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert invoke("leaderboard", "verify", str(out)).exit_code == 0
    result = Result.from_dict(data)
    result.per_query = [dict(e, ranks=e["ranks"][:5]) for e in result.per_query]
    cells = [Cell(*key, stats=stat, query_images=np.arange(len(stat))) for key, stat in result.query_stats().items()]
    result.metrics = metric_rows(cells, 0, 0, result.config["ks"])
    path = write(tmp_path / "short.json", result.to_dict())
    outcome = invoke("leaderboard", "verify", str(path))
    assert outcome.exit_code == 1
    n_images = len(json.loads(demo.captions_path().read_text(encoding="utf-8"))["images"])
    assert f"image/i2t/es/all: n_queries is 5, but the dataset gives {n_images} queries" in outcome.output


def test_a_language_dropped_from_the_data_identity_is_refused(tmp_path):
    data = json.loads((RESULTS / "muse.json").read_text(encoding="utf-8"))
    data["dataset"]["languages"].remove("de")
    del data["dataset"]["file_sha256"]["MIC/test_1kcaptions_de.txt"]
    path = write(tmp_path / "muse.json", data)
    outcome = invoke("leaderboard", "verify", str(path))
    assert outcome.exit_code == 1
    assert f"{path}: dataset.languages: language de is reported but not listed" in outcome.output
    submitted = invoke("leaderboard", "submit", str(path), "--out", str(tmp_path / "board"), "--no-build")
    assert submitted.exit_code != 0 and "language de is reported but not listed" in said(submitted)


@pytest.mark.parametrize("name", ["muse.json", "random.xtd10-demo.json"])
def test_committed_results_cover_their_query_sets(name):
    outcome = invoke("leaderboard", "verify", str(RESULTS / name))
    assert outcome.exit_code == 0, outcome.output
