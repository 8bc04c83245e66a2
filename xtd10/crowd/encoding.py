"""Detecting the text encoding of platform exports without reading them into memory.

Exports arrive as UTF-8 (with or without BOM), UTF-16 (Excel "Unicode text") or
Windows-1252 (Excel "CSV" on Western Windows). A BOM decides the candidate; otherwise
UTF-8 is tried, then cp1252. Whichever is chosen is checked by one streaming pass over the
whole file, so a file that is not text at all (a zip or spreadsheet uploaded by mistake,
a corrupted download) is refused here with the offending byte's offset, instead of
failing halfway through ingestion.
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
