"""Errors of the crowd tools (all :class:`xtd10.errors.XTD10Error`, shown as one line)."""

from __future__ import annotations

from xtd10.errors import XTD10Error


class CrowdError(XTD10Error):
    """Base class for crowd-tool errors."""


class SettingsError(CrowdError):
    """A per-language settings file is missing or malformed. ``file`` and ``field`` (a key,
    ``section.key`` inside a section) name what is wrong where the error is about one file
    or one key, so a caller (or a test) can read them without parsing the message."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None):
        super().__init__(message)
        self.file = file
        self.field = field


class IngestError(CrowdError):
    """A platform export cannot be read at all (not: a few bad rows, which are reported)."""


class MappingError(IngestError):
    """The export lacks a column the mapping needs; the message names the mapping to pass."""
