"""Check a result file without re-running its model.

A result file carries everything needed to recompute its numbers: the per-query ranks of
every scored cell, the bootstrap settings and seed, and the sha256 of every caption file it
was scored on. ``verify_result`` recomputes every metric row with the harness's own
functions (:func:`xtd10.benchmark.scoring.metric_rows`, so the numbers cannot drift from what
``xtd10 bench run`` writes) and compares them exactly with the stored ones; it checks the
data identity against the pinned upstream release (or a declared promoted source, or the
embedded demo set) and that every aggregate is the mean of its languages. Each problem is
one line naming the file and the cell, so a reviewer sees at once what was edited.

A file without per-query ranks cannot be recomputed: it is reported as *unverified*, which
the leaderboard shows beside the model.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import SupportsFloat

import numpy as np

from xtd10.encoders.reproducibility import reproducibility
from xtd10.errors import XTD10Error
from xtd10.languages import ENGLISH
from xtd10.schema import AGGREGATES, AVG, CONSISTENCY, DEFAULT_KS, OPPOSITE, DatasetDescriptor, Result

EXACT_DIGITS = 6  # result files round every number to 6 decimals (xtd10.schema.clean_float)


@dataclass
class Problem:
    """One thing wrong with a file: where (cell or field) and what."""

    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.where}: {self.message}"


@dataclass
class Verification:
    """The outcome for one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    verified: bool = False  # every metric row was recomputed from per-query ranks
    rows_checked: int = 0
    notes: list[str] = field(default_factory=list)
    reproducibility: str = ""  # what a re-run of the result's encoder is declared to reproduce

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(self.file, where, message))


def cell_name(track: str, direction: str, language: str, subset: str, metric: str | None = None) -> str:
    parts = [track, direction, language, subset] + ([metric] if metric else [])
    return "/".join(str(p) for p in parts)


def verify_file(path: str | os.PathLike, *, source: str | os.PathLike | None = None) -> Verification:
    """Every check on one file. The schema reader stops at its first fault: that is one
    ``schema`` line, and when the file is still well-formed enough, every cell is checked
    as well, so that all edited numbers are named, not only the first."""
    label = str(path)
    report = Verification(label)
    try:
        result = Result.load(path)
    except XTD10Error as err:
        report.add("schema", str(err).removeprefix(f"{label}: ").removeprefix(f"{label}:"))
        lenient = _lenient(path)
        if lenient is not None:  # malformed beyond the schema line: that line says it
            with contextlib.suppress(KeyError, TypeError, ValueError, AttributeError, IndexError):
                verify_result(lenient, label, source=source, report=report)
        return report
    return verify_result(result, label, source=source, report=report)


def _lenient(path: str | os.PathLike) -> Result | None:
    """The file as a result without the schema's checks, when its shape allows it."""
    import json

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # the schema line says why (a ValueError: bad JSON)
        return None
    if not isinstance(data, dict) or not all(isinstance(data.get(k), dict) for k in ("dataset", "encoder", "config")):
        return None
    metrics, per_query = data.get("metrics"), data.get("per_query") or []
    if not isinstance(metrics, list) or not isinstance(per_query, list):
        return None
    if not all(isinstance(r, dict) for r in metrics) or not all(isinstance(e, dict) for e in per_query):
        return None
    return Result(dataset=data["dataset"], encoder=data["encoder"], metrics=metrics, config=data["config"],
                  per_query=per_query)


def verify_result(result: Result, label: str = "result", *, source: str | os.PathLike | None = None,
                  report: Verification | None = None) -> Verification:
    """Data identity, aggregates and (when the file has per-query ranks) every metric row."""
    report = report or Verification(label)
    spec = result.encoder.get("spec") or result.encoder.get("name")
    if isinstance(spec, str) and spec.strip():
        made_on = result.hardware.get("cpu") if isinstance(result.hardware, dict) else None
        report.reproducibility = reproducibility(spec).statement + (f" (this file: made on {made_on})"
                                                                   if made_on else "")
    try:
        check_dataset(result, report, source)
    except XTD10Error as err:  # e.g. the demo set's image packages are not installed
        report.add("dataset", f"cannot be checked here: {err}")
    from xtd10.leaderboard.coverage import check_coverage

    check_coverage(result, report, source)
    if result.per_query:
        check_metrics(result, report)
    else:
        report.notes.append("unverified: no per-query ranks, its metrics cannot be recomputed")
    check_aggregates(result, report)
    return report


# -- data identity -----------------------------------------------------------------------
def fingerprint(prefix: str, hashes: dict[str, str]) -> str:
    """The revision string the data layer derives from file hashes (``local-``/``demo-``)."""
    joined = "\n".join(f"{rel} {digest}" for rel, digest in sorted(hashes.items()))
    return prefix + hashlib.sha256(joined.encode()).hexdigest()[:16]


