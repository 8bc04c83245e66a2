"""Paired comparison of two result files: is model B really better than model A?

Both models answered the same queries, so the test pairs them query by query: a paired
permutation (swap) test. Under the null hypothesis that the two models are exchangeable,
swapping A's and B's outcome on any subset of queries leaves the distribution of the
metric difference unchanged; the p-value is the share of random swaps whose absolute
difference is at least the observed one (two-sided, with the +1 correction so that it is
never 0). It works for every metric, including the median rank, because each swap
recomputes the metric from the swapped per-query ranks.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from xtd10.errors import XTD10Error
from xtd10.schema import DEFAULT_KS, MEANR, MEDR, MRR, NDCG, QueryStats, Result, metric_names, recall_k

COLUMNS = ["track", "direction", "language", "subset", "metric", "a", "b", "diff", "p_value", "n_queries"]


class CompareError(XTD10Error):
    """Two results that cannot be compared (different data, nothing in common...)."""


def _metric_matrix(ranks: np.ndarray, ndcg: np.ndarray, metric: str) -> np.ndarray:
    """The metric for each row of a (resamples, queries) matrix of ranks / nDCG values."""
    k = recall_k(metric)
    if k is not None:
        return (ranks <= k).mean(axis=-1)
    if metric == MEDR:
        return np.median(ranks, axis=-1)
    if metric == MEANR:
        return ranks.mean(axis=-1)
    if metric == MRR:
        return (1.0 / ranks).mean(axis=-1)
    if metric == NDCG:
        return ndcg.mean(axis=-1)
    raise CompareError(f"unknown metric {metric!r}")


def paired_permutation(
    a: QueryStats, b: QueryStats, metrics: list[str], n_permutations: int = 2000, seed: int = 0
) -> dict[str, tuple[float, float, float, float]]:
    """``{metric: (value A, value B, B - A, p-value)}`` from a paired swap test."""
    if len(a) != len(b):
        raise CompareError(f"the two results scored different numbers of queries ({len(a)} vs {len(b)})")
    rng = np.random.default_rng(seed)
    swap = rng.random((n_permutations, len(a))) < 0.5
    ranks_a = np.where(swap, b.ranks, a.ranks)
    ranks_b = np.where(swap, a.ranks, b.ranks)
    ndcg_a = np.where(swap, b.ndcg, a.ndcg)
    ndcg_b = np.where(swap, a.ndcg, b.ndcg)
    out = {}
    for metric in metrics:
        value_a = float(_metric_matrix(a.ranks, a.ndcg, metric))
        value_b = float(_metric_matrix(b.ranks, b.ndcg, metric))
        observed = abs(value_b - value_a)
        null = np.abs(_metric_matrix(ranks_b, ndcg_b, metric) - _metric_matrix(ranks_a, ndcg_a, metric))
        # tolerance: swapped differences equal to the observed one up to float noise count as "as extreme"
        extreme = int(np.sum(null >= observed - 1e-12))
        out[metric] = (value_a, value_b, value_b - value_a, (extreme + 1) / (n_permutations + 1))
    return out


def _as_result(item: Result | str | os.PathLike) -> Result:
    return item if isinstance(item, Result) else Result.load(item)


def compare(
    a: Result | str | os.PathLike,
    b: Result | str | os.PathLike,
    *,
    n_permutations: int = 2000,
    seed: int = 0,
    metrics: list[str] | None = None,
) -> pd.DataFrame:
    """Per track x direction x language x subset x metric: A, B, B - A and a paired
    permutation p-value. Needs the ``per_query`` ranks both result files carry."""
    ra, rb = _as_result(a), _as_result(b)
    da, db = ra.dataset, rb.dataset
    if (da.get("name"), da.get("revision")) != (db.get("name"), db.get("revision")):
        raise CompareError(
            f"results were computed on different data: {da.get('name')} {da.get('revision')} vs "
            f"{db.get('name')} {db.get('revision')}; a paired comparison needs the same queries"
        )
    stats_a, stats_b = ra.query_stats(), rb.query_stats()
    if not stats_a or not stats_b:
        raise CompareError("a result file has no per_query ranks (written by an older toolkit?); re-run it")
    common = [key for key in stats_a if key in stats_b]
    if not common:
        raise CompareError("the two results share no scored track/direction/language/subset")
    ks = ra.config.get("ks") or list(DEFAULT_KS)
    names = metrics or metric_names(ks)
    rows = []
    for key in common:
        tested = paired_permutation(stats_a[key], stats_b[key], names, n_permutations, seed)
        for metric, (value_a, value_b, diff, p_value) in tested.items():
            rows.append([*key, metric, value_a, value_b, diff, p_value, len(stats_a[key])])
    return pd.DataFrame(rows, columns=COLUMNS)


def unpaired_cells(a: Result | str | os.PathLike, b: Result | str | os.PathLike) -> tuple[list[tuple], list[tuple]]:
    """The (track, direction, language, subset) cells scored in only one of the two
    results: ``compare`` cannot test them, and a reader must be told they were left out."""
    keys_a, keys_b = set(_as_result(a).query_stats()), set(_as_result(b).query_stats())
    return sorted(keys_a - keys_b), sorted(keys_b - keys_a)
