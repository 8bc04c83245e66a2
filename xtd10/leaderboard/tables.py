"""Turn a :class:`Leaderboard` into tables: rows of models, columns of languages.

Shared by the Markdown, HTML and plot renderers so that all three always agree on which
models appear, in what order, and with which averages.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from xtd10.encoders.metadata import text_side
from xtd10.languages import XTD10_CODES
from xtd10.leaderboard.collect import Leaderboard
from xtd10.leaderboard.records import (
    MEASURED,
    Entry,
    Score,
    unit_of,
)
from xtd10.schema import (
    AGGREGATES,
    ALL_LANGUAGES,
    AVG,
    AVG_NON_EN,
    CONSISTENCY,
    DIRECTIONS,
    MRR,
    NDCG,
    RANK_METRICS,
    RECALL_METRICS,
    TRACKS,
    XTD10,
    lower_is_better,
)

SUBSET_ORDER = XTD10.default_subsets
TRACK_ORDER = tuple(TRACKS)
DIRECTION_ORDER = DIRECTIONS
# the leaderboard's column order: fractions first, then ranks, then consistency
METRIC_ORDER = (*RECALL_METRICS, MRR, NDCG, *RANK_METRICS, CONSISTENCY)


@dataclass(frozen=True)
class View:
    """Which slice of the scores a table shows."""

    kind: str
    dataset: str
    revision: str  # "" for reported views
    track: str
    direction: str
    subset: str
    metric: str


@dataclass
class Row:
    entry: Entry
    rank: int | None  # measured only
    cells: dict[str, Score]  # language or aggregate -> score
    avg: float | None  # ranking key: the file's avg, else the mean over the row's languages
    n_languages: int
    tied: bool = False  # shares its position with another row (equal ranking key)


TIE_NOTE = "`=`: equal averages share a position."


def rank_label(rank: int | None, tied: bool) -> str:
    """``3``, or ``3=`` for a position shared by rows with equal averages."""
    return "" if rank is None else f"{rank}=" if tied else str(rank)


def assign_ranks(rows: list, key: Callable[[Any], float]) -> None:
    """Standard competition ranking of rows already sorted best-first: equal keys share a
    position (1, 1, 3), each marked ``tied``; a tie is never broken by the model's name."""
    previous = None
    for position, row in enumerate(rows, start=1):
        if previous is not None and key(row) == key(previous):
            row.rank, row.tied, previous.tied = previous.rank, True, True
        else:
            row.rank = position
        previous = row


def shared_text_encoders(entries: Iterable[Entry]) -> list[tuple[str, list[str]]]:
    """``(text encoder spec, entry specs)`` for each group of two or more entries whose
    captions one encoder embeds (their text-track numbers are one model's), e.g.
    ``("muse", ["offline-labels", "muse"])``."""
    groups: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.spec and entry.spec not in groups[text_side(entry.spec)]:
            groups[text_side(entry.spec)].append(entry.spec)
    return [(side, sorted(specs)) for side, specs in groups.items() if len(specs) > 1]


@dataclass
class Table:
    view: View
    languages: list[str]  # columns, registry order (aggregates separate)
    aggregates: list[str]  # aggregate columns present, e.g. ["avg", "avg_non_en"]
    rows: list[Row]


def language_order(codes: set[str] | list[str]) -> list[str]:
    known = [c for c in XTD10_CODES if c in codes]
    return known + sorted(c for c in codes if c not in XTD10_CODES and c not in AGGREGATES and c != ALL_LANGUAGES)


