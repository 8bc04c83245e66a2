import pytest

from xtd10.data.reading import (
    decode_text,
    read_image_list,
    read_indexed_captions,
    read_line_captions,
    split_lines,
)
from xtd10.errors import SourceError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"a\nb\n", ["a", "b"]),
        (b"a\r\nb", ["a", "b"]),  # CRLF without final newline (the upstream crowdsourced files)
        (b"a\r\nb\r\n", ["a", "b"]),
        (b"\xef\xbb\xbfa\nb", ["a", "b"]),  # BOM
        (b"a\n\nb\n", ["a", "", "b"]),  # empty caption kept, not dropped
        ("a\u2028x\nb".encode(), ["a\u2028x", "b"]),  # Unicode line separator is content
        (b"  spaced  \n", ["  spaced  "]),  # no stripping
    ],
)
def test_split_is_faithful(raw, expected):
    assert split_lines(decode_text(raw, "f")) == expected


def test_invalid_utf8_names_file_and_line():
    with pytest.raises(SourceError, match=r"f\.txt: not valid UTF-8 at line 2"):
        decode_text(b"ok\n\xff\xfebad", "f.txt")


def test_utf16_is_refused_clearly():
    with pytest.raises(SourceError, match="UTF-16"):
        decode_text("a\n".encode("utf-16"), "f.txt")


def test_line_count_mismatch_names_file_and_counts(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a\nb\n")
    with pytest.raises(SourceError, match=r"c\.txt: 2 caption lines but the image list has 3 images"):
        read_line_captions(path, 3)


def test_image_list_rejects_duplicates_with_line_numbers(tmp_path):
    path = tmp_path / "names.txt"
    path.write_text("A.jpg\nB.jpg\nA.jpg\n")
    with pytest.raises(SourceError, match=r"names\.txt:3: duplicate image 'A.jpg' \(first on line 1\)"):
        read_image_list(path)


def test_indexed_captions_allow_several_per_image_and_check_names(tmp_path):
    path = tmp_path / "x.txt"
    path.write_text("B.jpg\tone\nA.jpg\ttwo\nB.jpg\tthree\n")
    assert read_indexed_captions(path, ["A.jpg", "B.jpg"]) == [(1, "one"), (0, "two"), (1, "three")]
    path.write_text("C.jpg\tnope\n")
    with pytest.raises(SourceError, match=r"x\.txt:1: 'C.jpg' is not an XTD10 image"):
        read_indexed_captions(path, ["A.jpg"])


def test_a_language_manifest_nested_too_deeply_is_a_source_error(tmp_path):
    from xtd10.data.sources import parse_language_manifest

    path = tmp_path / "languages.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(SourceError, match=r"languages\.json: invalid JSON: nested too deeply to read$"):
        parse_language_manifest(path)
