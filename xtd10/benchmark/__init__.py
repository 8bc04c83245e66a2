"""Scoring encoders on XTD10: metrics, the runner, the embedding cache, result files and
paired comparison.

``evaluate``, ``compare`` and ``Result`` load on first use so that importing
``xtd10.benchmark.metrics`` (as the baseline does) stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xtd10.benchmark.comparison import compare
    from xtd10.benchmark.runner import evaluate
    from xtd10.schema import Result

_LAZY = {"evaluate": "xtd10.benchmark.runner", "compare": "xtd10.benchmark.comparison",
         "Result": "xtd10.schema"}

__all__ = ["Result", "compare", "evaluate"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'xtd10.benchmark' has no attribute {name!r}")
