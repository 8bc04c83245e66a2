import os

import pytest

from xtd10.files import atomic_write_text, sha256_file


def test_atomic_write_replaces_whole_file_with_umask_mode(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    atomic_write_text(target, "first")
    atomic_write_text(target, "second")
    assert target.read_text() == "second"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failed_write_leaves_old_content_and_no_temp(tmp_path):
    from xtd10.files import atomic_open

    target = tmp_path / "out.txt"
    atomic_write_text(target, "kept")
    with pytest.raises(RuntimeError), atomic_open(target, "w") as handle:
        handle.write("partial")
        raise RuntimeError("crash")
    assert target.read_text() == "kept"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
    assert len(sha256_file(target)) == 64
