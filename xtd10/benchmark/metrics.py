"""Retrieval metrics from a similarity matrix, with ties broken against the correct item.

Why pessimistic ties: a degenerate encoder that maps everything to one vector would
otherwise score perfectly (every item tied at the top). So a relevant item tied with
irrelevant ones is ranked *after* all of them; ties among relevant items do not matter.

Everything is derived from two per-query quantities, so that bootstrap resampling and
paired comparisons only touch small 1-D arrays:

* ``ranks``: the 1-based rank of the first relevant item (``R@k``, ``MedR``, ``MeanR``,
  ``MRR`` follow from it);
* ``ndcg``: the per-query nDCG@10 with binary relevance (equal to ``1/log2(1+rank)``
  when a query has exactly one relevant item).

Large problems go through :func:`chunked_query_stats`, which scores blocks of queries
against the gallery and never holds the full score matrix.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from xtd10.errors import XTD10Error
from xtd10.schema import DEFAULT_KS, MEANR, MEDR, MRR, NDCG, NDCG_DEPTH, QueryStats, recall_name


class MetricsError(XTD10Error):
    """Scores or positives that cannot describe a retrieval problem."""


# The bootstrap draws a (resamples x queries) index matrix and turns it into counts: some
# 24 bytes per resampled query at its peak. A count read from a file (a result's
# ``config.bootstrap``) or typed on the command line is checked against these bounds before
# anything is allocated: 50 million resampled queries is 50,000 resamples of an XTD10 cell
# (1000 queries), some 1.2 GB, fifty times what a published interval needs.
MAX_RESAMPLED_QUERIES = 50_000_000
MAX_KS = 20  # recall cut-offs per run: a file cannot ask for a million metrics per cell


def check_bootstrap_size(n_resamples: int, n_queries: int = 1) -> None:
    """MetricsError when ``n_resamples`` resamples of ``n_queries`` queries would take more
    memory than any interval needs (see :data:`MAX_RESAMPLED_QUERIES`)."""
    if n_resamples < 0:
        raise MetricsError(f"bootstrap must be 0 or more resamples, got {n_resamples}")
    if n_resamples * max(n_queries, 1) > MAX_RESAMPLED_QUERIES:
        most = MAX_RESAMPLED_QUERIES // max(n_queries, 1)
        of = f" of {n_queries} queries" if n_queries > 1 else ""
        raise MetricsError(f"bootstrap of {n_resamples} resamples{of} is too large to compute "
                           f"(at most {most}; 1000 gives a stable 95% interval)")


def check_ks(ks: Sequence[int]) -> None:
    """MetricsError unless ``ks`` is a short list of distinct recall cut-offs of 1 or more."""
    if not 1 <= len(ks) <= MAX_KS:
        raise MetricsError(f"ks must list 1 to {MAX_KS} recall cut-offs, got {len(ks)}")
    if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 for k in ks) or len(set(ks)) != len(ks):
        raise MetricsError("ks must be distinct whole numbers of 1 or more")


Positives = np.ndarray | Sequence[Sequence[int]] | Sequence[np.ndarray]


def _positive_matrix(positives: Positives, n_queries: int, n_gallery: int) -> tuple[np.ndarray, np.ndarray]:
    """(index matrix padded with 0, validity mask), shape (n_queries, max positives)."""
    if isinstance(positives, np.ndarray) and positives.ndim == 1 and positives.dtype.kind in "iu":
        # one relevant item per query: no per-query Python work
        if len(positives) != n_queries:
            raise MetricsError(f"positives has {len(positives)} entries but there are {n_queries} queries")
        bad = np.flatnonzero((positives < 0) | (positives >= n_gallery))
        if len(bad):
            raise MetricsError(f"query {int(bad[0])}: relevant index out of range for a gallery of {n_gallery}")
        return positives.astype(np.int64).reshape(-1, 1), np.ones((n_queries, 1), dtype=bool)
    lists = [np.unique(np.asarray(p, dtype=np.int64).reshape(-1)) for p in positives]
    if len(lists) != n_queries:
        raise MetricsError(f"positives has {len(lists)} entries but there are {n_queries} queries")
    width = max((len(p) for p in lists), default=1)
    index = np.zeros((n_queries, max(width, 1)), dtype=np.int64)
    mask = np.zeros_like(index, dtype=bool)
    for row, items in enumerate(lists):
        if len(items) == 0:
            raise MetricsError(f"query {row} has no relevant gallery item")
        if items.min() < 0 or items.max() >= n_gallery:
            raise MetricsError(f"query {row}: relevant index out of range for a gallery of {n_gallery}")
        index[row, : len(items)] = items
        mask[row, : len(items)] = True
    return index, mask


def _ideal_dcg(n_relevant: np.ndarray) -> np.ndarray:
    discounts = 1.0 / np.log2(np.arange(2, NDCG_DEPTH + 2))
    cumulative = np.concatenate([[0.0], np.cumsum(discounts)])
    return cumulative[np.minimum(n_relevant, NDCG_DEPTH)]


def _block_stats(scores: np.ndarray, index: np.ndarray, mask: np.ndarray) -> QueryStats:
    """Ranks and nDCG for one block of queries (rows of ``scores``)."""
    n = scores.shape[0]
    pos_scores = np.take_along_axis(scores, index, axis=1)
    pos_scores = np.where(mask, pos_scores, -np.inf)
    # For each relevant item r: how many gallery items score >= s_r, and how many of
    # those are themselves relevant. The difference is the irrelevant items placed
    # before r (pessimistic ties).
    at_least = np.count_nonzero(scores[:, None, :] >= pos_scores[:, :, None], axis=2)
    relevant_at_least = np.count_nonzero(pos_scores[:, None, :] >= pos_scores[:, :, None], axis=2)
    irrelevant_before = np.where(mask, at_least - relevant_at_least, 0)
    # Order the relevant items by score (descending); the k-th of them sits at rank
    # k + (irrelevant items scoring at least as high).
    order = np.argsort(-pos_scores, axis=1, kind="stable")
    sorted_irrelevant = np.take_along_axis(irrelevant_before, order, axis=1)
    sorted_mask = np.take_along_axis(mask, order, axis=1)
    position = np.arange(1, index.shape[1] + 1)[None, :]
    item_ranks = position + sorted_irrelevant
    first_rank = item_ranks[:, 0]
    gains = np.where(sorted_mask & (item_ranks <= NDCG_DEPTH), 1.0 / np.log2(item_ranks + 1.0), 0.0)
    ndcg = gains.sum(axis=1) / _ideal_dcg(mask.sum(axis=1))
    return QueryStats(first_rank.astype(np.int64).reshape(n), ndcg.astype(np.float64))


def query_stats(scores: np.ndarray, positives: Positives) -> QueryStats:
    """Per-query first-relevant rank and nDCG@10 for a full score matrix."""
    scores = np.asarray(scores)
    if scores.ndim != 2:
        raise MetricsError(f"scores must be a 2-D (queries x gallery) matrix, got shape {scores.shape}")
    if np.isnan(scores).any():
        raise MetricsError("scores contain NaN")
    index, mask = _positive_matrix(positives, scores.shape[0], scores.shape[1])
    return chunked_query_stats(lambda start, stop: scores[start:stop], scores.shape[0], scores.shape[1], index, mask)


def query_ranks(scores: np.ndarray, positives: Positives) -> np.ndarray:
    """The 1-based rank of each query's first relevant item (ties against it)."""
    return query_stats(scores, positives).ranks


