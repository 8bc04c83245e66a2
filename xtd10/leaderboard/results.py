"""Measured result files as leaderboard entries and scores.

Reading and validation are :meth:`xtd10.schema.Result.load` — the same reader as the
benchmark's, so a file the leaderboard accepts is one ``bench compare`` accepts and vice
versa. This module only turns a validated result into an :class:`Entry` and its
:class:`Score` rows (recalls in percent, ``jp`` stored as ``ja``).
"""

from __future__ import annotations

from pathlib import Path

from xtd10.errors import UnknownLanguageError
from xtd10.languages import normalize_language
from xtd10.leaderboard.records import MEASURED, Entry, Score, to_display_scale
from xtd10.schema import AGGREGATES, ALL_LANGUAGES, Result

__all__ = ["read_result_file"]


def read_result_file(path: Path, *, label: str | None = None) -> tuple[Entry, list[Score]]:
    """Parse and validate one result file into its entry and scores."""
    result = Result.load(path)
    spec = str(result.encoder["spec"])
    name = result.encoder.get("name")
    entry = Entry(
        kind=MEASURED,
        key=f"measured:{path.name}",
        model=name if isinstance(name, str) and name.strip() else spec,
        spec=spec,
        dataset=str(result.dataset["name"]),
        revision=str(result.dataset["revision"]),
        origin=path.name,
        details={
            "created": result.created,
            "toolkit_version": result.toolkit_version,
            "encoder": dict(result.encoder),
            "config": dict(result.config),
            "hardware": dict(result.hardware),
            "timings": dict(result.timings),
            # without per-query ranks the numbers cannot be recomputed (xtd10 leaderboard verify)
            "per_query": bool(result.per_query),
        },
    )
    descriptor = result.descriptor
    dataset_languages = frozenset(descriptor.languages) if descriptor is not None else frozenset()
    scores = [
        Score(
            entry_key=entry.key,
            track=row["track"],
            direction=row["direction"],
            subset=row["subset"],
            language=_language(row["language"], dataset_languages),
            metric=row["metric"],
            value=to_display_scale(row["metric"], float(row["value"])),
            ci_low=to_display_scale(row["metric"], _optional(row.get("ci_low"))),
            ci_high=to_display_scale(row["metric"], _optional(row.get("ci_high"))),
            n_queries=row.get("n_queries"),
        )
        for row in result.metrics
    ]
    return entry, scores


def _language(code: str, dataset_languages: frozenset[str]) -> str:
    """The code as the dataset spells it (``zh-Hans`` on XTD200 stays ``zh-Hans``), else the
    XTD10 code (``jp`` -> ``ja``)."""
    code = code.strip()
    if code in (*AGGREGATES, ALL_LANGUAGES) or code in dataset_languages:
        return code
    try:
        return normalize_language(code)
    except UnknownLanguageError:
        return code  # a language added with the crowd tools (the schema checked its form)


def _optional(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]
