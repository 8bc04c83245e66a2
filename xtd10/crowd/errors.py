"""Errors of the crowd tools (all :class:`xtd10.errors.XTD10Error`, shown as one line)."""

from __future__ import annotations

from xtd10.errors import XTD10Error


class CrowdError(XTD10Error):
    """Base class for crowd-tool errors."""


class SettingsError(CrowdError):
    """A per-language settings file is missing or malformed."""


class IngestError(CrowdError):
    """A platform export cannot be read at all (not: a few bad rows, which are reported)."""


class MappingError(IngestError):
    """The export lacks a column the mapping needs; the message names the mapping to pass."""
