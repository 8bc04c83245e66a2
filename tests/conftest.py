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
        pytest.skip("the real XTD10 files are not available (set XTD10_TEST_SOURCE or provide ../shared/xtd10)")
    return path


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own empty cache and no ambient source or image settings."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XTD10_CACHE", str(cache))
    for var in ("XTD10_SOURCE", "XTD10_IMAGES", "XTD10_IMAGE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    return cache
