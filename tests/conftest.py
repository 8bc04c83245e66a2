"""Shared fixtures: the real XTD10 files (when present), an isolated cache, and a tiny
generated source in the upstream layout for unit tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# huggingface_hub reads these once, at import: set them before anything imports it, so no
# test can wait on network retries.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parents[1]
REAL_DATA_SKIP = "the real XTD10 files are not available (set XTD10_TEST_SOURCE to a checkout of the upstream repository)"
NLLB_DATA_SKIP = ("the real XTD200/Flickr30k-200 files are not available (set NLLB_CLIP_TEST_SOURCE to a checkout "
                  "of the upstream repository)")

# What enables each kind of skipped test (keyed by a phrase of its skip reason), named
# once at the end of the run (pytest_terminal_summary) so a quiet skip never passes for a pass.
SKIP_KINDS = {
    "real xtd10 files": "need the real XTD10 caption files: set XTD10_TEST_SOURCE=DIR, DIR a checkout of "
                        "adobe-research/Cross-lingual-Test-Dataset-XTD10",
    "real xtd200/flickr30k-200 files": "need the real XTD200/Flickr30k-200 caption files: set "
                                       "NLLB_CLIP_TEST_SOURCE=DIR, DIR a checkout of visheratin/nllb-clip",
    "chromium": "need a headless Chromium: install Debian's chromium (/usr/bin/chromium)",
    "published open_clip results csv": "need open_clip's published results table: set XTD10_OPENCLIP_CSV=FILE, "
                                       "FILE its docs/openclip_multilingual_retrieval_results.csv",
}


def real_source_dir() -> Path | None:
    """The real caption files: ``XTD10_TEST_SOURCE`` or ``../shared/xtd10`` beside the repo."""
    candidates = [os.environ.get("XTD10_TEST_SOURCE"), REPO.parent / "shared" / "xtd10"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "XTD10" / "test_image_names.txt").is_file():
            return Path(candidate)
    return None


@pytest.fixture
def real_source() -> Path:
    path = real_source_dir()
    if path is None:
        pytest.skip(REAL_DATA_SKIP)
    return path


def nllb_source_dir() -> Path | None:
    """The real XTD200 and Flickr30k-200 files: ``NLLB_CLIP_TEST_SOURCE`` or ``../shared/nllb-clip``."""
    candidates = [os.environ.get("NLLB_CLIP_TEST_SOURCE"), REPO.parent / "shared" / "nllb-clip"]
    for candidate in candidates:
        if candidate and (Path(candidate) / "data" / "xtd200" / "test_image_names.txt").is_file():
            return Path(candidate)
    return None


@pytest.fixture
def nllb_source() -> Path:
    path = nllb_source_dir()
    if path is None:
        pytest.skip(NLLB_DATA_SKIP)
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty cache and no ambient source or image settings."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XTD10_CACHE", str(cache))
    for var in ("XTD10_SOURCE", "NLLB_CLIP_SOURCE", "XTD10_IMAGES", "XTD10_IMAGE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return cache


def skip_summary(reasons: list[str]) -> str | None:
    """One line: how many tests were skipped, grouped by what would enable them."""
    if not reasons:
        return None
    counts: dict[str, int] = {}
    for reason in reasons:
        text = reason.removeprefix("Skipped: ")
        kind = next((why for key, why in SKIP_KINDS.items() if key in text.lower()), f"skipped: {text}")
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{n} tests {why}" if n != 1 else f"1 test {why.replace('need ', 'needs ', 1)}"
             for why, n in counts.items()]
    return f"{len(reasons)} skipped: " + "; ".join(parts)


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    reasons = []
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        reasons.append(str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else "unknown reason")
    line = skip_summary(reasons)
    if line:
        terminalreporter.write_line(line, yellow=True)
