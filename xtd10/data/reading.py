"""Faithful reading of caption files.

Upstream files mix CRLF and LF endings and some lack a final newline; a BOM may appear
in files edited on Windows. All of that is framing, not content, and is removed. Nothing
else is touched: a caption is returned exactly as written (no stripping, no case or
Unicode normalisation), because silently "cleaning" a test set changes scores.
"""

from __future__ import annotations

import os
from pathlib import Path

from xtd10.errors import SourceError


def decode_text(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM) or a clear error naming the file, line and byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(f"{where}: file is UTF-16 encoded; caption files must be UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise SourceError(
            f"{where}: not valid UTF-8 at line {line} (byte offset {err.start}): {err.reason}"
        ) from None


def split_lines(text: str) -> list[str]:
    """Split on LF and CRLF only (not on the other Unicode separators that
    ``str.splitlines`` honours, which can legitimately occur inside a caption)."""
    if not text:
        return []
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()  # final newline
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def read_lines(path: str | os.PathLike) -> list[str]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    return split_lines(decode_text(data, str(path)))


def read_image_list(path: str | os.PathLike) -> list[str]:
    """The ordered list of COCO file names; duplicates and blanks are errors."""
    names = read_lines(path)
    seen: dict[str, int] = {}
    for number, name in enumerate(names, start=1):
        if not name.strip():
            raise SourceError(f"{path}:{number}: empty image name")
        if name != name.strip():
            raise SourceError(f"{path}:{number}: image name has surrounding whitespace: {name!r}")
        if name in seen:
            raise SourceError(f"{path}:{number}: duplicate image {name!r} (first on line {seen[name]})")
        seen[name] = number
    if not names:
        raise SourceError(f"{path}: image list is empty")
    return names


def read_line_captions(path: str | os.PathLike, num_images: int) -> list[str]:
    """Captions in the upstream layout: line i belongs to image i."""
    captions = read_lines(path)
    if len(captions) != num_images:
        raise SourceError(
            f"{path}: {len(captions)} caption lines but the image list has {num_images} images"
        )
    return captions


def read_indexed_captions(
    path: str | os.PathLike, image_names: list[str]
) -> list[tuple[int, str]]:
    """Captions as ``<file_name>\\t<caption>`` lines (several per image allowed).

    Returns (image index, caption) pairs in file order.
    """
    index = {name: i for i, name in enumerate(image_names)}
    out: list[tuple[int, str]] = []
    for number, line in enumerate(read_lines(path), start=1):
        name, sep, caption = line.partition("\t")
        if not sep:
            raise SourceError(f"{path}:{number}: expected '<file_name>\\t<caption>'")
        if name not in index:
            raise SourceError(f"{path}:{number}: {name!r} is not an XTD10 image")
        out.append((index[name], caption))
    return out
