"""Headless Chromium for the tests that open a page: where it is, how it starts, and the
skip when it is missing (Debian's chromium is a system package, which no pip install
provides; playwright, which drives it, is a test dependency and fails when missing)."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from tests.installed import need

CHROMIUM = os.environ.get("XTD10_CHROMIUM", "/usr/bin/chromium")
# Offline and quiet: no background fetches a test would have to tell from the page's own.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def sync_playwright_api() -> ModuleType:
    """``playwright.sync_api``; a skip naming what to install when Chromium is not there."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian chromium, or set XTD10_CHROMIUM)")
    return need("playwright.sync_api")


def launch(playwright):
    """A headless Chromium started by a ``sync_playwright()`` context."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
