"""The metric code against a brute-force reference written with plain Python loops."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from xtd10.benchmark.metrics import (
    MetricsError,
    bootstrap_metrics,
    compute_metrics,
    embedding_query_stats,
    query_ranks,
    query_stats,
    rank_consistency,
)
from xtd10.schema import QueryStats


def reference_ranking(row: list[float], relevant: set[int]) -> list[int]:
    """Gallery indices best first; on equal scores irrelevant items come first."""
    return sorted(range(len(row)), key=lambda j: (-row[j], j in relevant, j))


def reference_metrics(scores: np.ndarray, positives: list[list[int]]) -> dict[str, float]:
    ranks, ndcgs = [], []
    for row, rel in zip(scores.tolist(), positives, strict=True):
        relevant = set(rel)
        order = reference_ranking(row, relevant)
        first = next(pos + 1 for pos, j in enumerate(order) if j in relevant)
        ranks.append(first)
        dcg = sum(1 / math.log2(pos + 2) for pos, j in enumerate(order[:10]) if j in relevant)
        ideal = sum(1 / math.log2(pos + 2) for pos in range(min(len(relevant), 10)))
        ndcgs.append(dcg / ideal)
    n = len(ranks)
    out = {f"R@{k}": sum(r <= k for r in ranks) / n for k in (1, 5, 10)}
    out["MedR"] = statistics.median(ranks)
    out["MeanR"] = sum(ranks) / n
    out["MRR"] = sum(1 / r for r in ranks) / n
    out["nDCG@10"] = sum(ndcgs) / n
    out["_ranks"] = ranks
    return out


@pytest.mark.parametrize("seed", range(6))
def test_matches_reference_with_ties_and_several_positives(seed):
    rng = np.random.default_rng(seed)
    n_q, n_g = 40, 30
    # few distinct values -> many ties
    scores = rng.integers(0, 4 + seed, size=(n_q, n_g)).astype(np.float32)
    positives = [sorted(rng.choice(n_g, size=rng.integers(1, 5), replace=False).tolist()) for _ in range(n_q)]
    ref = reference_metrics(scores, positives)
    got = compute_metrics(scores, positives)
    for key in ("R@1", "R@5", "R@10", "MedR", "MeanR", "MRR", "nDCG@10"):
        assert got[key] == pytest.approx(ref[key], abs=1e-12), key
    assert query_ranks(scores, positives).tolist() == ref["_ranks"]


@pytest.mark.parametrize("seed", range(4))
def test_single_positive_int_array_matches_reference(seed):
    rng = np.random.default_rng(100 + seed)
    scores = rng.integers(0, 3, size=(25, 25)).astype(np.float64)
    positives = rng.integers(0, 25, size=25)
    ref = reference_metrics(scores, [[int(p)] for p in positives])
    got = compute_metrics(scores, positives)
    for key in ("R@1", "R@5", "R@10", "MedR", "MeanR", "MRR", "nDCG@10"):
        assert got[key] == pytest.approx(ref[key], abs=1e-12), key


def test_ties_are_broken_against_the_correct_item():
    # all equal: the relevant item ranks last among n
    scores = np.zeros((3, 5))
    assert query_ranks(scores, np.array([0, 2, 4])).tolist() == [5, 5, 5]
    # two relevant items tied with each other at the top still give rank 1
    scores = np.array([[1.0, 1.0, 0.0]])
    assert query_ranks(scores, [[0, 1]]).tolist() == [1]


def test_chunked_path_equals_full_matrix():
    rng = np.random.default_rng(7)
    q = rng.normal(size=(300, 8)).astype(np.float32)
    g = rng.normal(size=(200, 8)).astype(np.float32)
    q[::7] = np.round(q[::7], 0)  # add ties
    positives = [rng.choice(200, size=1 + i % 3, replace=False) for i in range(300)]
    full = query_stats(q @ g.T, positives)
    chunked = embedding_query_stats(q, g, positives, max_block_elements=1000)
    np.testing.assert_array_equal(full.ranks, chunked.ranks)
    np.testing.assert_allclose(full.ndcg, chunked.ndcg)


def test_bootstrap_is_deterministic_and_brackets_the_estimate():
    rng = np.random.default_rng(1)
    ranks = rng.integers(1, 50, size=500)
    stats = QueryStats(ranks, 1 / np.log2(ranks + 1.0) * (ranks <= 10))
    a = bootstrap_metrics(stats, 300, seed=3)
    b = bootstrap_metrics(stats, 300, seed=3)
    c = bootstrap_metrics(stats, 300, seed=4)
    assert a == b
    assert a != c
    r10 = float(np.mean(ranks <= 10))
    low, high = a["R@10"]
    assert low < r10 < high
    # independent check of one resample: the first resample's R@10 with the same rng
    idx = np.random.default_rng(3).integers(0, 500, size=(300, 500))
    per = (ranks[idx] <= 10).mean(axis=1)
    assert low == pytest.approx(np.percentile(per, 2.5))


def test_consistency_is_mean_rank_variance():
    ranks = {"en": np.array([1, 2, 3]), "de": np.array([1, 4, 3]), "fr": np.array([1, 6, 9])}
    expected = statistics.mean(statistics.pvariance([float(x) for x in v]) for v in zip(*ranks.values(), strict=True))
    assert rank_consistency(ranks) == pytest.approx(expected)


def test_bad_input_is_a_clear_error():
    with pytest.raises(MetricsError, match="out of range"):
        compute_metrics(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(MetricsError, match="NaN"):
        compute_metrics(np.full((2, 2), np.nan), np.array([0, 1]))
    with pytest.raises(MetricsError, match="2 entries"):
        compute_metrics(np.zeros((3, 3)), np.array([0, 1]))


@pytest.mark.parametrize("n", [1, 2, 7, 50])
def test_bootstrap_distributions_equal_direct_resampling(n):
    """The count-based fast path must equal indexing the resampled queries directly."""
    from xtd10.benchmark.metrics import bootstrap_distributions

    rng = np.random.default_rng(n)
    ranks = rng.integers(1, 20, size=n)
    stats = QueryStats(ranks, rng.random(n))
    fast = bootstrap_distributions(stats, 200, seed=5)
    idx = np.random.default_rng(5).integers(0, n, size=(200, n))
    r = ranks[idx]
    direct = {"R@1": (r <= 1).mean(1), "R@5": (r <= 5).mean(1), "R@10": (r <= 10).mean(1),
              "MedR": np.median(r, axis=1), "MeanR": r.mean(1), "MRR": (1 / r).mean(1),
              "nDCG@10": stats.ndcg[idx].mean(1)}
    assert list(fast) == list(direct)
    for name, values in direct.items():
        np.testing.assert_allclose(fast[name], values, rtol=1e-12, atol=1e-12, err_msg=name)
