"""Atomic writes and hashing, used by every module that writes or verifies files.

A crash or Ctrl-C must never leave a half-written result, cache entry or download that
a later run would mistake for a complete one, so everything is written to a temporary
file in the destination directory and renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


class WriteError(OSError):
    """A file could not be written (a full disk, a read-only folder, no permission).

    Its message is one line naming the file, the cause and the free space there, and
    saying that an earlier file at that path is unchanged (the write was atomic). It keeps
    the ``errno`` of the failure and is an ``OSError``, so code that tolerates failed
    writes (a cache) still catches it; the command line shows it without a traceback.
    """

    def __init__(self, path: Path, cause: OSError, existed: bool):
        super().__init__(cause.errno, cause.strerror or str(cause))
        self.path = path
        outcome = "the earlier file is unchanged" if existed else "nothing was written"
        self.message = (f"cannot write {path}: {cause.strerror or cause}"
                        f"{_free_space_note(path.parent)}; {outcome}")

    def __str__(self) -> str:
        return self.message


def _free_space_note(folder: Path) -> str:
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            try:
                free = shutil.disk_usage(candidate).free
            except OSError:
                return ""
            return f" ({_human_bytes(free)} free there)"
    return ""


def _human_bytes(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value} bytes"  # pragma: no cover - the loop always returns


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "wb", **kwargs) -> Iterator[IO]:
    """Open a temporary sibling of ``path`` for writing; rename it over ``path`` on success.

    Any failure to write (``OSError``, a full disk above all) removes the temporary file,
    leaves an earlier file at ``path`` untouched and raises :class:`WriteError`."""
    if not any(flag in mode for flag in "wax"):
        raise ValueError("atomic_open is for writing")
    target = Path(path)
    existed = target.exists()
    tmp: str | None = None
    in_body = False  # the caller's code may read other files: only its failed writes are ours
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        with os.fdopen(fd, mode.replace("x", "w").replace("a", "w"), **kwargs) as handle:
            in_body = True
            yield handle
            in_body = False
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _default_mode())  # mkstemp creates 0600; give the file the usual umask mode
        os.replace(tmp, target)
    except BaseException as err:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(err, OSError) and not isinstance(err, WriteError) \
                and (not in_body or err.errno in _WRITE_ERRNOS):
            raise WriteError(target, err, existed) from err
        raise


# what a write inside the caller's block fails with when the disk, not the caller, is at fault
_WRITE_ERRNOS = frozenset(getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS", "EFBIG")
                          if hasattr(errno, name))


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    with atomic_open(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    with atomic_open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(text)
    return Path(path)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


@contextlib.contextmanager
def locked_folder(folder: str | os.PathLike) -> Iterator[Path]:
    """Hold an exclusive lock on ``folder`` (created if missing) for a read-modify-write.

    Atomic writes keep each file whole, but two processes that each read a file, change it
    and write it back still lose one change; both take this lock around the whole sequence.
    The lock is ``flock`` on the folder itself (no lock file is left behind), released when
    the block ends or the process dies. Where ``fcntl`` does not exist (Windows), the block
    runs unlocked.
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield path
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)  # closing the descriptor releases the lock


OUTPUTS_MANIFEST = ".xtd10-outputs.json"


def replace_previous_outputs(folder: str | os.PathLike, written: list[Path], *, boundary: str | os.PathLike) -> list[Path]:
    """Remove the files the previous run listed in ``folder``'s manifest and this run did not
    write, then list what this run wrote; returns the removed files.

    A command that cleans a folder it writes into must never delete what it did not make (a
    user's own figure, a file reached through a symlink), so only files named in its own
    manifest go, and only when they really lie inside ``boundary`` (the output folder, with
    symlinks resolved) and are not links themselves. A folder without a manifest loses nothing.
    """
    import json

    root = Path(folder)
    limit = Path(boundary).resolve()
    manifest = root / OUTPUTS_MANIFEST
    previous: list[str] = []
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(manifest.read_text(encoding="utf-8"))
        previous = [str(name) for name in loaded if isinstance(name, str)] if isinstance(loaded, list) else []
    base = root.resolve()
    now = sorted({p.resolve().relative_to(base).as_posix() for p in written if base in p.resolve().parents})
    removed = []
    for name in sorted(set(previous) - set(now)):
        candidate = root / name
        if Path(name).is_absolute() or ".." in Path(name).parts or candidate.is_symlink() or not candidate.is_file():
            continue
        if limit not in candidate.resolve().parents:
            continue  # reached through a link out of the output folder: not ours to delete
        candidate.unlink()
        removed.append(candidate)
    if limit in base.parents or base == limit:
        atomic_write_text(manifest, json.dumps(now, indent=0) + "\n")
    return removed
