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


def test_a_full_disk_is_a_write_error_naming_the_file_and_the_old_file_survives(tmp_path):
    import errno

    from xtd10.files import WriteError, atomic_open

    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(WriteError, match=r"^cannot write .*out\.txt: No space left on device \(.* free there\); "
                                         r"the earlier file is unchanged$") as info, atomic_open(path, "w") as handle:
        handle.write("new")
        raise OSError(errno.ENOSPC, "No space left on device")
    assert info.value.errno == errno.ENOSPC and isinstance(info.value, OSError)
    assert path.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]


def test_a_read_failure_inside_the_block_is_not_called_a_write_error(tmp_path):
    from xtd10.files import WriteError, atomic_open

    with pytest.raises(FileNotFoundError) as info, atomic_open(tmp_path / "out.txt", "w"):
        (tmp_path / "missing-input.txt").read_text()
    assert not isinstance(info.value, WriteError) and not list(tmp_path.iterdir())