def check_dataset(result: Result, report: Verification, source: str | os.PathLike | None) -> None:
    dataset = result.dataset
    name, revision = dataset.get("name"), str(dataset.get("revision"))
    hashes = dataset.get("file_sha256")
    if not isinstance(hashes, dict) or not hashes:
        report.add("dataset.file_sha256", "missing: the caption files cannot be identified")
        return
    from xtd10.schema import DATASETS, DEMO

    descriptor = result.descriptor
    if descriptor is not None and descriptor.key == DEMO.key:
        _check_demo(hashes, revision, report)
    elif descriptor is not None and descriptor.release is not None:
        _check_release(descriptor, dataset, hashes, revision, report, source)
    else:
        report.add("dataset.name", f"unknown dataset {name!r}; expected one of "
                                   f"{', '.join(d.name for d in DATASETS.values())}")


def _check_demo(hashes: dict, revision: str, report: Verification) -> None:
    from xtd10.data import demo

    expected = demo.demo_file_hashes()
    _compare_hashes(hashes, expected, report, "the embedded demo set")
    if revision != fingerprint("demo-", hashes):
        report.add("dataset.revision", f"{revision} does not match the file hashes it lists")


def _check_release(descriptor: DatasetDescriptor, dataset: dict, hashes: dict, revision: str,
                   report: Verification, source: str | os.PathLike | None) -> None:
    """A dataset with a pinned release (XTD10, XTD200, Flickr30k-200): its recorded hashes
    are the release's, or those of a promoted source the user points at."""
    from xtd10.data.registries import registry_for

    release = descriptor.release
    assert release is not None
    if descriptor.image_list not in hashes:
        report.add("dataset.file_sha256", f"no hash for the image list {descriptor.image_list}")
    if revision == release.commit:
        _compare_hashes(hashes, release.file_sha256, report, f"the pinned upstream release {release.commit[:7]}")
        registry = None
    elif revision.startswith("local-"):
        if revision != fingerprint("local-", hashes):
            report.add("dataset.revision", f"{revision} does not match the file hashes it lists")
        registry = _check_promoted(descriptor, hashes, report, source, revision)
        if registry is None:
            return
    else:
        report.add("dataset.revision", f"{revision!r} is neither the pinned upstream commit nor a local- revision")
        return
    from xtd10.errors import UnknownLanguageError

    registry = registry or registry_for(descriptor)
    for code in dataset.get("languages") or []:
        try:
            relpath = registry.get(code).upstream_path
        except UnknownLanguageError:
            report.add("dataset.languages", f"language {code!r} is neither built in nor declared by the source")
            continue
        if relpath not in hashes:
            report.add(f"dataset.file_sha256[{relpath}]", f"missing: language {code} was scored on an unlisted file")


def _check_promoted(descriptor: DatasetDescriptor, hashes: dict, report: Verification,
                    source: str | os.PathLike | None, revision: str):
    """A ``local-`` revision is accepted only against a source that declares its languages."""
    from xtd10.data.sources import EXTRA_LANGUAGES_FILE, LocalSource

    if source is None:
        report.add("dataset.revision", f"{revision} is not the pinned upstream release; pass the promoted "
                                       f"dataset's folder (--source DIR, with {EXTRA_LANGUAGES_FILE}) to check it")
        return None
    try:
        src = LocalSource(Path(source), dataset=descriptor)
    except XTD10Error as err:
        report.add("source", str(err))
        return None
    if not (src.root / EXTRA_LANGUAGES_FILE).is_file():
        report.add("source", f"{src.root} declares no languages ({EXTRA_LANGUAGES_FILE} missing): "
                             "not a promoted dataset")
        return None
    actual = {}
    for rel in hashes:
        if src.has(rel):
            from xtd10.files import sha256_file

            actual[rel] = sha256_file(src.path(rel))
    _compare_hashes(hashes, actual, report, f"the source {src.root.name}")
    return src.registry


def _compare_hashes(stored: Mapping, expected: Mapping, report: Verification, what: str) -> None:
    for rel in sorted(stored):
        if rel not in expected:
            report.add(f"dataset.file_sha256[{rel}]", f"no such file in {what}")
        elif stored[rel] != expected[rel]:
            report.add(f"dataset.file_sha256[{rel}]", f"sha256 {str(stored[rel])[:12]}... differs from "
                                                      f"{what} ({expected[rel][:12]}...)")


# -- aggregates ----------------------------------------------------------------------------
def check_aggregates(result: Result, report: Verification) -> None:
    """``avg`` is the mean over every scored language, ``avg_non_en`` over the others."""
    by_cell: dict[tuple, dict[str, float]] = defaultdict(dict)
    aggregates = []
    for row in result.metrics:
        key = (row["track"], row["direction"], row["subset"], row["metric"])
        if row["language"] in AGGREGATES:
            aggregates.append(row)
        elif row["language"] != "all" and isinstance(row["value"], (int, float)):
            by_cell[key][row["language"]] = float(row["value"])
    for row in aggregates:
        key = (row["track"], row["direction"], row["subset"], row["metric"])
        values = {lang: v for lang, v in by_cell.get(key, {}).items() if row["language"] == AVG or lang != ENGLISH}
        where = cell_name(row["track"], row["direction"], row["language"], row["subset"], row["metric"])
        if not values:
            report.add(where, "aggregate without any language rows to average")
            continue
        mean = float(np.mean(list(values.values())))
        # the languages are stored rounded: their mean can be off by half a unit of the last digit
        if not isinstance(row["value"], (int, float)) or abs(float(row["value"]) - mean) > 10 ** -EXACT_DIGITS + 1e-9:
            report.add(where, f"value {row['value']} is not the mean of its {len(values)} languages ({mean:.6f})")