def _pos(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


def _view_key(item: tuple[str, str, str, str]) -> tuple:
    track, direction, subset, metric = item
    return (_pos(track, TRACK_ORDER), _pos(direction, DIRECTION_ORDER), _pos(subset, SUBSET_ORDER), subset,
            _pos(metric, METRIC_ORDER), metric)


def views(board: Leaderboard, kind: str, dataset: str | None = None, revision: str | None = None,
          metrics: tuple[str, ...] = RECALL_METRICS) -> list[View]:
    """Every (track, direction, subset, metric) slice with data, in reading order."""
    keys = {e.key for e in board.entries if e.kind == kind and (dataset is None or e.dataset == dataset)
            and (revision is None or e.revision == revision)}
    found = {(s.track, s.direction, s.subset, s.metric) for s in board.scores if s.entry_key in keys
             and s.metric in metrics}
    datasets = sorted({board.entry(k).dataset for k in keys}) if dataset is None else [dataset]
    result = []
    for ds in datasets:
        for track, direction, subset, metric in sorted(found, key=_view_key):
            result.append(View(kind, ds, revision or "", track, direction, subset, metric))
    return result


def build_table(board: Leaderboard, view: View) -> Table | None:
    """Rows for one view; measured rows ranked best-first, reported rows in entry order."""
    entries = [e for e in board.entries if e.kind == view.kind and e.dataset == view.dataset
               and (view.kind != MEASURED or e.revision == view.revision)]
    wanted = {e.key for e in entries}
    cells: dict[str, dict[str, Score]] = defaultdict(dict)
    for score in board.scores:
        if (score.entry_key in wanted and score.track == view.track and score.direction == view.direction
                and score.subset == view.subset and score.metric == view.metric):
            cells[score.entry_key][score.language] = score
    if not cells:
        return None
    languages = language_order({lang for row in cells.values() for lang in row})
    aggregates = [a for a in AGGREGATES if any(a in row for row in cells.values())]
    if "en" not in languages and AVG in aggregates:
        aggregates = [a for a in aggregates if a != AVG_NON_EN]  # the text track: both are the same mean
    rows = []
    for entry in entries:
        if entry.key not in cells:
            continue
        row_cells = cells[entry.key]
        values = [row_cells[lang].value for lang in languages if lang in row_cells]
        avg = row_cells[AVG].value if AVG in row_cells else sum(values) / len(values) if values else None
        rows.append(Row(entry=entry, rank=None, cells=row_cells, avg=avg,
                        n_languages=sum(1 for lang in languages if lang in row_cells)))
    if view.kind == MEASURED:
        sign = 1.0 if lower_is_better(view.metric) else -1.0
        # An average over fewer languages is not comparable: such rows are listed last, unranked.
        complete = len(languages)
        rows.sort(key=lambda r: (r.n_languages < complete, r.avg is None,
                                 sign * (r.avg if r.avg is not None else 0.0), r.entry.model, r.entry.key))
        assign_ranks([r for r in rows if r.n_languages == complete and r.avg is not None], lambda r: r.avg)
    return Table(view=view, languages=languages, aggregates=aggregates, rows=rows)


def tidy_frame(board: Leaderboard) -> pd.DataFrame:
    """One row per number, with everything needed to interpret it (the CSV's content)."""
    records = []
    for score in board.scores:
        entry = board.entry(score.entry_key)
        records.append({
            "kind": entry.kind,
            "model": entry.model,
            "encoder_spec": entry.spec,
            "dataset": entry.dataset,
            "dataset_revision": entry.revision,
            "primary_revision": (entry.kind == MEASURED and board.is_primary(entry.dataset, entry.revision)),
            "track": score.track,
            "direction": score.direction,
            "subset": score.subset,
            "language": score.language,
            "metric": score.metric,
            "value": _round(score.value),
            "ci_low": _round(score.ci_low),
            "ci_high": _round(score.ci_high),
            "unit": unit_of(score.metric),
            "n_queries": score.n_queries,
            "source": entry.citation or entry.origin,
            "source_url": entry.url,
            "file": entry.origin,
        })
    columns = ["kind", "model", "encoder_spec", "dataset", "dataset_revision", "primary_revision", "track",
               "direction", "subset", "language", "metric", "value", "ci_low", "ci_high", "unit",
               "n_queries", "source", "source_url", "file"]
    frame = pd.DataFrame.from_records(records, columns=columns)
    frame["n_queries"] = frame["n_queries"].astype("Int64")  # counts, not floats, despite missing values
    if frame.empty:
        return frame
    lang_rank = {code: i for i, code in enumerate([*XTD10_CODES, *AGGREGATES, ALL_LANGUAGES])}
    frame["_k"] = (frame["kind"] != MEASURED).astype(int)
    frame["_t"] = frame["track"].map(lambda t: _pos(t, TRACK_ORDER))
    frame["_d"] = frame["direction"].map(lambda d: _pos(d, DIRECTION_ORDER))
    frame["_s"] = frame["subset"].map(lambda s: _pos(s, SUBSET_ORDER))
    frame["_m"] = frame["metric"].map(lambda m: _pos(m, METRIC_ORDER))
    frame["_l"] = frame["language"].map(lambda code: lang_rank.get(code, 99))
    frame = frame.sort_values(
        ["_k", "dataset", "dataset_revision", "model", "file", "source", "_t", "_d", "_s", "subset", "_m",
         "metric", "_l", "language"], kind="mergesort")
    return frame.drop(columns=[c for c in frame.columns if c.startswith("_")]).reset_index(drop=True)


def _round(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), 4)
