"""Loading a script of ``benchmark/`` as a module, for tests of its functions."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

BENCHMARK = Path(__file__).resolve().parents[2] / "benchmark"


@contextmanager
def loaded_script(relative: str) -> Iterator[ModuleType]:
    """``benchmark/<relative>`` imported under its file name, registered in ``sys.modules``
    while in use (a script's dataclasses look their module up while being defined)."""
    path = BENCHMARK / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(spec.name, None)
