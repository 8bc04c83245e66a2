"""Character-set detection: the chosen codec decodes the whole file, or the file is refused."""

from __future__ import annotations

import pytest

from xtd10.crowd.charset import detect_encoding, first_undecodable_byte
from xtd10.crowd.errors import IngestError
from xtd10.crowd.ingest import ingest


@pytest.mark.parametrize(("content", "expected"), [
    ("Straße,Bäume\n".encode("utf-8-sig"), "utf-8-sig"), ("Straße\n".encode("utf-16"), "utf-16"),
    ("Straße\n".encode("utf-16-le"), "utf-16-le"), ("Straße\n".encode("cp1252"), "cp1252"),
    ("日本語\n".encode(), "utf-8"), (b"", "utf-8"),
])
def test_detects_what_the_platforms_write(tmp_path, content, expected):
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    assert detect_encoding(path) == expected


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 64])
def test_offset_of_the_first_bad_byte_is_exact_across_chunks(tmp_path, chunk_size):
    path = tmp_path / "x.csv"
    good = "éü日本,".encode() * 5
    path.write_bytes(good + b"\xff" + good)
    assert first_undecodable_byte(path, "utf-8", chunk_size) == len(good)
    path.write_bytes(good + "日".encode()[:2])  # cut in the middle of a character
    assert first_undecodable_byte(path, "utf-8", chunk_size) == len(good)
    path.write_bytes(b"abc\x90def")  # 0x90 is undefined in Windows-1252
    assert first_undecodable_byte(path, "cp1252", chunk_size) == 3


def test_binary_upload_is_refused_with_the_offsets_and_nothing_is_written(tmp_path):
    path = tmp_path / "Batch_results.csv"
    path.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)  # a zip (xlsx) uploaded by mistake
    out = tmp_path / "batch.parquet"
    with pytest.raises(IngestError, match=r"Batch_results.csv: not a text export \(utf-8 fails at byte \d+; "
                                          r"cp1252 fails at byte \d+\)"):
        ingest(path, platform="mturk", language="de", output=out, image_names=["COCO_val2014_000000000001.jpg"])
    assert not out.exists()