# -- metrics from per-query ranks -------------------------------------------------------------
def check_metrics(result: Result, report: Verification) -> None:
    from xtd10.benchmark.metrics import MetricsError, check_bootstrap_size, check_ks
    from xtd10.benchmark.scoring import Cell, metric_rows

    config = result.config
    try:
        bootstrap, seed = int(config["bootstrap"]), int(config["seed"])
        ks = [int(k) for k in config.get("ks") or DEFAULT_KS]
    except (KeyError, TypeError, ValueError):
        report.add("config", "bootstrap, seed and ks are needed to recompute the intervals")
        return
    cells: list[Cell] = []
    before = len(report.problems)
    seen: set[tuple] = set()
    sizes = {}
    for number, entry in enumerate(result.per_query):
        key = (entry["track"], entry["direction"], entry["language"], entry["subset"])
        ranks = entry["ranks"]
        if key in seen:
            report.add(f"per_query[{number}]", f"cell {cell_name(*key)} appears twice")
            continue
        seen.add(key)
        if not isinstance(ranks, list) or not ranks or not all(
                isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in ranks):
            report.add(f"per_query[{number}] {cell_name(*key)}", "ranks must be a non-empty list of integers >= 1")
            continue
        sizes[key] = len(ranks)
    for number, entry in enumerate(result.per_query):
        key = (entry["track"], entry["direction"], entry["language"], entry["subset"])
        if key not in sizes:
            continue
        gallery = sizes.get((key[0], OPPOSITE.get(key[1], ""), key[2], key[3]))
        worst = max(entry["ranks"])
        if gallery is not None and worst > gallery:
            report.add(f"per_query[{number}] {cell_name(*key)}",
                       f"rank {worst} is beyond the gallery of {gallery} items")
    stats = result.query_stats()
    for key, stat in stats.items():
        if key in sizes:
            cells.append(Cell(*key, stats=stat, query_images=np.arange(len(stat))))
    if len(report.problems) > before:
        return
    try:  # sizes read from the file are bounded before anything is allocated for them
        check_ks(ks)
        for cell in cells:
            check_bootstrap_size(bootstrap, len(cell.stats))
    except MetricsError as err:
        report.add("config", str(err))
        return
    expected = metric_rows(cells, bootstrap, seed, ks)
    # consistency pairs queries across languages by position: only sound when every
    # language of a group has the same number of queries (one caption per image)
    unequal = {(c.track, c.direction, c.subset) for c in cells
               if len({len(o.stats) for o in cells if (o.track, o.direction, o.subset) ==
                       (c.track, c.direction, c.subset)}) > 1}
    stored = {_row_key(row): row for row in result.metrics}
    wanted = {_row_key(row): row for row in expected}
    for row_key, row in wanted.items():
        where = cell_name(*row_key)
        if row_key[4] == CONSISTENCY and (*row_key[:2], row_key[3]) in unequal:
            report.notes.append(f"{where}: not recomputed (languages cover different images)")
            continue
        have = stored.get(row_key)
        if have is None:
            report.add(where, "missing: the per-query ranks give this row but the file lacks it")
            continue
        report.rows_checked += 1
        for name in ("value", "ci_low", "ci_high", "n_queries"):
            if not _same(have.get(name), row[name]):
                report.add(where, f"{name} is {have.get(name)!r}, the per-query ranks give {row[name]!r}")
    for row_key in stored:
        if row_key not in wanted and not (row_key[4] == CONSISTENCY and (*row_key[:2], row_key[3]) in unequal):
            report.add(cell_name(*row_key), "no per-query ranks give this row")
    report.verified = len(report.problems) == before


def _row_key(row: dict) -> tuple[str, str, str, str, str]:
    return (str(row["track"]), str(row["direction"]), str(row["language"]), str(row["subset"]), str(row["metric"]))


def _same(stored: object, computed: object) -> bool:
    if computed is None or stored is None:
        return stored is None and computed is None
    if isinstance(stored, bool) or not isinstance(stored, (int, float)):
        return False
    if isinstance(computed, int):
        return stored == computed
    if not isinstance(computed, SupportsFloat):
        return False
    return math.isclose(float(stored), float(computed), rel_tol=0.0, abs_tol=0.0)


def verify_files(paths: list[str | os.PathLike], *, source: str | os.PathLike | None = None) -> list[Verification]:
    return [verify_file(path, source=source) for path in paths]


__all__ = ["Problem", "Verification", "verify_file", "verify_files",
           "verify_result"]
