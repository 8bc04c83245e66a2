"""Saving a result where another one already is: merge, replace or write beside, never lose.

What "never lose" guarantees: every scored cell of a result already at the path (its
per-query ranks and metric rows) stays in that file unless the new result scores that cell
again, for the same encoder (spec and revision) on the same dataset; the language averages
are recomputed; and every new result is written, at the path or under a name of its own.
``xtd10 bench run --model muse --track text --languages es`` must not replace the committed
11-language ``muse.json`` with a one-language file. So before writing:

* no file there, or the new result, of the same encoder on the same dataset, covers every
  cell of the old one: write (replace);
* the old one covers cells the new one does not, and both come from the same encoder
  identity, dataset revision and settings (bootstrap, seed, ks): merge — the new cells
  replace theirs, the others are kept, and every metric row (aggregates and consistency
  included) is recomputed from the merged per-query ranks, exactly as one run on all the
  cells would have written them;
* another encoder whose spec gives the same file name (``hf:/m/A``, ``hf:/m/a``): written
  under a name of its own (the file name plus a digest of its spec and revision), never over it;
* otherwise (another revision of the encoder, another dataset, different settings, no
  per-query ranks, an unreadable file): write beside it, in ``unmerged/`` next to the old
  file, under a new name each time (the time of writing), which the leaderboard does not read.

The read, the decision and the write run under a lock on the folder
(:func:`xtd10.files.locked_folder`), so concurrent runs into one file lose nothing.

The caller is told what happened and why (:class:`Placement`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xtd10.benchmark.public_paths import public_result
from xtd10.files import locked_folder
from xtd10.schema import DEFAULT_KS, DIRECTIONS, Result, ResultFileError

log = logging.getLogger(__name__)

WROTE, REPLACED, MERGED, BESIDE = "wrote", "replaced", "merged", "beside"
BESIDE_FOLDER = "unmerged"
SETTINGS = ("bootstrap", "seed", "ks", "precision")  # fp32 and bf16 cells never share a file


@dataclass(frozen=True)
class Placement:
    """Where a result went and why."""

    path: Path
    action: str  # WROTE, REPLACED, MERGED or BESIDE
    reason: str = ""
    result: Result | None = None  # what was written (the merged result when merged)

    def describe(self) -> str:
        if self.action == MERGED:
            return f"merged into {self.path} ({self.reason})"
        if self.action == BESIDE:
            return f"wrote {self.path} beside the existing result, not merged: {self.reason}"
        return f"wrote {self.path}" + (f" ({self.reason})" if self.reason else "")


def save_result(result: Result, path: str | os.PathLike) -> Placement:
    """Write ``result`` at ``path`` without losing any cell of a result already there.

    The read, the decision and the write happen under a lock on the folder, so two runs
    saving into one file at once each see the other's cells (one merges into the other).
    Machine paths are left out of what is written (:func:`public_result`), whoever made
    ``result``."""
    path = Path(path)
    with locked_folder(path.parent):
        return _place(public_result(result), path)


def _place(result: Result, path: Path, *, renamed: bool = False) -> Placement:
    if not path.exists():
        result.save(path)
        return Placement(path, WROTE, result=result)
    try:
        old = Result.load(path)
    except ResultFileError as err:
        return _beside(result, path, f"the existing file cannot be read ({err})")
    if encoder_identity(old) != encoder_identity(result):
        if old.encoder.get("spec") != result.encoder.get("spec") and not renamed:
            # another model whose spec gives the same file name (hf:/m/A, hf:/m/a): a name of its own
            other = _own_name(result, path)
            placed = _place(result, other, renamed=True)
            note = f"{path.name} holds another encoder, {old.encoder.get('spec')}; this one has a name of its own"
            log.warning("%s holds another encoder (%s); wrote %s", path, old.encoder.get("spec"), placed.path)
            return Placement(placed.path, placed.action, f"{placed.reason}; {note}" if placed.reason else note,
                             placed.result)
        return _beside(result, path, f"it holds encoder {old.encoder.get('spec')} at revision "
                                     f"{old.encoder.get('revision')}, not this run's {result.encoder.get('spec')} "
                                     f"at revision {result.encoder.get('revision')} (remove it to replace it)")
    if old.dataset.get("name") != result.dataset.get("name"):
        # a cell names no dataset: the same cells on other data are other numbers, not a re-run
        return _beside(result, path, f"it holds a result on {old.dataset.get('name')}, not on this run's "
                                     f"{result.dataset.get('name')} (remove it to replace it)")
    missing = [cell for cell in old.cells() if cell not in set(result.cells())]
    if not missing:
        result.save(path)
        return Placement(path, REPLACED, result=result)
    reason = _why_not_mergeable(old, result)
    if reason:
        return _beside(result, path, f"it holds {len(missing)} cell(s) this run did not score and {reason}")
    merged = merge_results(old, result)
    merged.save(path)
    return Placement(path, MERGED, f"kept {len(missing)} cell(s) of the earlier run, recomputed the averages",
                     merged)


def encoder_identity(result: Result) -> tuple[object, object]:
    """What tells two models apart: the spec and the revision of the weights."""
    return (result.encoder.get("spec"), result.encoder.get("revision"))


def _own_name(result: Result, path: Path) -> Path:
    """``<name>.<digest of spec and revision>.json``: the same model always gets the same name."""
    digest = hashlib.sha256(repr(encoder_identity(result)).encode()).hexdigest()[:8]
    return path.with_name(f"{path.name.removesuffix('.json')}.{digest}.json")


def _beside(result: Result, path: Path, reason: str) -> Placement:
    """A new file in ``unmerged/`` for each run: the time it was written, numbered when taken."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stem = path.name.removesuffix(".json")
    folder = path.parent / BESIDE_FOLDER
    target = folder / f"{stem}.{stamp}.json"
    number = 1
    while target.exists():
        number += 1
        target = folder / f"{stem}.{stamp}-{number}.json"
    result.save(target)
    log.warning("%s: not replaced (%s); wrote %s", path, reason, target)
    return Placement(target, BESIDE, reason, result)


