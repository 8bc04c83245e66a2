"""Gather every input of a build into one :class:`Leaderboard`.

This is where cross-file rules live: two measured files for the same encoder spec on the
same dataset revision are refused (one would silently hide the other), and results on
different revisions of one dataset are kept apart with an explicit warning, because a
changed caption file changes every number.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from xtd10.leaderboard.errors import DuplicateEntryError, LeaderboardError
from xtd10.leaderboard.records import MEASURED, REPORTED, Entry, Score
from xtd10.leaderboard.reported import read_reported_file
from xtd10.leaderboard.results import read_result_file

log = logging.getLogger(__name__)


@dataclass
class Leaderboard:
    """Everything the renderers need, in a stable order."""

    entries: list[Entry]
    scores: list[Score]
    warnings: list[str] = field(default_factory=list)
    # dataset name -> the revision most measured results use (ties: smallest string)
    primary_revisions: dict[str, str] = field(default_factory=dict)

    def entry(self, key: str) -> Entry:
        return self._by_key[key]

    def __post_init__(self) -> None:
        self._by_key = {e.key: e for e in self.entries}

    def measured(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == MEASURED]

    def reported(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == REPORTED]

    def groups(self) -> list[tuple[str, str]]:
        """(dataset, revision) pairs of the measured entries: datasets in the order the toolkit
        declares them (XTD10 first), then any other; primary revisions first."""
        from xtd10.schema import DATASETS

        order = {d.name: i for i, d in enumerate(DATASETS.values())}
        pairs = sorted({(e.dataset, e.revision) for e in self.measured()})
        return sorted(pairs, key=lambda p: (order.get(p[0], len(order)), p[0],
                                            self.primary_revisions.get(p[0]) != p[1], p[1]))

    def is_primary(self, dataset: str, revision: str) -> bool:
        return self.primary_revisions.get(dataset) == revision


def collect(results_dir: Path | None, reported_dir: Path | None) -> Leaderboard:
    """Read ``*.json`` from ``results_dir`` and ``*.yaml``/``*.yml`` from ``reported_dir``."""
    entries: list[Entry] = []
    scores: list[Score] = []
    for path in _files(results_dir, ("*.json",)):
        entry, entry_scores = read_result_file(path)
        entries.append(entry)
        scores.extend(entry_scores)
    for path in _files(reported_dir, ("*.yaml", "*.yml")):
        file_entries, file_scores = read_reported_file(path)
        entries.extend(file_entries)
        scores.extend(file_scores)
    _refuse_duplicates(entries)
    primary, warnings = _revisions(entries)
    entries.sort(key=lambda e: (e.kind != MEASURED, e.dataset, e.revision, e.model, e.origin, e.key))
    return Leaderboard(entries=entries, scores=scores, warnings=warnings, primary_revisions=primary)


def _files(folder: Path | None, patterns: tuple[str, ...]) -> list[Path]:
    if folder is None:
        return []
    if not folder.is_dir():
        raise LeaderboardError(f"{folder}: no such folder")
    found = {p for pattern in patterns for p in folder.glob(pattern) if p.is_file()}
    return sorted(found, key=lambda p: p.name)


def _refuse_duplicates(entries: list[Entry]) -> None:
    seen: dict[tuple[str, str, str], Entry] = {}
    for entry in entries:
        if entry.kind != MEASURED:
            continue
        identity = (entry.spec, entry.dataset, entry.revision)
        if identity in seen:
            first = seen[identity]
            raise DuplicateEntryError(
                f"{first.origin} and {entry.origin} both hold results for encoder {entry.spec!r:.80} "
                f"on {entry.dataset} revision {entry.revision}; keep one of them"
            )
        seen[identity] = entry


def _revisions(entries: list[Entry]) -> tuple[dict[str, str], list[str]]:
    by_dataset: dict[str, Counter] = defaultdict(Counter)
    for entry in entries:
        if entry.kind == MEASURED:
            by_dataset[entry.dataset][entry.revision] += 1
    primary: dict[str, str] = {}
    warnings: list[str] = []
    for dataset in sorted(by_dataset):
        counts = by_dataset[dataset]
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        primary[dataset] = best[0][0]
        if len(counts) > 1:
            others = ", ".join(f"{rev} ({n} result{'s' * (n != 1)})" for rev, n in best[1:])
            message = (
                f"Results for dataset {dataset} come from {len(counts)} different dataset revisions. "
                f"The main tables use revision {best[0][0]} ({best[0][1]} result{'s' * (best[0][1] != 1)}); "
                f"results on {others} are shown separately and are not comparable with it."
            )
            log.warning(message)
            warnings.append(message)
    return primary, warnings
