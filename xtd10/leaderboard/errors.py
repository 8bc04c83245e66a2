"""Errors raised while collecting leaderboard inputs.

Each names the offending file (and, where it helps, the field) so that a maintainer who
drops a broken result or reported file into ``leaderboards/`` sees at once which one to fix.
"""

from __future__ import annotations

from xtd10.errors import XTD10Error

__all__ = ["DuplicateEntryError", "LeaderboardError", "ReportedFileError"]


class LeaderboardError(XTD10Error):
    """Base class for everything the leaderboard build refuses to accept."""


class ReportedFileError(LeaderboardError):
    """A reported-numbers YAML file is unreadable or malformed."""


class DuplicateEntryError(LeaderboardError):
    """Two inputs describe the same entry (same encoder spec on the same dataset revision)."""
