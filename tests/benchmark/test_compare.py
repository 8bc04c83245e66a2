"""Paired comparison: identical results are indistinguishable, clearly different ones are not."""

from __future__ import annotations

import numpy as np
import pytest

from tests.benchmark.fakes import CountingEncoder
from xtd10.benchmark import compare, evaluate
from xtd10.benchmark.comparison import CompareError, paired_permutation
from xtd10.schema import QueryStats, ndcg_from_single_ranks

METRICS = ["R@1", "R@5", "R@10", "MedR", "MeanR", "MRR", "nDCG@10"]


def stats(ranks) -> QueryStats:
    ranks = np.asarray(ranks)
    return QueryStats(ranks, ndcg_from_single_ranks(ranks))


def test_identical_inputs_give_p_one():
    rng = np.random.default_rng(0)
    a = stats(rng.integers(1, 30, size=400))
    out = paired_permutation(a, a, METRICS, n_permutations=500)
    for value_a, value_b, diff, p in out.values():
        assert value_a == value_b and diff == 0 and p == 1.0


def test_clearly_better_model_gets_a_small_p_value():
    rng = np.random.default_rng(1)
    worse = rng.integers(1, 60, size=400)
    better = np.maximum(1, worse - rng.integers(5, 20, size=400))
    out = paired_permutation(stats(worse), stats(better), METRICS, n_permutations=999)
    assert out["R@10"][2] > 0 and out["MeanR"][2] < 0
    for metric in ("R@10", "MeanR", "MRR", "nDCG@10"):
        assert out[metric][3] <= 0.002, metric  # the smallest p possible is 1/1000


def test_p_value_matches_exact_enumeration_on_a_tiny_case():
    # 6 queries: enumerate all 2^6 swaps and compare with the Monte Carlo estimate
    a, b = np.array([1, 3, 2, 8, 1, 4]), np.array([1, 1, 1, 2, 2, 4])
    observed = abs(np.mean(b <= 1) - np.mean(a <= 1))
    hits = 0
    for mask in range(64):
        swap = np.array([(mask >> i) & 1 for i in range(6)], dtype=bool)
        a2, b2 = np.where(swap, b, a), np.where(swap, a, b)
        hits += abs(np.mean(b2 <= 1) - np.mean(a2 <= 1)) >= observed - 1e-12
    exact = hits / 64
    p = paired_permutation(stats(a), stats(b), ["R@1"], n_permutations=20000, seed=3)["R@1"][3]
    assert p == pytest.approx(exact, abs=0.02)


def test_compare_result_files(demo_truth, tmp_path):
    good = evaluate(CountingEncoder(*demo_truth, noise=0.1, spec="fake:good"), dataset="demo", bootstrap=0,
                    progress=False, tracks="image")
    bad = evaluate(CountingEncoder(*demo_truth, noise=6.0, spec="fake:bad"), dataset="demo", bootstrap=0,
                   progress=False, tracks="image")
    same = compare(good, good)
    assert (same["p_value"] == 1.0).all() and (same["diff"] == 0).all()
    table = compare(bad.save(tmp_path / "bad.json"), good.save(tmp_path / "good.json"), n_permutations=999)
    row = table[(table.direction == "t2i") & (table.language == "en") & (table.metric == "R@1")].iloc[0]
    assert row["diff"] == pytest.approx(good.value("image", "t2i", "en", "all", "R@1")
                                        - bad.value("image", "t2i", "en", "all", "R@1"))
    assert row["diff"] > 0.5 and row["p_value"] < 0.05


def test_results_on_different_data_are_refused(demo_truth):
    result = evaluate(CountingEncoder(*demo_truth), dataset="demo", bootstrap=0, progress=False, tracks="text")
    other = evaluate(CountingEncoder(*demo_truth), dataset="demo", bootstrap=0, progress=False, tracks="text")
    other.dataset = {**other.dataset, "revision": "local-0000"}
    with pytest.raises(CompareError, match="different data"):
        compare(result, other)


def test_compare_csv_guards_cells_read_from_result_files(demo_truth, tmp_path):
    import csv
    import json

    from click.testing import CliRunner

    from xtd10.cli import cli

    hostile = "=HYPERLINK(\"http://x.invalid\",\"ok\")\r\n@SUM(1)"
    paths = []
    for name, noise in (("a", 0.1), ("b", 6.0)):
        result = evaluate(CountingEncoder(*demo_truth, noise=noise, spec=f"fake:{name}"), dataset="demo",
                          bootstrap=0, progress=False, tracks="image")
        path = result.save(tmp_path / f"{name}.json")
        data = json.loads(path.read_text(encoding="utf-8"))
        data["per_query"].append({**data["per_query"][0], "subset": hostile})  # a cell only its file names
        path.write_text(json.dumps(data), encoding="utf-8")
        paths.append(path)
    out = tmp_path / "compare.csv"
    result = CliRunner().invoke(cli, ["bench", "compare", *map(str, paths), "--permutations", "50",
                                      "--csv", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    rows = list(csv.reader(text.splitlines()))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c.lstrip().startswith(("=", "+", "@", "\t", "\r"))]
    guarded = [row for row in rows if row[3].startswith("'=HYPERLINK")]
    assert guarded and all(len(row) == len(rows[0]) for row in rows)  # one line per row, as many cells
