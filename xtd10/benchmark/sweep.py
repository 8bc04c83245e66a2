"""Scoring every model listed in ``benchmark/models.yaml`` (the leaderboard's roster).

The roster is data, not code, so adding a model to the leaderboard is a one-line edit;
this module validates it (errors name the file and entry) and runs each entry through
:func:`xtd10.benchmark.evaluate`, reporting — never silently skipping — entries that
cannot run here.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from xtd10.benchmark.placement import save_result
from xtd10.benchmark.result import default_result_path
from xtd10.benchmark.runner import evaluate
from xtd10.encoders.base import require_trusted
from xtd10.errors import ImagesUnavailableError, XTD10Error
from xtd10.schema import BOTH_TRACKS, TEXT_TRACK, TRACKS, Result
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


@dataclass
class SweepOutcome:
    entry: RosterEntry
    result: Result | None
    path: Path | None
    skipped: str | None = None  # why the entry did not run at all
    placement: str = ""  # "wrote PATH", "merged into PATH (...)" or "wrote PATH beside ..."
    partial: str | None = None  # what part of it did not run (the image track without images)


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
    **evaluate_options,
) -> Iterator[SweepOutcome]:
    """Evaluate each entry in turn and save its result; yields as it goes so a caller can
    report progress (``on_start(number, entry)`` is called before each entry runs).

    Entries that cannot run here (unknown adapter, missing package) are yielded with the
    reason instead of stopping the sweep. An entry for both tracks whose images cannot be
    had (offline, no ``--images``) still runs what it can, the text track, and says that the
    image track was skipped and why."""
    for number, entry in enumerate(entries, 1):
        if offline_only and not entry.offline:
            yield SweepOutcome(entry, None, None, "needs weights from the Hub (not offline)")
            continue
        if on_start is not None:
            on_start(number, entry)
        partial = None
        try:
            try:
                result = evaluate(entry.spec, tracks=TRACK_VALUES[entry.track], **evaluate_options)
            except ImagesUnavailableError as err:
                if TEXT_TRACK not in TRACK_VALUES[entry.track]:
                    raise
                partial = f"image track skipped: {err}"
                log.info("%s: %s; running the text track only", entry.spec, partial)
                result = evaluate(entry.spec, tracks=(TEXT_TRACK,), **evaluate_options)
        except (XTD10Error, ImportError) as err:
            # INFO, not WARNING: the reason travels in the outcome and the CLI prints it once
            log.info("skipping %s: %s", entry.spec, err)
            yield SweepOutcome(entry, None, None, str(err))
            continue
        placement = save_result(result, default_result_path(result, out_dir))
        yield SweepOutcome(entry, placement.result or result, placement.path, placement=placement.describe(),
                           partial=partial)