def identity(result: Result) -> tuple:
    encoder = result.encoder
    return (encoder.get("spec"), encoder.get("name"), encoder.get("revision"),
            result.dataset.get("name"), result.dataset.get("revision"),
            *(_normal(result.config.get(key)) for key in SETTINGS))


def _normal(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def _why_not_mergeable(old: Result, new: Result) -> str:
    if identity(old) != identity(new):
        return "it comes from a different encoder, dataset revision or settings (bootstrap, seed, ks, precision)"
    stats = {**old.query_stats(), **new.query_stats()}
    if set(old.cells()) - set(old.query_stats()) or set(new.cells()) - set(new.query_stats()):
        return "it has no per-query ranks to recompute the averages from"
    if any("ndcg" in entry for entry in (*old.per_query, *new.per_query)):
        return "some queries have several relevant items, whose images per-query ranks do not record"
    sizes: dict[tuple[str, str, str], set[int]] = {}
    for (track, direction, _language, subset), cell in stats.items():
        sizes.setdefault((track, direction, subset), set()).add(len(cell))
    if any(len(n) > 1 for n in sizes.values()):
        return "its languages cover different images, whose alignment per-query ranks do not record"
    return ""


def merge_results(old: Result, new: Result) -> Result:
    """``new`` with the cells of ``old`` it lacks, every metric row recomputed.

    Only valid for results that :func:`save_result` finds mergeable: one query per image and
    every language covering the same images, so query i is the i-th image in every cell.
    """
    from xtd10.benchmark.scoring import Cell, metric_rows

    stats = {**old.query_stats(), **new.query_stats()}
    languages = list(dict.fromkeys([*old.dataset.get("languages", []), *new.dataset.get("languages", [])]))
    subsets = list(dict.fromkeys([*old.config.get("subsets", []), *new.config.get("subsets", [])]))
    tracks = list(dict.fromkeys([*old.config.get("tracks", []), *new.config.get("tracks", [])]))

    def order(cell: tuple[str, str, str, str]) -> tuple:
        _track, direction, language, subset = cell
        return (_index(subset, subsets), _index(language, languages), DIRECTIONS.index(direction))

    cells = [Cell(*key, stats=stats[key], query_images=np.arange(len(stats[key]))) for key in sorted(stats, key=order)]
    config = dict(new.config)
    bootstrap, seed = int(config.get("bootstrap", 0)), int(config.get("seed", 0))
    config.update(tracks=tracks, subsets=subsets)
    dataset = dict(new.dataset)
    dataset["languages"] = languages
    dataset["file_sha256"] = {**old.dataset.get("file_sha256", {}), **new.dataset.get("file_sha256", {})}
    per_query = {(e["track"], e["direction"], e["language"], e["subset"]): e for e in (*old.per_query, *new.per_query)}
    return Result(
        dataset=dataset, encoder=new.encoder, toolkit_version=new.toolkit_version, created=new.created,
        command=new.command, config=config, timings=new.timings, hardware=new.hardware,
        metrics=metric_rows(cells, bootstrap, seed, config.get("ks") or DEFAULT_KS),
        per_query=[per_query[c.key] for c in cells],
        extra={**old.extra, **new.extra},
    )


def _index(value: str, values: list[str]) -> int:
    return values.index(value) if value in values else len(values)
