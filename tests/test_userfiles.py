"""Every way a hand-written YAML file can be unreadable is one error naming the file."""

from __future__ import annotations

import pytest

from xtd10.errors import XTD10Error
from xtd10.userfiles import parse_yaml, read_yaml


class BadFile(XTD10Error):
    pass


def test_reads_utf8_with_and_without_bom(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: é\n", encoding="utf-8")
    assert read_yaml(path, BadFile) == {"name": "é"}
    path.write_bytes(b"\xef\xbb\xbfname: x\n")
    assert read_yaml(path, BadFile) == {"name": "x"}


@pytest.mark.parametrize(("content", "message"), [
    (None, r"missing\.yaml: no such model list$"),
    (b"a: [unclosed\nb: 1\n", r"c\.yaml: invalid YAML: .* \(line 2, column 2\)$"),
    ("name: café\n".encode("cp1252"), r"c\.yaml: not UTF-8 text \(byte 9 is b'\\xe9'\); save the file as UTF-8$"),
    ("key: value\n".encode("utf-16"), r"c\.yaml: not UTF-8 text \(byte 0 is b'\\xff'\)"),
])
def test_unreadable_files_name_the_file_and_the_fault(tmp_path, content, message):
    path = tmp_path / ("missing.yaml" if content is None else "c.yaml")
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadFile, match=message):
        read_yaml(path, BadFile, "model list")


def test_a_directory_is_a_read_error_not_a_traceback(tmp_path):
    with pytest.raises(BadFile, match=r": cannot read the config: "):
        read_yaml(tmp_path, BadFile, "config")


def test_parse_names_the_given_place():
    with pytest.raises(BadFile, match=r"^packaged/x\.yaml: invalid YAML: .*\(line 1, column 6\)"):
        parse_yaml("a: [b", "packaged/x.yaml", BadFile)


def test_read_text_drops_a_byte_order_mark_only_at_the_start(tmp_path):
    from xtd10.userfiles import read_text

    path = tmp_path / "v.txt"
    path.write_bytes("\ufefftag\nzwnbsp\ufeffinside\n".encode())
    assert read_text(path, BadFile).splitlines() == ["tag", "zwnbsp\ufeffinside"]
