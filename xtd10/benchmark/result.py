"""The result file (schema ``xtd10.result`` v1, see docs/result-schema.md).

A result must describe itself completely — data revision, encoder, configuration,
hardware, command — because the leaderboard and ``bench compare`` read nothing else.
Per-query ranks are stored too (the added ``per_query`` field), so that two result files
can be compared with a paired test without re-running either model.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xtd10.benchmark.metrics import NDCG_DEPTH, QueryStats
from xtd10.errors import XTD10Error
from xtd10.files import atomic_write_text
from xtd10.userfiles import read_text

SCHEMA = "xtd10.result"
SCHEMA_VERSION = 1
REQUIRED = ("toolkit_version", "created", "command", "dataset", "encoder", "config", "metrics", "timings",
            "hardware")
METRIC_FIELDS = ("track", "direction", "language", "subset", "metric", "value", "ci_low", "ci_high", "n_queries")
CELL_FIELDS = ("track", "direction", "language", "subset")


class ResultFileError(XTD10Error):
    """A result file that cannot be read: not JSON, wrong schema, missing fields."""


def cell_key(entry: dict[str, Any]) -> tuple[str, str, str, str]:
    return tuple(str(entry[k]) for k in CELL_FIELDS)  # type: ignore[return-value]


def ndcg_from_single_ranks(ranks: np.ndarray) -> np.ndarray:
    """nDCG@10 of queries that have exactly one relevant item."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks <= NDCG_DEPTH, 1.0 / np.log2(ranks + 1.0), 0.0)


def per_query_entry(cell: tuple[str, str, str, str], stats: QueryStats) -> dict[str, Any]:
    """Compact per-query record; ``ndcg`` is stored only when it cannot be derived from
    the rank (queries with several relevant items)."""
    entry: dict[str, Any] = dict(zip(CELL_FIELDS, cell, strict=True))
    entry["ranks"] = [int(r) for r in stats.ranks]
    if not np.allclose(stats.ndcg, ndcg_from_single_ranks(stats.ranks), atol=1e-12):
        entry["ndcg"] = [round(float(v), 6) for v in stats.ndcg]
    return entry


@dataclass
class Result:
    """One evaluation of one encoder on one dataset."""

    toolkit_version: str
    created: str
    command: str
    dataset: dict[str, Any]
    encoder: dict[str, Any]
    config: dict[str, Any]
    metrics: list[dict[str, Any]]
    timings: dict[str, Any]
    hardware: dict[str, Any]
    per_query: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # unknown top-level fields, kept on round trip

    # -- serialisation -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema": SCHEMA, "schema_version": SCHEMA_VERSION}
        for name in REQUIRED:
            data[name] = getattr(self, name)
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
        return atomic_write_text(path, self.to_json())

    @classmethod
    def from_dict(cls, data: Any, where: str = "result") -> Result:
        if not isinstance(data, dict):
            raise ResultFileError(f"{where}: expected a JSON object")
        if data.get("schema") != SCHEMA:
            raise ResultFileError(f"{where}: field 'schema' is {data.get('schema')!r}, expected {SCHEMA!r}")
        version = data.get("schema_version")
        if not isinstance(version, int) or version > SCHEMA_VERSION or version < 1:
            raise ResultFileError(
                f"{where}: field 'schema_version' is {version!r}; this toolkit reads versions up to {SCHEMA_VERSION}"
            )
        missing = [name for name in REQUIRED if name not in data]
        if missing:
            raise ResultFileError(f"{where}: missing field(s) {', '.join(missing)}")
        if not isinstance(data["metrics"], list):
            raise ResultFileError(f"{where}: field 'metrics' must be a list")
        for number, row in enumerate(data["metrics"]):
            lacking = [k for k in METRIC_FIELDS if k not in row] if isinstance(row, dict) else list(METRIC_FIELDS)
            if lacking:
                raise ResultFileError(f"{where}: metrics[{number}] lacks {', '.join(lacking)}")
        per_query = data.get("per_query") or []
        for number, entry in enumerate(per_query):
            if not isinstance(entry, dict) or any(k not in entry for k in (*CELL_FIELDS, "ranks")):
                raise ResultFileError(f"{where}: per_query[{number}] needs {', '.join(CELL_FIELDS)} and ranks")
        known = {"schema", "schema_version", "per_query", *REQUIRED}
        extra = {k: v for k, v in data.items() if k not in known}
        return cls(**{name: data[name] for name in REQUIRED}, per_query=per_query, extra=extra)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        path = Path(path)
        try:
            data = json.loads(read_text(path, ResultFileError, "result file"))
        except json.JSONDecodeError as err:
            raise ResultFileError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
        return cls.from_dict(data, str(path))

    # -- access ------------------------------------------------------------------------
    def frame(self) -> pd.DataFrame:
        """The metric rows as a DataFrame (one row per track/direction/language/subset/metric)."""
        return pd.DataFrame(self.metrics, columns=list(METRIC_FIELDS))

    def value(self, track: str, direction: str, language: str, subset: str, metric: str) -> float:
        for row in self.metrics:
            if (row["track"], row["direction"], row["language"], row["subset"], row["metric"]) == (
                track, direction, language, subset, metric):
                return float(row["value"])
        raise KeyError((track, direction, language, subset, metric))

    def query_stats(self) -> dict[tuple[str, str, str, str], QueryStats]:
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


DEFAULT_RESULTS_DIR = Path("leaderboards") / "results"


def result_slug(spec: str) -> str:
    """A file-name-safe form of an encoder spec: ``hf:openai/clip`` -> ``hf-openai-clip``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", spec).strip("-.").lower() or "encoder"


def default_result_path(result: Result, directory: str | os.PathLike | None = None) -> Path:
    """``<dir>/<slug>.json`` for XTD10, ``<dir>/<slug>.<dataset>.json`` for other data (the
    demo set), so a demo run never overwrites a real XTD10 result."""
    folder = Path(directory) if directory is not None else DEFAULT_RESULTS_DIR
    slug = result_slug(str(result.encoder.get("spec") or result.encoder.get("name")))
    name = result.dataset.get("name", "xtd10")
    return folder / (f"{slug}.json" if name == "xtd10" else f"{slug}.{name}.json")
