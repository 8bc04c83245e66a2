"""Turning whatever a platform recorded for the image (file name, path, URL) into an
XTD10 file name, refusing anything that is not one."""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

_SAFE_NAME = re.compile(r"^COCO_(train2014|val2014)_\d{12}\.jpg$")


def image_name(value: str, known: frozenset[str] | set[str]) -> str:
    """The XTD10 file name that ``value`` refers to; ``ValueError`` with the reason if none.

    Only the last path component is kept, and only when it is exactly a known XTD10 name:
    ``../../etc/passwd``, ``/abs/x.jpg`` or ``https://evil/x.png`` are rejected, while
    ``https://cdn/COCO_val2014_000000000042.jpg`` and ``coco/val2014/<name>`` are accepted.
    """
    text = (value or "").strip()
    if not text:
        raise ValueError("no image given")
    if any(ord(c) < 32 for c in text):
        raise ValueError(f"image reference contains control characters: {text!r}")
    path = urlsplit(text).path if "://" in text else text
    base = unquote(path).replace("\\", "/").rsplit("/", 1)[-1]
    if base in known and _SAFE_NAME.match(base):
        return base
    raise ValueError(f"{text[:200]!r} is not an XTD10 image")
