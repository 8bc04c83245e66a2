"""The packages the tests run with. The suite's environment is the one `make` installs
(``pip install -e '.[all,clip,dev]'``): every optional adapter's package and every test
tool. A test that needs one of them fails when it is missing, naming the command that
installs it, instead of skipping: a skip would let a broken or partial set-up pass for a
green run. What stays a skip is what no package install provides (the real caption files,
Debian's Chromium, the published open_clip CSV; see the README's Tests section)."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

INSTALL = "pip install -e '.[all,clip,dev]' (what `make` installs)"


def need(module: str) -> ModuleType:
    """``module``, imported; a test failure naming the install command when it cannot be."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        pytest.fail(f"{module} is not installed ({error}); the tests need it: {INSTALL}", pytrace=False)


def toml() -> ModuleType:
    """The standard library's ``tomllib`` (Python 3.11+), or ``tomli``, the same parser,
    which the dev extra installs on Python 3.10."""
    try:
        return importlib.import_module("tomllib")
    except ImportError:
        return need("tomli")
