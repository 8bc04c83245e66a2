"""Exception types the toolkit raises on bad input.

They all derive from :class:`XTD10Error` so that the CLI can show their message as a
clear one-line error instead of a traceback, while library users can still catch the
specific kind they care about.
"""

from __future__ import annotations


class XTD10Error(Exception):
    """Base class for every error the toolkit raises deliberately."""


class UnknownLanguageError(XTD10Error, KeyError):
    """A language code that is not in the registry."""

    def __str__(self) -> str:  # KeyError would quote the message otherwise
        return str(self.args[0]) if self.args else ""


class SourceError(XTD10Error):
    """The caption source is missing, malformed or inconsistent."""


class ChecksumMismatchError(SourceError):
    """A downloaded or local file does not have the sha256 it must have."""


class DownloadError(XTD10Error):
    """A download failed for good (after retries, or with a permanent HTTP status)."""


class ImagesUnavailableError(XTD10Error):
    """Some XTD10 images are missing or do not decode; lists every one of them."""

    def __init__(self, message: str, missing: list[str], corrupt: list[str]):
        super().__init__(message)
        self.missing = missing
        self.corrupt = corrupt
