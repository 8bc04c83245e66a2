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


class HostUnreachableError(DownloadError):
    """The server could not be reached at all (unknown name, refused, connect timeout).

    Kept apart from HTTP status errors because it says something about the machine's
    network, not about one file: callers stop early instead of trying every other file.
    """

    def __init__(self, message: str, host: str):
        super().__init__(message)
        self.host = host


def first_line(err: BaseException) -> str:
    """The first line of an exception's message, for wrapping third-party errors (transformers,
    huggingface_hub) whose messages run over many lines into one-line errors."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


class HubError(XTD10Error):
    """The Hugging Face Hub could not be reached or refused a request (e.g. an upload)."""


class ImagesUnavailableError(XTD10Error):
    """Some XTD10 images are missing or do not decode; lists every one of them."""

    def __init__(self, message: str, missing: list[str], corrupt: list[str]):
        super().__init__(message)
        self.missing = missing
        self.corrupt = corrupt


class ImageServerUnreachableError(ImagesUnavailableError):
    """The image server cannot be reached, so downloading stopped early (see ``host``)."""

    def __init__(self, message: str, missing: list[str], host: str):
        super().__init__(message, missing, [])
        self.host = host


class OutputOverwritesInputError(XTD10Error):
    """A command was asked to write over one of its own inputs (or one output over another)."""


def install_extra_hint(extra: str) -> str:
    """The command that adds one of the toolkit's optional extras (``pyproject.toml``).

    The toolkit is installed from its checkout, not from a package index, so the hint is
    the editable install that works there; installing xtd10 by name from an index would fail.
    """
    return f"pip install -e '.[{extra}]' in the toolkit's checkout"
