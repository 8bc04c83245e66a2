"""Result files from the benchmark's side: the model lives in :mod:`xtd10.schema`; this
module adds what only the harness needs (per-query records, file names);
:func:`xtd10.benchmark.placement.save_result` never lets a narrow run replace a wider result.

Per-query ranks are stored (the ``per_query`` field) so that two result files can be
compared with a paired test without re-running either model, and so that a run on a few
languages can be merged into an earlier run on the others.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.schema import (
    CELL_FIELDS,
    DATASETS,
    QueryStats,
    Result,
    dataset_descriptor,
    ndcg_from_single_ranks,
)

__all__ = ["DEFAULT_RESULTS_DIR", "default_result_path", "per_query_entry", "result_slug", "results_folder"]

# A user's runs are theirs: they go to ./results/ (or $XTD10_RESULTS), never into the
# checkout's committed leaderboards/results/, which only ``xtd10 leaderboard submit`` changes.
DEFAULT_RESULTS_DIR = Path("results")
RESULTS_ENV = "XTD10_RESULTS"


def results_folder() -> Path:
    """Where runs write their result files when no ``--out`` is given: ``$XTD10_RESULTS``,
    else ``./results/``."""
    return Path(os.environ.get(RESULTS_ENV) or DEFAULT_RESULTS_DIR)


def per_query_entry(cell: tuple[str, str, str, str], stats: QueryStats) -> dict[str, Any]:
    """Compact per-query record; ``ndcg`` is stored only when it cannot be derived from
    the rank (queries with several relevant items)."""
    entry: dict[str, Any] = dict(zip(CELL_FIELDS, cell, strict=True))
    entry["ranks"] = [int(r) for r in stats.ranks]
    if not np.allclose(stats.ndcg, ndcg_from_single_ranks(stats.ranks), atol=1e-12):
        entry["ndcg"] = [round(float(v), 6) for v in stats.ndcg]
    return entry


# File systems refuse names over 255 bytes; a spec can be any length (a deep local path, a
# py: module path), so a long slug keeps its start and gains a hash of the whole spec:
# two long specs that differ only at the end still get two names.
MAX_SLUG = 80


def result_slug(spec: str) -> str:
    """A file-name-safe form of an encoder spec: ``hf:openai/clip`` -> ``hf-openai-clip``;
    at most :data:`MAX_SLUG` characters (a longer one ends in a short hash of the spec)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", spec).strip("-.").lower() or "encoder"
    if len(slug) <= MAX_SLUG:
        return slug
    digest = hashlib.sha256(spec.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{slug[:MAX_SLUG - len(digest) - 1].rstrip('-.')}-{digest}"


def default_result_path(result: Result, directory: str | os.PathLike | None = None) -> Path:
    """``<dir>/<slug>.json`` for XTD10, ``<dir>/<slug>.<dataset>.json`` for other data (the
    demo set), so a demo run never overwrites a real XTD10 result."""
    folder = Path(directory) if directory is not None else results_folder()
    slug = result_slug(str(result.encoder.get("spec") or result.encoder.get("name")))
    name = str(result.dataset.get("name", DATASETS["xtd10"].name))
    descriptor = dataset_descriptor(name)
    return folder / (descriptor.result_file_name(slug) if descriptor else f"{slug}.{name}.json")
