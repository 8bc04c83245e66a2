"""Detecting the character set (text encoding) of platform exports without reading them into memory.

Exports arrive as UTF-8 (with or without BOM), UTF-16 (Excel "Unicode text") or
Windows-1252 (Excel "CSV" on Western Windows). A BOM decides the candidate. Without one,
the file is UTF-8 unless no line of it is: a UTF-8 export with a stray byte (one row pasted
from a legacy editor) is read as UTF-8 and only the rows holding undecodable bytes are
reported, with their line and byte offset (``invalid_utf8_lines``), instead of reading the
whole file as cp1252 and turning every umlaut into mojibake. Only a file in which no line
with non-ASCII bytes is valid UTF-8 is read as cp1252 (or any encoding the user names).
Whichever is chosen is checked by one streaming pass, so a file that is not text at all
(a zip or spreadsheet uploaded by mistake) is refused with the offending byte's offset.
"""

from __future__ import annotations

import codecs
import os

from xtd10.crowd.errors import IngestError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """The encoding to read ``path`` with; ``IngestError`` if none decodes all of it."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    candidates = [name for bom, name in _BOMS if head.startswith(bom)][:1]
    if not candidates and len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
        candidates = ["utf-16-le"]  # UTF-16 without BOM: ASCII with NUL high bytes
    if not candidates and first_undecodable_byte(path, "utf-8", chunk_size) is not None and \
            _has_valid_utf8_line(path):
        return "utf-8"  # mostly UTF-8: the bad rows are reported by line (invalid_utf8_lines)
    candidates = candidates or ["utf-8", "cp1252"]
    failures = []
    for name in candidates:
        offset = first_undecodable_byte(path, name, chunk_size)
        if offset is None:
            return name
        failures.append(f"{name} fails at byte {offset}")
    raise IngestError(f"{path}: not a text export ({'; '.join(failures)}); "
                      "export the results as CSV/TSV/JSON in UTF-8, UTF-16 or Windows-1252")


def first_undecodable_byte(path: str | os.PathLike, encoding: str, chunk_size: int = 1 << 20) -> int | None:
    """Offset of the first byte ``encoding`` cannot decode, or None if the whole file decodes."""
    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                # The error's start counts from the decoder's pending bytes plus this chunk.
                pending = len(err.object) - len(chunk)
                return consumed - pending + err.start
            consumed += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as err:
            return consumed - len(err.object) + err.start
    return None


def _has_valid_utf8_line(path: str | os.PathLike) -> bool:
    """Whether some line with non-ASCII bytes decodes as UTF-8 (evidence the file is UTF-8)."""
    with open(path, "rb") as handle:
        for line in handle:
            if not line.isascii():
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                return True
    return False


def invalid_utf8_lines(path: str | os.PathLike, limit: int = 100_000) -> dict[int, tuple[int, int]]:
    """Line number (1-based) -> (file offset, value) of the first byte UTF-8 cannot decode
    on that line, for every such line (at most ``limit``). One streaming pass."""
    out: dict[int, tuple[int, int]] = {}
    offset = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.isascii():
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as err:
                    out[number] = (offset + err.start, line[err.start])
                    if len(out) >= limit:
                        break
            offset += len(line)
    return out


def check_encoding(path: str | os.PathLike, encoding: str) -> str:
    """``encoding`` (named by the user) if it exists and decodes the whole file."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise IngestError(f"unknown encoding {encoding!r} (e.g. utf-8, utf-16, cp1252, latin-1)") from None
    offset = first_undecodable_byte(path, name)
    if offset is not None:
        raise IngestError(f"{path}: not {name} (the byte at offset {offset} does not decode)")
    return name
