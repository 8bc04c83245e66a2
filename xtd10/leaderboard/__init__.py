"""Leaderboards: collect result and reported files, render tables, plots and a static page.

The leaderboard reads files only; it never runs a model. See docs/leaderboard.md.
"""

from xtd10.leaderboard.build import BuildReport, build_leaderboard
from xtd10.leaderboard.collect import Leaderboard, collect
from xtd10.leaderboard.errors import DuplicateEntryError, LeaderboardError, ReportedFileError
from xtd10.schema import ResultFileError

__all__ = [
    "BuildReport",
    "DuplicateEntryError",
    "Leaderboard",
    "LeaderboardError",
    "ReportedFileError",
    "ResultFileError",
    "build_leaderboard",
    "collect",
]
