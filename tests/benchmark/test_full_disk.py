"""A full file system: the embedding cache is only a cache (one warning, the run goes on),
and a result that cannot be written is one line naming the file and the free space, with
the earlier file left as it was."""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import pytest

from xtd10 import files
from xtd10.cli import main


@pytest.fixture
def full_disk(monkeypatch):
    """``full_disk(folder)``: from now on every file written below ``folder`` fails as on a
    full file system: the temporary file is created, its data never reaches the disk."""
    full: list[Path] = []
    opened: dict[int, str] = {}
    real_mkstemp, real_fsync = files.tempfile.mkstemp, files.os.fsync

    def mkstemp(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        opened[fd] = name
        return fd, name

    def fsync(fd):
        name = opened.get(fd)
        if name is not None and any(Path(name).resolve().is_relative_to(root) for root in full):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
    monkeypatch.setattr(files.os, "fsync", fsync)
    return lambda folder: full.append(Path(folder).resolve())


def _run(*argv: str) -> None:
    main(["bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "0", *argv])


def _metrics(path: Path) -> list:
    return json.loads(path.read_text(encoding="utf-8"))["metrics"]


def test_a_full_cache_warns_once_and_the_run_goes_on(tmp_path, isolated_cache, full_disk, caplog, capsys):
    full_disk(isolated_cache)
    with caplog.at_level(logging.WARNING):
        _run("--out", str(tmp_path / "cached.json"))
    warnings = [r.getMessage() for r in caplog.records if "embedding cache" in r.getMessage()]
    assert len(warnings) == 1 and "No space left on device" in warnings[0] and "without caching" in warnings[0]
    assert not list(isolated_cache.rglob("*.npy")) and not list(isolated_cache.rglob("*.tmp"))
    _run("--no-cache", "--out", str(tmp_path / "uncached.json"))
    assert _metrics(tmp_path / "cached.json") == _metrics(tmp_path / "uncached.json")


def test_an_output_on_a_full_disk_is_one_line_and_the_old_file_survives(tmp_path, full_disk, capsys):
    out = tmp_path / "results" / "random.json"
    _run("--out", str(out))
    before = out.read_bytes()
    capsys.readouterr()
    full_disk(out.parent)
    with pytest.raises(SystemExit) as exit_info:
        _run("--out", str(out), "--seed", "7")
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().split("\n")[-1]  # after the progress bars
    assert err.startswith(f"error: cannot write {out}: No space left on device (")
    assert err.endswith(" free there); the earlier file is unchanged")
    assert out.read_bytes() == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["random.json"]  # no temporary file left
