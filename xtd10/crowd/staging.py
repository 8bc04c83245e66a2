"""The hidden work folder ``promote`` builds its output in, and the cleanup after a killed run.

A promotion copies the whole source (hundreds of MB) into a work folder beside ``-o`` and
then renames it into place, so that ``-o`` is never half written. A run that is killed
(SIGKILL, a power cut) cannot remove that folder itself, and repeated kills pile them up.
So every work folder carries a marker naming the output, the process and the machine,
and the next promotion into the same output removes the ones whose process is gone.

Only provably ours is touched: a real folder (never a symlink) named for this output,
holding a marker written by this module; a user's folder, whatever its name, has no
marker and is left alone. A run killed between moving the earlier output aside and
moving the new one in leaves the earlier output in its work folder; it is put back
before anything else happens.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import stat
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

MARKER = "xtd10-promote.json"
TAG = ".xtd10-promote-"
NEW, OLD = "new", "old"  # inside a work folder: the folder being built, the output moved aside
OTHER_HOST_STALE_S = 7 * 24 * 3600  # a process on another machine cannot be asked whether it still runs


def _prefix(out: Path) -> str:
    return f".{out.name}{TAG}"


def new_work_folder(out: Path) -> Path:
    """A fresh marked work folder beside ``out``; the new output is built in ``<it>/new``."""
    work = Path(tempfile.mkdtemp(dir=out.parent, prefix=f"{_prefix(out)}{os.getpid()}-"))
    marker = {"output": out.name, "pid": os.getpid(), "host": socket.gethostname(), "created": time.time()}
    (work / MARKER).write_text(json.dumps(marker), encoding="utf-8")
    return work


def swap_into_place(work: Path, out: Path) -> None:
    """Rename ``work/new`` to ``out``; an existing ``out`` is moved into ``work/old`` first
    (a rename on one filesystem) and removed with the work folder once the new one is in."""
    if os.path.lexists(out):
        os.replace(out, work / OLD)
        try:
            os.replace(work / NEW, out)
        except BaseException:
            os.replace(work / OLD, out)
            raise
    else:
        os.replace(work / NEW, out)
    shutil.rmtree(work, ignore_errors=True)


def discard(work: Path, out: Path) -> None:
    """Remove ``work`` after a failed run, first putting a moved-aside output back."""
    _restore(work, out)
    shutil.rmtree(work, ignore_errors=True)


def clean_stale(out: Path) -> list[Path]:
    """Remove the work folders of earlier promotions into ``out`` whose process has ended
    (restoring an output one of them had moved aside); returns what was removed."""
    parent = out.parent
    if not parent.is_dir():
        return []
    removed = []
    with os.scandir(parent) as entries:
        candidates = [Path(e.path) for e in entries
                      if e.name.startswith(_prefix(out)) and e.is_dir(follow_symlinks=False)]
    for work in candidates:
        marker = _read_marker(work)
        if marker is None:
            _remove_if_old_and_empty(work)  # killed between creating it and marking it
            continue
        if marker.get("output") != out.name or _maybe_running(marker):
            continue
        _restore(work, out)
        shutil.rmtree(work, ignore_errors=True)
        removed.append(work)
    if removed:
        log.warning("removed %d work folder(s) left beside %s by an interrupted promotion", len(removed), out)
    return removed


def _restore(work: Path, out: Path) -> None:
    old = work / OLD
    if not os.path.lexists(out) and old.is_dir() and not old.is_symlink():
        os.replace(old, out)
        log.warning("%s: put back the earlier output that an interrupted promotion had moved aside", out)


def _read_marker(work: Path) -> dict | None:
    """The marker of ``work`` if it is a small regular file holding a JSON object."""
    path = work / MARKER
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > 4096:
            return None
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return marker if isinstance(marker, dict) else None


def _maybe_running(marker: dict) -> bool:
    """Whether the promotion that made the folder may still be running (then it is kept)."""
    pid, host, created = marker.get("pid"), marker.get("host"), marker.get("created")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return True
    if host != socket.gethostname():
        return not (isinstance(created, (int, float)) and time.time() - created > OTHER_HOST_STALE_S)
    if pid == os.getpid():
        return True  # this process: another thread's promotion may be using it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _remove_if_old_and_empty(work: Path, min_age_s: float = 60.0) -> None:
    """An empty unmarked folder is removed once it is old enough that no run can be about
    to mark it."""
    try:
        if time.time() - os.lstat(work).st_mtime > min_age_s:
            work.rmdir()
    except OSError:
        pass