def chunked_query_stats(
    score_block: Callable[[int, int], np.ndarray],
    n_queries: int,
    n_gallery: int,
    index: np.ndarray,
    mask: np.ndarray,
    *,
    max_block_elements: int = 1 << 24,
) -> QueryStats:
    """Per-query stats, scoring ``score_block(start, stop)`` (rows start..stop) one block
    at a time so memory stays bounded whatever the number of queries: a block holds at
    most ``max_block_elements`` scores (times the number of positives per query)."""
    ranks = np.empty(n_queries, dtype=np.int64)
    ndcg = np.empty(n_queries, dtype=np.float64)
    rows = max(1, max_block_elements // max(1, n_gallery * max(1, index.shape[1])))
    for start in range(0, n_queries, rows):
        stop = min(n_queries, start + rows)
        stats = _block_stats(score_block(start, stop), index[start:stop], mask[start:stop])
        ranks[start:stop] = stats.ranks
        ndcg[start:stop] = stats.ndcg
    return QueryStats(ranks, ndcg)


def embedding_query_stats(
    queries: np.ndarray,
    gallery: np.ndarray,
    positives: Positives,
    *,
    max_block_elements: int = 1 << 24,
) -> QueryStats:
    """Per-query stats for dot-product retrieval of ``queries`` against ``gallery``,
    computed block by block (the score matrix is never materialised in full)."""
    if queries.ndim != 2 or gallery.ndim != 2 or queries.shape[1] != gallery.shape[1]:
        raise MetricsError(f"embedding shapes do not match: queries {queries.shape}, gallery {gallery.shape}")
    index, mask = _positive_matrix(positives, queries.shape[0], gallery.shape[0])
    gallery_t = np.ascontiguousarray(gallery.T)
    return chunked_query_stats(
        lambda start, stop: queries[start:stop] @ gallery_t,
        queries.shape[0],
        gallery.shape[0],
        index,
        mask,
        max_block_elements=max_block_elements,
    )


def metrics_from_stats(stats: QueryStats, ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """All summary metrics of one run (or one bootstrap resample)."""
    ranks = stats.ranks
    if len(ranks) == 0:
        raise MetricsError("no queries to score")
    out = {recall_name(k): float(np.mean(ranks <= k)) for k in ks}
    out[MEDR] = float(np.median(ranks))
    out[MEANR] = float(np.mean(ranks))
    out[MRR] = float(np.mean(1.0 / ranks))
    out[NDCG] = float(np.mean(stats.ndcg))
    return out


def compute_metrics(scores: np.ndarray, positives: Positives, ks: Sequence[int] = DEFAULT_KS) -> dict[str, float]:
    """R@k (fractions), MedR, MeanR (1-based), MRR and nDCG@10 for a score matrix.

    ``scores`` is (n_queries, n_gallery), higher = more similar. ``positives`` is an int
    array with one relevant gallery index per query, or a list of index arrays (several
    relevant items; a query is a hit at k if any of them is in its top k).
    """
    return metrics_from_stats(query_stats(scores, positives), ks)


def bootstrap_distributions(
    stats: QueryStats, n_resamples: int, seed: int, ks: Sequence[int] = DEFAULT_KS
) -> dict[str, np.ndarray]:
    """Every metric on ``n_resamples`` resamples of the queries (with replacement).

    Vectorised over resamples so that 1000 resamples of 1000 queries take milliseconds.
    The same ``seed`` and query count always give the same resample indices, so two
    languages (or two models) with aligned queries are resampled identically: averaging
    their distributions gives a paired interval for the mean.
    """
    n = len(stats)
    check_bootstrap_size(n_resamples, n)
    check_ks(ks)
    counts = _resample_counts(n, n_resamples, seed)
    ranks = stats.ranks.astype(np.float64)
    columns = [(ranks <= k) for k in ks] + [ranks, 1.0 / ranks, stats.ndcg]
    means = counts @ np.stack(columns, axis=1).astype(np.float64) / n
    names = [recall_name(k) for k in ks] + [MEANR, MRR, NDCG]
    values: dict[str, np.ndarray] = {name: means[:, i] for i, name in enumerate(names)}
    values[MEDR] = _resampled_median(ranks, counts)
    return {name: values[name] for name in [recall_name(k) for k in ks] + [MEDR, MEANR, MRR, NDCG]}


@functools.lru_cache(maxsize=4)
def _resample_counts(n: int, n_resamples: int, seed: int) -> np.ndarray:
    """Resample r as the number of times each of the n queries was drawn in it.

    With counts, the means become one matrix product and the median a search in
    cumulative counts, instead of gathering n_resamples x n values per metric; and every
    cell of a run with the same query count and seed reuses one (read-only) matrix.
    """
    idx = np.random.default_rng(seed).integers(0, n, size=(n_resamples, n))
    counts = np.bincount((idx + (np.arange(n_resamples) * n)[:, None]).ravel(), minlength=n_resamples * n)
    counts = counts.reshape(n_resamples, n).astype(np.float64)
    counts.setflags(write=False)
    return counts


def _resampled_median(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Median of each resample given as per-item counts (same as ``np.median`` on the
    resampled values: the mean of the two middle order statistics when n is even).

    Items with equal values are pooled first (ranks of a good model take few distinct
    values), so the cumulative search runs over distinct values, not over items.
    """
    n = values.shape[0]
    distinct, inverse = np.unique(values, return_inverse=True)
    if len(distinct) <= 64:
        onehot = np.zeros((n, len(distinct)))
        onehot[np.arange(n), inverse] = 1.0
        pooled = counts @ onehot
    else:
        order = np.argsort(inverse, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(inverse[order]) != 0])
        pooled = np.add.reduceat(counts[:, order], starts, axis=1)
    cumulative = np.cumsum(pooled, axis=1)
    low_pos = (n - 1) // 2 + 1  # 1-based positions of the middle order statistics
    high_pos = n // 2 + 1
    low = distinct[np.count_nonzero(cumulative < low_pos, axis=1)]
    high = distinct[np.count_nonzero(cumulative < high_pos, axis=1)]
    return (low + high) / 2.0


def percentile_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    return float(low), float(high)


def bootstrap_metrics(
    stats: QueryStats,
    n_resamples: int,
    seed: int,
    ks: Sequence[int] = DEFAULT_KS,
    confidence: float = 0.95,
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap interval of every metric (empty when ``n_resamples`` is 0)."""
    if n_resamples <= 0:
        return {}
    dists = bootstrap_distributions(stats, n_resamples, seed, ks)
    return {name: percentile_interval(v, confidence) for name, v in dists.items()}


def rank_consistency(ranks_by_language: Mapping[str, np.ndarray]) -> float:
    """Cross-lingual consistency: for each item, the (population) variance of its rank
    across languages, averaged over items. 0 means every language ranks it the same.
    Arrays must be aligned (entry i is the same image in every language)."""
    arrays = [np.asarray(r, dtype=np.float64) for r in ranks_by_language.values()]
    if len(arrays) < 2:
        raise MetricsError("consistency needs at least two languages")
    lengths = {a.shape[0] for a in arrays}
    if len(lengths) != 1:
        raise MetricsError(f"rank arrays are not aligned across languages (lengths {sorted(lengths)})")
    return float(np.var(np.stack(arrays), axis=0).mean())
