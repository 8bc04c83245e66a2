"""Compact summaries of results as DataFrames (the CLI only turns them into text).

The full result has hundreds of rows; a person first wants one line per language with
the headline numbers of each direction.
"""

from __future__ import annotations

import pandas as pd

from xtd10.schema import AGGREGATES, CONSISTENCY, SUBSET_ALL, Result, is_fraction, recall_name

HEADLINE = (recall_name(1), recall_name(10))


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
