"""Add a verified result file to the leaderboard's results folder.

The leaderboard refuses two files for one encoder on one dataset revision (one would hide
the other), so placing a file is a decision, made here explicitly and said out loud:

* the same run is already there (same encoder, data and settings, identical metrics and
  ranks; only date, timings or hardware differ): nothing is written;
* a run of the same encoder on the same data is there with cells (languages, subsets,
  tracks) the new one lacks, and every cell both score has the same numbers: merged as
  ``xtd10 bench run`` merges (:func:`xtd10.benchmark.placement.save_result`: every average
  is recomputed from the merged ranks), or, when they cannot be merged, written beside it
  in ``unmerged/``, which the leaderboard does not read;
* a run that would change any cell already there (other numbers, ranks or settings),
  whatever else it covers: refused, unless ``replace`` is asked for, which overwrites those
  cells (merging the run in, or replacing the file when it covers all of its cells);
* the target name is taken by a result of another encoder or data revision: the new file
  gets a distinct name (the revision appended), never overwriting it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from xtd10.benchmark.result import default_result_path
from xtd10.errors import XTD10Error
from xtd10.files import atomic_write_bytes
from xtd10.leaderboard.errors import LeaderboardError
from xtd10.leaderboard.verify import Verification, verify_file
from xtd10.schema import Result

SETTINGS = ("tracks", "subsets", "bootstrap", "seed", "ks")


class SubmitError(LeaderboardError):
    """A result that cannot be placed: it does not verify, or would replace another run."""


@dataclass
class Placement:
    """What ``submit`` did with the file, in words for the CLI."""

    path: Path
    action: str  # "added", "unchanged", "replaced", "renamed", or save_result's "merged" / "beside"
    message: str
    verification: Verification


def identity(result: Result) -> tuple[str, str, str]:
    return (str(result.encoder.get("spec")), str(result.dataset.get("name")), str(result.dataset.get("revision")))


def settings(result: Result) -> tuple:
    return (tuple(result.dataset.get("languages") or ()), *(repr(result.config.get(k)) for k in SETTINGS))


def same_numbers(a: Result, b: Result) -> bool:
    return a.metrics == b.metrics and a.per_query == b.per_query


def changed_cells(old: Result, new: Result) -> list[tuple[str, str, str, str]]:
    """Cells both results score whose numbers, ranks or settings differ: what placing ``new``
    would replace."""
    same_settings = settings_of_runs(old) == settings_of_runs(new)

    def rows(result: Result, cell: tuple) -> list:
        found = [r for r in result.metrics if (r["track"], r["direction"], r["language"], r["subset"]) == cell]
        ranks = [e.get("ranks") for e in result.per_query
                 if (e["track"], e["direction"], e["language"], e["subset"]) == cell]
        return [sorted(found, key=lambda r: str(r["metric"])), ranks]

    common = [cell for cell in new.cells() if cell in set(old.cells())]
    return [cell for cell in common if not same_settings or rows(old, cell) != rows(new, cell)]


def settings_of_runs(result: Result) -> tuple:
    """The settings that make numbers of one cell comparable (the languages scored aside)."""
    return tuple(repr(result.config.get(k)) for k in ("bootstrap", "seed", "ks", "precision"))


def submit(path: str | os.PathLike, results_dir: str | os.PathLike, *, replace: bool = False,
           source: str | os.PathLike | None = None) -> Placement:
    """Verify ``path`` and place it under ``results_dir`` (see the module docstring)."""
    path = Path(path)
    report = verify_file(path, source=source)
    if not report.ok:
        shown = "; ".join(f"{p.where}: {p.message}" for p in report.problems[:3])
        more = f" (and {len(report.problems) - 3} more: run xtd10 leaderboard verify)" if len(report.problems) > 3 else ""
        raise SubmitError(f"{path} does not verify: {shown}{more}")
    new = Result.load(path)
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    same_run = None
    for existing in sorted(folder.glob("*.json")):
        if existing.resolve() == path.resolve():
            return Placement(existing, "unchanged", f"{existing} is already in the results folder", report)
        try:
            other = Result.load(existing)
        except XTD10Error:  # a broken neighbour is reported by the build, not here
            continue
        if identity(other) == identity(new):
            same_run = (existing, other)
            break
    data = path.read_bytes()
    if same_run is not None:
        existing, other = same_run
        if settings(other) == settings(new) and same_numbers(other, new):
            return Placement(existing, "unchanged", f"{existing} holds the same run (same encoder, data, settings "
                                                    "and numbers); nothing written", report)
        changed = changed_cells(other, new)
        if changed and not replace:
            shown = ", ".join("/".join(cell) for cell in changed[:4]) + (" ..." if len(changed) > 4 else "")
            raise SubmitError(
                f"{existing} already holds a result for encoder {identity(new)[0]!r} on {identity(new)[1]} revision "
                f"{identity(new)[2]} with different settings or numbers in {len(changed)} cell(s) ({shown}); "
                "pass --replace to overwrite them")
        if set(other.cells()) - set(new.cells()):
            from xtd10.benchmark.placement import save_result

            placed = save_result(new, existing)  # adds the new cells (with --replace: replaces the changed ones)
            return Placement(placed.path, placed.action, placed.describe(), report)
        atomic_write_bytes(existing, data)
        return Placement(existing, "replaced", f"replaced {existing} (same encoder and data, new run)", report)
    target = default_result_path(new, folder)
    if target.exists():
        revision = identity(new)[2][:12]
        target = target.with_name(f"{target.name.removesuffix('.json')}.{revision}.json")
        if target.exists():
            raise SubmitError(f"{target} exists and holds another run; rename the file and submit again")
        atomic_write_bytes(target, data)
        return Placement(target, "renamed", f"wrote {target} (the usual name holds another encoder or revision)",
                         report)
    atomic_write_bytes(target, data)
    return Placement(target, "added", f"wrote {target}", report)


__all__ = ["Placement", "SubmitError", "submit"]
