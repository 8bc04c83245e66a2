"""The committed leaderboard is exactly what its committed inputs build (what CI checks on
every pull request): a hand edit, or a result added without rebuilding, fails here."""

from __future__ import annotations

from pathlib import Path

import pytest

from xtd10.leaderboard import build_leaderboard

REPO = Path(__file__).resolve().parents[2]
BOARD = REPO / "leaderboards"
INPUTS = ("results", "reported", "audit")  # audit/: written by `xtd10 crowd audit --publish`, not the build


def outputs(folder: Path) -> dict[str, bytes]:
    """Every generated file under ``folder`` (the input folders left out)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.relative_to(folder).parts[0] not in INPUTS}


@pytest.mark.slow
def test_committed_leaderboard_equals_a_rebuild(tmp_path):
    build_leaderboard(tmp_path, BOARD / "results", BOARD / "reported")
    rebuilt, committed = outputs(tmp_path), outputs(BOARD)
    assert sorted(rebuilt) == sorted(committed), "files differ: run `xtd10 leaderboard build` and commit"
    stale = [name for name in rebuilt if rebuilt[name] != committed[name]]
    assert stale == [], f"out of date: {stale}; run `xtd10 leaderboard build` and commit"
    # the build holds no clock: the result files' own dates are the only dates in it
    assert b"created" not in rebuilt["index.html"]
