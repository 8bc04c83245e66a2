"""A package the tests need and the environment lacks is a failure that names the install
command, never a skip; and no test skips on a missing import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.installed import INSTALL, need, toml

TESTS = Path(__file__).resolve().parent


def test_a_missing_package_fails_the_test_and_names_the_install_command():
    with pytest.raises(pytest.fail.Exception, match=re.escape(INSTALL)) as failed:
        need("a_package_nobody_installed")
    assert not isinstance(failed.value, pytest.skip.Exception)
    assert need("yaml").safe_load("a: 1") == {"a": 1}


def test_toml_parses_on_every_supported_python():
    assert toml().loads('[project]\nname = "x"\n') == {"project": {"name": "x"}}


def test_no_test_skips_because_an_import_failed():
    """Skips stay for what no install provides (data files, Chromium); see tests/installed.py."""
    offenders = [f"{path.relative_to(TESTS)}:{number}" for path in TESTS.rglob("*.py") if path != Path(__file__)
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if "importorskip(" in line]
    assert offenders == []
