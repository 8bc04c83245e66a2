"""Compact summaries of results as DataFrames (the CLI only turns them into text).

The full result has hundreds of rows; a person first wants one line per language with
the headline numbers of each direction.
"""

from __future__ import annotations

import pandas as pd

from xtd10.schema import AGGREGATES, CONSISTENCY, MEDR, R1, R10, SUBSET_ALL, Result, is_fraction, recall_k

HEADLINE = (R1, R10)


def summary_table(result: Result, subset: str = SUBSET_ALL, metrics: tuple[str, ...] = HEADLINE) -> pd.DataFrame:
    """Rows: languages (then the averages); columns: ``<direction> <metric>`` in percent
    for recalls. Missing cells (``en`` on the text track) are NaN."""
    frame = result.frame()
    frame = frame[(frame["subset"] == subset) & frame["metric"].isin(metrics)]
    if frame.empty:
        return pd.DataFrame()
    frame = frame.assign(
        column=frame["direction"] + " " + frame["metric"],
        shown=[v * 100 if is_fraction(m) else v for v, m in zip(frame["value"], frame["metric"], strict=True)],
    )
    table = frame.pivot_table(index="language", columns="column", values="shown", aggfunc="first", sort=False)
    directions = list(dict.fromkeys(frame["direction"]))
    columns = [f"{d} {m}" for d in directions for m in metrics if f"{d} {m}" in table.columns]
    languages = [c for c in result.dataset.get("languages", []) if c in table.index]
    order = languages + [a for a in AGGREGATES if a in table.index]
    return table.loc[order, columns]


def consistency_table(result: Result) -> pd.DataFrame:
    frame = result.frame()
    rows = frame[frame["metric"] == CONSISTENCY]
    return rows[["track", "direction", "subset", "value", "n_queries"]].reset_index(drop=True)


SMALL_GALLERY = 100  # below this, R@10 is near 100% for any encoder: show the median rank instead


def gallery_size(result: Result, subset: str = SUBSET_ALL) -> int:
    """Smallest number of queries of any scored cell in ``subset`` (the demo set: 12)."""
    sizes = [int(r["n_queries"]) for r in result.metrics
             if r["subset"] == subset and r["metric"] == R1 and r["language"] not in AGGREGATES]
    return min(sizes, default=0)


def headline_metrics(result: Result, subset: str = SUBSET_ALL) -> tuple[str, ...]:
    """R@1 and R@10 on XTD10; R@1 and the median rank on a small set such as the demo's
    12 photos, where R@10 is 100% for almost any encoder and says nothing."""
    n = gallery_size(result, subset)
    return (R1, MEDR) if 0 < n < SMALL_GALLERY else HEADLINE


def chance_level(metric: str, n: int) -> float:
    """The expected value of ``metric`` for a random ordering of ``n`` items with one right
    answer each (recalls in percent, as the summary table shows them)."""
    k = recall_k(metric)
    if k is not None:
        return 100.0 * min(k, n) / n
    if metric == MEDR:
        return (n + 1) / 2
    raise ValueError(f"no chance level for {metric!r}")


def rank_spread(result: Result, subset: str = SUBSET_ALL) -> list[tuple[str, float, int]]:
    """(direction, spread, n) per direction: how many positions the same item's rank moves
    between languages — the square root of the stored consistency value (the mean over
    items of the variance of their rank across languages), so it reads in rank positions."""
    frame = consistency_table(result)
    rows = frame[frame["subset"] == subset]
    return [(r.direction, float(r.value) ** 0.5, int(r.n_queries)) for r in rows.itertuples()]


def random_rank_spread(n: int) -> float:
    """The rank spread of an encoder that orders ``n`` items at random in every language:
    the standard deviation of a uniform rank on 1..n."""
    return ((n * n - 1) / 12) ** 0.5
