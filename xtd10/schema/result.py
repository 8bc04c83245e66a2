"""The result model: one evaluation of one encoder on one dataset, read and written through
one validating reader and one writer.

Every result file — written by ``xtd10 bench run``, compared by ``bench compare``, ranked
by the leaderboard — goes through :meth:`Result.load` and :meth:`Result.save`. The layout
follows the habits of other evaluation harnesses (mteb, lm-evaluation-harness): a flat
list of metric rows keyed by (track, direction, language, subset, metric), with the run's
configuration, the encoder's identity and the data's revision beside it, and the per-query
ranks that every metric, bootstrap and paired test starts from.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.files import atomic_write_text
from xtd10.schema.checks import ResultFileError, check
from xtd10.schema.datasets import DatasetDescriptor, dataset_descriptor
from xtd10.schema.words import (
    AGGREGATES,
    ALL_LANGUAGES,
    METRIC_FIELDS,
    NDCG_DEPTH,
    OPTIONAL,
    REQUIRED,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    Cell,
    cell_key,
)
from xtd10.userfiles import read_json


@dataclass(frozen=True)
class QueryStats:
    """Per-query outcome of one scored cell: all metrics, bootstraps and paired tests start here."""

    ranks: np.ndarray  # int64 (n,), 1-based rank of the first relevant item
    ndcg: np.ndarray  # float64 (n,), nDCG@10 of each query

    def __len__(self) -> int:
        return int(self.ranks.shape[0])

    def take(self, index: np.ndarray) -> QueryStats:
        return QueryStats(self.ranks[index], self.ndcg[index])


def ndcg_from_single_ranks(ranks: np.ndarray) -> np.ndarray:
    """nDCG@10 of queries that have exactly one relevant item."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks <= NDCG_DEPTH, 1.0 / np.log2(ranks + 1.0), 0.0)


@dataclass
class Result:
    """One evaluation of one encoder on one dataset (schema ``xtd10.result`` v1).

    ``metrics`` holds one dict per (track, direction, language, subset, metric) with
    ``value``, ``ci_low``, ``ci_high`` (95% bootstrap interval or None) and ``n_queries``;
    ``per_query`` the 1-based rank of every query of every scored cell. Unknown top-level
    fields are kept in ``extra`` and written back unchanged.
    """

    dataset: dict[str, Any]
    encoder: dict[str, Any]
    metrics: list[dict[str, Any]]
    toolkit_version: str = ""
    created: str = ""
    command: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    per_query: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    # -- writing -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The file's content, as recorded: whoever records a run leaves machine paths out
        of ``command`` and ``dataset.source`` (the benchmark does, see
        :mod:`xtd10.benchmark.public_paths`)."""
        data: dict[str, Any] = {"schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION,
                                "toolkit_version": self.toolkit_version, "created": self.created,
                                "command": self.command, "dataset": self.dataset,
                                "encoder": self.encoder, "config": self.config, "metrics": self.metrics,
                                "timings": self.timings, "hardware": self.hardware}
        data.update(self.extra)
        data["per_query"] = self.per_query
        return data

    def to_json(self) -> str:
        """Readable JSON: nested objects indented, but each metric row and each per-query
        array on one line, so files stay diff-friendly and small."""
        data = self.to_dict()
        rows = {"metrics": data.pop("metrics"), "per_query": data.pop("per_query")}
        head = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
        parts = [head[: head.rstrip().rfind("}")].rstrip()]
        for name, items in rows.items():
            body = ",\n".join("    " + json.dumps(item, ensure_ascii=False, separators=(", ", ": "),
                                                  allow_nan=False) for item in items)
            parts.append(f',\n  "{name}": [\n{body}\n  ]' if items else f',\n  "{name}": []')
        return "".join(parts) + "\n}\n"

    def save(self, path: str | os.PathLike) -> Path:
        """Validate, then write atomically (a crash never leaves half a file)."""
        text = self.to_json()
        Result.from_dict(json.loads(text), str(path))
        return atomic_write_text(path, text)

    # -- reading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        """Read and validate a result file; every fault is a :class:`ResultFileError`."""
        return cls.from_dict(read_json(path, ResultFileError, "result file"), str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "result") -> Result:
        """Validate ``data`` (see :func:`check`) and build the model."""
        check(data, where)
        known = {"schema", "schema_version", "per_query", *REQUIRED, *OPTIONAL}
        values = {name: data[name] for name in (*REQUIRED, *OPTIONAL) if data.get(name) is not None}
        return cls(**values, per_query=list(data.get("per_query") or []),
                   extra={k: v for k, v in data.items() if k not in known})

    # -- access --------------------------------------------------------------------------
    @property
    def descriptor(self) -> DatasetDescriptor | None:
        return dataset_descriptor(str(self.dataset.get("name")))

    def frame(self):  # -> pandas.DataFrame (imported lazily: pandas is slow to import)
        """The metric rows as a DataFrame (one row per track/direction/language/subset/metric)."""
        import pandas as pd

        return pd.DataFrame(self.metrics, columns=list(METRIC_FIELDS))

    def value(self, track: str, direction: str, language: str, subset: str, metric: str) -> float:
        for row in self.metrics:
            if (row["track"], row["direction"], row["language"], row["subset"], row["metric"]) == (
                    track, direction, language, subset, metric):
                return float(row["value"])
        raise KeyError((track, direction, language, subset, metric))

    def cells(self) -> list[Cell]:
        """Scored (track, direction, language, subset) cells, aggregates excluded."""
        seen: dict[Cell, None] = {}
        for row in self.metrics:
            if row["language"] not in (*AGGREGATES, ALL_LANGUAGES):
                seen[cell_key(row)] = None
        return list(seen)

    def query_stats(self) -> dict[Cell, QueryStats]:
        """Per-query ranks and nDCG of every scored cell, from the ``per_query`` field."""
        out = {}
        for entry in self.per_query:
            ranks = np.asarray(entry["ranks"], dtype=np.int64)
            ndcg = np.asarray(entry["ndcg"], dtype=np.float64) if "ndcg" in entry else ndcg_from_single_ranks(ranks)
            out[cell_key(entry)] = QueryStats(ranks, ndcg)
        return out


def clean_float(value: float | None, digits: int = 6) -> float | None:
    """JSON-safe rounding (no NaN in result files)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)
