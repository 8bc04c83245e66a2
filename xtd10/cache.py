"""Where the toolkit keeps downloads and derived artefacts.

``XTD10_CACHE`` wins, then ``$XDG_CACHE_HOME/xtd10``, then ``~/.cache/xtd10``.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    explicit = os.environ.get("XTD10_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "xtd10"


def cache_dir(*parts: str) -> Path:
    """A sub-directory of the cache, created on demand."""
    path = cache_root().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
