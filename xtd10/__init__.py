"""XTD10 toolkit: load, score, rank and extend the XTD10 multilingual retrieval test set.

Heavy submodules (``datasets``, torch) are imported lazily so that ``import xtd10`` and
the CLI start quickly.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from xtd10.languages import XTD10_CODES, get_language, normalize_language


def _version() -> str:
    """The version written once, in pyproject.toml: read from there when the package runs
    from a checkout (an editable install's metadata lags an edit until it is reinstalled),
    else from the installed distribution's metadata. CITATION.cff repeats it (a test keeps
    the two equal); result files record this value."""
    import re
    from pathlib import Path

    project = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if project.is_file():
        text = project.read_text(encoding="utf-8")
        if re.search(r'^name\s*=\s*"xtd10"', text, re.M):
            found = re.search(r'^version\s*=\s*"([^"]+)"', text, re.M)
            if found:
                return found.group(1)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("xtd10")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _version()

if TYPE_CHECKING:
    from xtd10.data import load, load_frame

_LAZY = {"load": "xtd10.data", "load_frame": "xtd10.data"}
_SUBMODULES = {"data", "encoders", "benchmark", "leaderboard", "crowd", "baseline"}

__all__ = ["XTD10_CODES", "__version__", "get_language", "load", "load_frame", "normalize_language"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return import_module(f"xtd10.{name}")
    raise AttributeError(f"module 'xtd10' has no attribute {name!r}")
