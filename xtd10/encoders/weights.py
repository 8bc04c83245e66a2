"""The identity of local weights: by content, never by file name.

Result files and the embedding cache key an encoder on its ``meta.revision``. For weights
loaded from a local path (an OpenCLIP checkpoint file, an ``hf:`` directory, a baseline
checkpoint) that revision must change whenever the bytes do: a new checkpoint saved under
the old name must not be served the old model's vectors. Every adapter that takes a path
calls :func:`weights_identity`.

Hashing a multi-gigabyte checkpoint takes seconds, so each file's sha256 is remembered by
(absolute path, size, modification and change times in ns, inode): in memory for the
process, and in ``<cache root>/weights/`` across runs. Any write to the file changes that
stamp and forces a new hash; a file written in the last two seconds is always hashed, as
two writes within the file system's clock tick could leave the same stamp.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from xtd10.files import atomic_write_text, sha256_file

log = logging.getLogger(__name__)

# A model directory is identified by every file in it: loaders read more than weights and
# config (tokenizer.json, vocab files, processor_config.json, pooling settings, remote
# code), and a list of the files that matter goes stale with each new loader. Only files
# no loader reads are left out: documentation, licences, and hidden entries (``.git``,
# download metadata under ``.cache``), whose churn would otherwise cost a re-encode.
DOCUMENTATION_SUFFIXES = (".md", ".rst")
DOCUMENTATION_STEMS = ("license", "licence", "notice", "copying")

_MEMO: dict[tuple, str] = {}


# A file changed this recently may change again within the file system's timestamp
# granularity without its stamp changing: its hash is computed but not remembered.
_RACY_NS = 2_000_000_000


def _stamp(path: Path) -> tuple:
    stat = path.stat()
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)


def _disk_memo_path(stamp: tuple) -> Path:
    from xtd10.cache import cache_root

    key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:32]
    return cache_root() / "weights" / f"{key}.json"


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 of a file's bytes, computed once per (path, size, mtime, inode)."""
    path = Path(path)
    stamp = _stamp(path)
    if time.time_ns() - max(stamp[2], stamp[3]) < _RACY_NS:
        return sha256_file(path)
    if stamp in _MEMO:
        return _MEMO[stamp]
    memo = _disk_memo_path(stamp)
    digest = None
    try:
        record = json.loads(memo.read_text(encoding="utf-8"))
        if record.get("stamp") == list(stamp) and isinstance(record.get("sha256"), str) \
                and len(record["sha256"]) == 64:
            digest = record["sha256"]
    except (OSError, ValueError, AttributeError):
        pass
    if digest is None:
        digest = sha256_file(path)
        if _stamp(path) == stamp:  # not rewritten while it was read
            try:
                atomic_write_text(memo, json.dumps({"stamp": list(stamp), "sha256": digest}) + "\n")
            except OSError as err:  # a read-only cache only costs the hash next time
                log.debug("cannot remember the hash of %s: %s", path, err)
    _MEMO[stamp] = digest
    return digest


def _read_by_no_loader(relative: Path) -> bool:
    if any(part.startswith(".") for part in relative.parts):
        return True
    name = relative.name.lower()
    return name.endswith(DOCUMENTATION_SUFFIXES) or name.split(".")[0] in DOCUMENTATION_STEMS


def identity_files(directory: str | os.PathLike) -> list[Path]:
    """The files of a model directory that define its identity: all of them, recursively
    (module folders count), but documentation, licences and hidden entries."""
    root = Path(directory)
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and not _read_by_no_loader(path.relative_to(root)))


def weights_identity(path: str | os.PathLike) -> str:
    """``local-sha256:<16 hex>``: a file's content hash, or for a directory a hash over the
    relative names and content hashes of its identity files (see :func:`identity_files`)."""
    path = Path(path)
    if path.is_file():
        return f"local-sha256:{file_sha256(path)[:16]}"
    digest = hashlib.sha256()
    for file in identity_files(path):
        digest.update(file.relative_to(path).as_posix().encode() + b"\0" + file_sha256(file).encode() + b"\n")
    return f"local-sha256:{digest.hexdigest()[:16]}"


def is_local_weights(value: str | None) -> bool:
    """Whether an adapter argument names local weights (an existing file or directory)."""
    return bool(value) and Path(str(value)).expanduser().exists()
