"""Failure views of the measured results, written by ``xtd10 leaderboard build``.

Each measured result with per-query ranks gets ``failures/<slug>/`` (the page of
``xtd10 bench explain``: hardest captions, language disagreement, rank distributions), and
its leaderboard rows link there. The views committed with the leaderboard hold ranks
only: the XTD10 captions are not redistributed (their licence), so a view links each
caption to its line in the upstream repository instead; ``xtd10 bench explain --source``
shows them in place. The embedded demo set's captions belong to this project and are shown.

Like the rest of the build, the output depends on the inputs only, so a rebuild from the
same result files is byte-identical, and views of results that are gone are removed.

Results over more than ``MAX_LANGUAGE_COLUMNS`` languages (XTD200, Flickr30k-200: 201) get
no committed view: a page of 201 language columns and rank curves is unreadable and adds
megabytes per result; ``xtd10 bench explain --languages ...`` makes one for the languages
a reader cares about.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from xtd10.errors import XTD10Error
from xtd10.files import replace_previous_outputs
from xtd10.leaderboard.collect import Leaderboard
from xtd10.leaderboard.per_language import MAX_LANGUAGE_COLUMNS
from xtd10.leaderboard.records import AGGREGATES

log = logging.getLogger(__name__)

FOLDER = "failures"
TOP = 5  # the committed views stay small; xtd10 bench explain lists 10 by default
VIEW_FILES = ("index.html", "per_image.csv", "hardest.csv", "disagreement.csv", "summary.csv")


def view_slug(origin: str) -> str:
    """``muse.json`` -> ``muse``; ``random.xtd10-demo.json`` -> ``random.xtd10-demo``."""
    stem = origin[:-5] if origin.endswith(".json") else origin
    return re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.") or "result"


def write_failure_views(board: Leaderboard, results_dir: Path | None, out_dir: Path) -> dict[str, str]:
    """Write a view per measured result that has ranks; ``{entry key: relative link}``."""
    from xtd10.benchmark.explain import explain, write_explanation

    links: dict[str, str] = {}
    folder = out_dir / FOLDER
    written: list[Path] = []
    if results_dir is not None:
        for entry in board.measured():
            if not entry.details.get("per_query"):  # a flag: the result has per-query ranks
                continue
            languages = {s.language for s in board.scores if s.entry_key == entry.key} - set(AGGREGATES)
            if len(languages) > MAX_LANGUAGE_COLUMNS:
                continue
            slug = view_slug(entry.origin)
            try:
                view = explain([results_dir / entry.origin], with_captions=entry.dataset == "xtd10-demo",
                               flagged={})
            except XTD10Error as err:
                log.warning("%s: no failure view: %s", entry.origin, err)
                continue
            written.extend(write_explanation(view, folder / slug, top=TOP, max_images=0, svg=False,
                                             thumbnails=False))
            links[entry.key] = f"{FOLDER}/{slug}/index.html"
    if results_dir is not None:
        _remove_stale(folder, written, out_dir)
    return links


def _remove_stale(folder: Path, written: list[Path], out_dir: Path) -> None:
    """Delete the files of views of results that are gone: only those the previous build
    listed, never a user's own file or one reached through a link out of ``out_dir``."""
    for path in replace_previous_outputs(folder, written, boundary=out_dir):
        for parent in (path.parent, path.parent.parent):
            if folder.resolve() in parent.resolve().parents:
                _rmdir_if_empty(parent)


def _rmdir_if_empty(path: Path) -> None:
    if path.is_dir() and not any(path.iterdir()):
        path.rmdir()
