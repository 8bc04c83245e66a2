"""The one set of rules a result file must keep, and the field checks every reader of a
user's file shares.

:func:`check` is what :meth:`xtd10.schema.Result.load` runs: a file the leaderboard accepts
is a file the benchmark accepts, with the same error naming the same field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, overload

import numpy as np

from xtd10.errors import XTD10Error
from xtd10.languages import LANGUAGE_CODE
from xtd10.schema.words import (
    AGGREGATES,
    ALL_LANGUAGES,
    CELL_FIELDS,
    MEDR,
    RANK_METRICS,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    TRACKS,
    cell_key,
    is_fraction,
    is_known_metric,
    recall_k,
)
from xtd10.userfiles import brief


class ResultFileError(XTD10Error):
    """A result file that cannot be read: not JSON, wrong schema, a malformed or
    inconsistent field. The message names the file and the field."""


TOLERANCE = 1e-6  # values are written rounded to 6 digits
MIN_RESAMPLES_FOR_CONTAINMENT = 100


class FieldChecker:
    """The one set of field checks of the files users hand the toolkit (result files here,
    the leaderboard's reported numbers too): each binds the file's name and the reader's
    error class, so that every message reads ``<file>: <field>: <problem>``."""

    def __init__(self, where: str, error: type[XTD10Error] = ResultFileError, *, mapping_word: str = "an object"):
        self.where = where
        self.error = error
        self.mapping_word = mapping_word  # JSON says object, YAML says mapping

    def fail(self, place: str, problem: str) -> XTD10Error:
        return self.error(f"{self.where}: {place}: {problem}")

    def mapping(self, value: Any, place: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(place, f"expected {self.mapping_word}, got {type(value).__name__}")
        return value

    def text(self, value: Any, place: str, *, optional: bool = False) -> str:
        if value is None and optional:
            return ""
        if not isinstance(value, str) or (not value.strip() and not optional):
            raise self.fail(place, f"expected a non-empty string, got {brief(value, 80)}")
        return value

    @overload
    def number(self, value: Any, place: str, *, optional: Literal[False] = False) -> float: ...
    @overload
    def number(self, value: Any, place: str, *, optional: bool) -> float | None: ...
    def number(self, value: Any, place: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(place, f"expected a finite number, got {brief(value, 80)}")
        return float(value)


def check(data: Any, where: str = "result") -> None:
    """Raise :class:`ResultFileError` naming the first field that breaks the schema.

    Structure: ``schema``/``schema_version`` known, ``dataset.name``, ``dataset.revision``
    and ``encoder.spec`` present, a non-empty ``metrics`` list of rows with a known track,
    one of its directions, a language code (or an aggregate), a subset, a known metric.
    Consistency: fractions in [0, 1], MedR/MeanR >= 1, ``n_queries`` > 0,
    ``ci_low <= value <= ci_high`` (MedR, and runs of under 100 bootstrap resamples:
    ``ci_low <= ci_high``), no duplicate row; where ``per_query`` ranks are given,
    one entry per cell, the recalls and ``n_queries`` recomputed from them equal the stored
    ones, and a stored ``ndcg`` list has one value per rank.
    """
    c = FieldChecker(where)
    data = c.mapping(data, "top level")
    if data.get("schema") != SCHEMA_NAME:
        raise c.fail("schema", f"unknown schema {data.get('schema')!r:.60} (expected {SCHEMA_NAME!r})")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise c.fail("schema_version", f"expected a positive integer, got {version!r:.40}")
    if version > SCHEMA_VERSION:
        raise c.fail("schema_version", f"version {version} is newer than this toolkit reads "
                                       f"({SCHEMA_VERSION}); upgrade xtd10")
    dataset = c.mapping(data.get("dataset"), "dataset")
    c.text(dataset.get("name"), "dataset.name")
    c.text(dataset.get("revision"), "dataset.revision")
    encoder = c.mapping(data.get("encoder"), "encoder")
    c.text(encoder.get("spec"), "encoder.spec")
    for name in ("config", "timings", "hardware"):
        if data.get(name) is not None:
            c.mapping(data[name], name)
    for name in ("toolkit_version", "created", "command"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise c.fail(name, f"expected a string, got {type(data[name]).__name__}")
    resamples = (data.get("config") or {}).get("bootstrap")
    contain = not isinstance(resamples, int) or resamples >= MIN_RESAMPLES_FOR_CONTAINMENT
    stored = _check_metrics(c, data.get("metrics"), contain)
    _check_per_query(c, data.get("per_query"), stored)


def _check_metrics(c: FieldChecker, metrics: Any, contain: bool = True) -> dict[tuple[str, ...], dict]:
    if not isinstance(metrics, list) or not metrics:
        raise c.fail("metrics", "expected a non-empty list")
    seen: dict[tuple[str, ...], dict] = {}
    for i, item in enumerate(metrics):
        place = f"metrics[{i}]"
        row = c.mapping(item, place)
        track = c.text(row.get("track"), f"{place}.track")
        if track not in TRACKS:
            raise c.fail(f"{place}.track", f"unknown track {track!r:.40} (known: {', '.join(TRACKS)})")
        direction = c.text(row.get("direction"), f"{place}.direction")
        if direction not in TRACKS[track]:
            raise c.fail(f"{place}.direction", f"{direction!r:.40} is not a direction of the {track} track")
        language = c.text(row.get("language"), f"{place}.language").strip()
        if language not in (*AGGREGATES, ALL_LANGUAGES) and not LANGUAGE_CODE.match(language):
            raise c.fail(f"{place}.language", f"not a language code: {language!r:.40}")
        subset = c.text(row.get("subset"), f"{place}.subset")
        metric = c.text(row.get("metric"), f"{place}.metric")
        if not is_known_metric(metric):
            raise c.fail(f"{place}.metric", f"unknown metric {metric!r:.40}")
        value = c.number(row.get("value"), f"{place}.value")
        low = c.number(row.get("ci_low"), f"{place}.ci_low", optional=True)
        high = c.number(row.get("ci_high"), f"{place}.ci_high", optional=True)
        for bound_name, bound in (("value", value), ("ci_low", low), ("ci_high", high)):
            if bound is None:
                continue
            if is_fraction(metric) and not 0.0 <= bound <= 1.0:
                raise c.fail(f"{place}.{bound_name}", f"{metric} must be a fraction in [0, 1], got {bound}")
            if metric in RANK_METRICS and bound < 1.0:
                raise c.fail(f"{place}.{bound_name}", f"{metric} is a rank (1 = best), got {bound}")
        if low is not None and high is not None:
            if low > high:
                raise c.fail(place, f"ci_low {low} is above ci_high {high}")
            # A percentile interval of a median (or of an average of medians), or one from a
            # handful of resamples, can miss the point estimate honestly; a mean's interval
            # from MIN_RESAMPLES_FOR_CONTAINMENT or more resamples cannot, short of damage.
            if contain and metric != MEDR and not low - TOLERANCE <= value <= high + TOLERANCE:
                raise c.fail(place, f"{metric} value {value} lies outside its interval [{low}, {high}]")
        n_queries = row.get("n_queries")
        if isinstance(n_queries, bool) or not isinstance(n_queries, int) or n_queries <= 0:
            raise c.fail(f"{place}.n_queries", f"expected a positive integer, got {n_queries!r:.40}")
        identity = (track, direction, language, subset, metric)
        if identity in seen:
            raise c.fail(place, f"duplicate metric row {'/'.join(identity)}")
        seen[identity] = dict(row, _place=place)
    return seen


def _check_per_query(c: FieldChecker, per_query: Any, stored: dict[tuple[str, ...], dict]) -> None:
    if per_query is None:
        return
    if not isinstance(per_query, list):
        raise c.fail("per_query", "expected a list")
    by_cell: dict[tuple[str, ...], list[tuple[str, dict]]] = {}
    for (*row_cell, metric), row in stored.items():
        by_cell.setdefault(tuple(row_cell), []).append((metric, row))
    first_entry: dict[tuple[str, ...], str] = {}  # cell -> where its per-query entry is
    for i, item in enumerate(per_query):
        place = f"per_query[{i}]"
        entry = c.mapping(item, place)
        if any(k not in entry for k in (*CELL_FIELDS, "ranks")):
            raise c.fail(place, f"needs {', '.join(CELL_FIELDS)} and ranks")
        ranks = entry["ranks"]
        if (not isinstance(ranks, list) or not ranks
                or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in ranks)):
            raise c.fail(f"{place}.ranks", "expected a non-empty list of ranks (integers >= 1)")
        for name in CELL_FIELDS:
            c.text(entry[name], f"{place}.{name}")
        cell = cell_key(entry)
        name = "/".join(cell)
        if cell in first_entry:
            raise c.fail(place, f"a second per-query entry for {name} (the first is {first_entry[cell]})")
        first_entry[cell] = place
        _check_ndcg(c, entry.get("ndcg"), len(ranks), place)
        array = np.asarray(ranks, dtype=np.int64)
        for metric, row in by_cell.get(cell, []):
            if row["n_queries"] != len(array):
                raise c.fail(row["_place"], f"n_queries {row['n_queries']} but per_query has {len(array)} "
                                            f"ranks for {name}")
            k = recall_k(metric)
            if k is not None:
                recomputed = float(np.mean(array <= k))
                if abs(recomputed - float(row["value"])) > TOLERANCE:
                    raise c.fail(row["_place"], f"{metric} of {name} is {row['value']} but its per_query ranks "
                                                f"give {recomputed:.6f}")


def _check_ndcg(c: FieldChecker, ndcg: Any, n_ranks: int, place: str) -> None:
    """``ndcg``, where stored, has one value in [0, 1] per query: as many as ``ranks``."""
    if ndcg is None:
        return
    if not isinstance(ndcg, list) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and 0.0 <= v <= 1.0 for v in ndcg):
        raise c.fail(f"{place}.ndcg", "expected a list of nDCG values (numbers in [0, 1])")
    if len(ndcg) != n_ranks:
        raise c.fail(f"{place}.ndcg", f"{len(ndcg)} values but {n_ranks} ranks: one of each per query")
