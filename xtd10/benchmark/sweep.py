"""Scoring every model listed in ``benchmark/models.yaml`` (the leaderboard's roster).

The roster is data, not code, so adding a model to the leaderboard is a one-line edit;
this module validates it (errors name the file and entry) and runs each entry through
:func:`xtd10.benchmark.evaluate`, reporting — never silently skipping — entries that
cannot run here.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path

from xtd10.benchmark.executors import Job, LocalExecutor, RayExecutor, absolute_location
from xtd10.benchmark.placement import save_result
from xtd10.benchmark.result import default_result_path
from xtd10.encoders.registry import require_trusted
from xtd10.errors import XTD10Error
from xtd10.schema import BOTH_TRACKS, TRACKS, Result
from xtd10.userfiles import brief, read_yaml

log = logging.getLogger(__name__)

DEFAULT_ROSTER = Path("benchmark") / "models.yaml"
TRACK_VALUES = {**{track: (track,) for track in TRACKS}, BOTH_TRACKS: tuple(TRACKS)}


class RosterError(XTD10Error):
    """``models.yaml`` is malformed."""


@dataclass(frozen=True)
class RosterEntry:
    spec: str
    track: str
    offline: bool
    why: str


@dataclass(frozen=True)
class SweepProgress:
    """How far a sweep is, counted in models: ``eta_s`` assumes the rest go at the pace so far."""

    done: int
    total: int
    elapsed_s: float
    eta_s: float


@dataclass
class SweepOutcome:
    entry: RosterEntry
    result: Result | None
    path: Path | None
    skipped: str | None = None  # why the entry did not run at all (or, when ``failed``, how it broke)
    placement: str = ""  # "wrote PATH", "merged into PATH (...)" or "wrote PATH beside ..."
    partial: str | None = None  # what part of it did not run (the image track without images)
    failed: bool = False  # it ran and broke (skipped holds the error), rather than could not run here
    progress: SweepProgress | None = None  # after this model: models done, time so far and left


def load_roster(path: str | os.PathLike = DEFAULT_ROSTER, *, trust_code: bool = False) -> list[RosterEntry]:
    """The entries of a model list. A list is a file like a checkpoint's config: a ``py:``
    spec in it would import code from ``sys.path`` or the current folder, so it is refused
    (before anything runs) unless ``trust_code`` says the user trusts whoever wrote it."""
    path = Path(path)
    data = read_yaml(path, RosterError, "model list")
    if not isinstance(data, dict) or not isinstance(data.get("models"), list):
        raise RosterError(f"{path}: expected a mapping with a 'models' list")
    entries, seen = [], set()
    for number, item in enumerate(data["models"]):
        where = f"{path}: models[{number}]"
        if not isinstance(item, dict) or not isinstance(item.get("spec"), str) or not item["spec"].strip():
            raise RosterError(f"{where}: needs a non-empty 'spec'")
        track = item.get("track", BOTH_TRACKS)
        if track not in TRACK_VALUES:
            raise RosterError(f"{where}: track {brief(track)} is not one of {', '.join(TRACK_VALUES)}")
        offline = item.get("offline", False)
        if not isinstance(offline, bool):
            raise RosterError(f"{where}: 'offline' must be true or false")
        require_trusted(item["spec"].strip(), trust_code=trust_code, origin=where)
        if item["spec"] in seen:
            raise RosterError(f"{where}: spec {brief(item['spec'])} is listed twice")
        seen.add(item["spec"])
        entries.append(RosterEntry(item["spec"].strip(), track, offline, str(item.get("why", ""))))
    return entries


def run_sweep(
    entries: list[RosterEntry],
    out_dir: str | os.PathLike | None = None,
    *,
    offline_only: bool = False,
    on_start: Callable[[int, RosterEntry], None] | None = None,
    executor: LocalExecutor | RayExecutor | None = None,
    **evaluate_options,
) -> Generator[SweepOutcome, None, None]:
    """Evaluate each entry and save its result; yields as results come in so a caller can
    report progress (``on_start(number, entry)`` is called before each entry runs, by the
    local executor; Ray's tasks start where and when the cluster places them).

    ``executor`` runs the jobs (default: :class:`LocalExecutor`, in this process, in roster
    order); whichever it is, the results are saved here, through the one writer, so the files
    do not depend on it. Entries that cannot run here (unknown adapter, missing package) are
    yielded with the reason instead of stopping the sweep, and so are models that fail. An
    entry for both tracks whose images cannot be had (offline, no ``--images``) still runs
    what it can, the text track, and says that the image track was skipped and why."""
    executor = executor or LocalExecutor()
    if isinstance(executor, RayExecutor):
        evaluate_options = {**evaluate_options, "progress": False}  # a worker's progress bar reaches nobody
        for key in ("source", "images"):  # a worker's working folder is not ours
            if key in evaluate_options:
                evaluate_options[key] = absolute_location(evaluate_options[key])
    jobs, by_number, not_run = [], {}, []
    for number, entry in enumerate(entries, 1):
        if offline_only and not entry.offline:
            not_run.append(SweepOutcome(entry, None, None, "needs weights from the Hub (not offline)"))
            continue
        jobs.append(Job(number, entry.spec, TRACK_VALUES[entry.track], dict(evaluate_options)))
        by_number[number] = entry

    def starting(job: Job) -> None:
        if on_start is not None:
            on_start(job.number, by_number[job.number])

    clock = SweepClock(len(jobs))
    for job_outcome in executor.run(jobs, on_start=starting):
        entry = by_number[job_outcome.number]
        progress = clock.one_done()
        if job_outcome.result is None:
            yield SweepOutcome(entry, None, None, job_outcome.skipped or job_outcome.failed,
                               failed=job_outcome.failed is not None, progress=progress)
            continue
        result = Result.from_dict(job_outcome.result, f"the result of {entry.spec}")
        placement = save_result(result, default_result_path(result, out_dir))
        yield SweepOutcome(entry, placement.result or result, placement.path, placement=placement.describe(),
                           partial=job_outcome.partial, progress=progress)
    yield from not_run


class SweepClock:
    def __init__(self, total: int):
        self.total, self.done, self.started = total, 0, time.monotonic()

    def one_done(self) -> SweepProgress:
        self.done += 1
        elapsed = time.monotonic() - self.started
        return SweepProgress(self.done, self.total, elapsed, elapsed / self.done * (self.total - self.done))
