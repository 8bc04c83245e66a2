"""The records every leaderboard input is turned into.

Measured result files and reported YAML files look different on disk, but the tables,
plots and page all work on one flat list of :class:`Score` rows plus one :class:`Entry`
per model, so neither renderer needs to know where a number came from beyond ``kind``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import overload

from xtd10.schema import (
    DIRECTION_DESCRIPTIONS,
    MRR,
    NDCG,
    RANK_METRICS,
    RECALL_METRICS,
    TRACKS,
)

__all__ = ["DIRECTIONS", "DIRECTION_LABELS", "MEASURED", "PERCENT_METRICS", "REPORTED", "Entry", "Score",
           "to_display_scale", "unit_of"]

MEASURED = "measured"
REPORTED = "reported"

# Metrics shown in percent (they are fractions in result files); the rest keep their scale.
PERCENT_METRICS = frozenset({*RECALL_METRICS, MRR, NDCG})
DIRECTIONS = TRACKS
DIRECTION_LABELS = DIRECTION_DESCRIPTIONS


@dataclass(frozen=True)
class Entry:
    """One model on one dataset revision: a measured result file or a reported row group."""

    kind: str  # MEASURED or REPORTED
    key: str  # unique id within a build (stable, derived from inputs)
    model: str  # display name
    spec: str  # encoder spec for measured entries; "" for reported ones
    dataset: str  # "xtd10", "xtd10-demo", ...
    revision: str  # dataset revision; "" when a reported source does not say
    origin: str  # file the entry came from, relative to its input folder
    citation: str = ""  # reported: paper + table, or repository + commit
    url: str = ""  # reported: where to check the numbers (http(s) only)
    notes: str = ""
    details: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Score:
    """One number: an entry's metric for one track, direction, subset and language."""

    entry_key: str
    track: str
    direction: str
    subset: str
    language: str
    metric: str
    value: float  # percent for PERCENT_METRICS, raw otherwise
    ci_low: float | None = None
    ci_high: float | None = None
    n_queries: int | None = None


@overload
def to_display_scale(metric: str, value: float) -> float: ...
@overload
def to_display_scale(metric: str, value: None) -> None: ...
@overload
def to_display_scale(metric: str, value: float | None) -> float | None: ...
def to_display_scale(metric: str, value: float | None) -> float | None:
    """Result files store recalls as fractions; every output shows them in percent."""
    if value is None:
        return None
    return value * 100.0 if metric in PERCENT_METRICS else value


def unit_of(metric: str) -> str:
    if metric in PERCENT_METRICS:
        return "percent"
    if metric in RANK_METRICS:
        return "rank"
    return "raw"
