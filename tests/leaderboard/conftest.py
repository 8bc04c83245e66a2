"""Fixtures for the leaderboard tests (the builders live in leaderboard_factories)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.leaderboard.leaderboard_factories import reported_dict, result_dict, write_json, write_yaml


@pytest.fixture
def inputs(tmp_path: Path) -> tuple[Path, Path]:
    """Two measured results (image + text tracks) and one reported file."""
    results, reported = tmp_path / "results", tmp_path / "reported"
    write_json(results / "muse.json", result_dict("muse", "mUSE v3", seed=1))
    write_json(results / "e5.json", result_dict("e5-small", "multilingual-e5-small", seed=2))
    write_yaml(reported / "paper.yaml", reported_dict())
    return results, reported
