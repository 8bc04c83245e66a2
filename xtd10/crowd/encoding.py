"""Detecting the text encoding of platform exports without reading them into memory.

Exports arrive as UTF-8 (with or without BOM), UTF-16 (Excel "Unicode text") or
Windows-1252 (Excel "CSV" on Western Windows). A BOM decides; otherwise one streaming
pass checks that the whole file is valid UTF-8, and falls back to cp1252 if it is not.
"""

from __future__ import annotations

import codecs
import os

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    with open(path, "rb") as handle:
        head = handle.read(4)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name
        if len(head) >= 4 and head[1] == 0 and head[3] == 0 and head[0] != 0:
            return "utf-16-le"  # UTF-16 without BOM: ASCII with NUL high bytes
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(chunk_size):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"
