"""Streaming the elements of one top-level JSON array, a bounded window at a time.

Label Studio exports a project as a single JSON array of tasks. ``json.load`` would hold
the whole export (and every decoded task) in memory at once; a million-annotation export
is several gigabytes of Python objects. Here the standard library's ``raw_decode`` is run
element by element over a sliding text window, so memory is bounded by the largest single
task, not by the file. No third-party parser is needed.

Each element comes with the physical line it starts on, so problems can be reported as
``FILE:LINE`` like the CSV exports.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, TextIO

_WHITESPACE = " \t\r\n"


class JSONArrayError(ValueError):
    """The text is not (or stops being) a JSON array; ``line`` is where it went wrong."""

    def __init__(self, line: int, message: str, *, elements_read: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message
        self.elements_read = elements_read


class _Window:
    """A growing-and-sliding view of a text file with a running line counter."""

    def __init__(self, handle: TextIO, chunk_chars: int) -> None:
        self.handle = handle
        self.chunk_chars = chunk_chars
        self.text = ""
        self.pos = 0
        self.line = 1
        self.eof = False

    def fill(self) -> bool:
        """Append more text (dropping what was consumed); False at end of file."""
        if self.eof:
            return False
        self.text = self.text[self.pos:]
        self.pos = 0
        # Read at least as much as is buffered, so an element longer than one chunk is
        # re-decoded O(log n) times, not O(n / chunk) times.
        more = self.handle.read(max(self.chunk_chars, len(self.text)))
        if not more:
            self.eof = True
            return False
        self.text += more
        return True

    def advance(self, end: int) -> None:
        self.line += self.text.count("\n", self.pos, end)
        self.pos = end

    def skip_whitespace(self) -> str:
        """The next non-whitespace character (consumed up to it, not past it); '' at EOF."""
        while True:
            end = self.pos
            while end < len(self.text) and self.text[end] in _WHITESPACE:
                end += 1
            self.advance(end)
            if self.pos < len(self.text):
                return self.text[self.pos]
            if not self.fill():
                return ""


def iter_json_array(path: str | os.PathLike, encoding: str = "utf-8",
                    chunk_chars: int = 1 << 20) -> Iterator[tuple[int, Any]]:
    """Yield ``(line, element)`` for each element of the JSON array in ``path``.

    Raises ``JSONArrayError`` (with the line and how many elements were already yielded)
    when the document is not an array or is malformed; elements before the fault have been
    yielded, so a caller can keep them and report the rest as unreadable.
    """
    with open(path, encoding=encoding) as handle:
        yield from iter_json_stream(handle, chunk_chars)


def iter_json_stream(handle: TextIO, chunk_chars: int = 1 << 20) -> Iterator[tuple[int, Any]]:
    """``iter_json_array`` over an open text stream."""
    decoder = json.JSONDecoder()
    window = _Window(handle, chunk_chars)
    count = 0
    first = window.skip_whitespace()
    if first == "\ufeff":  # a BOM the chosen codec did not strip
        window.advance(window.pos + 1)
        first = window.skip_whitespace()
    if first != "[":
        found = "the end of the file" if not first else repr(first)
        raise JSONArrayError(window.line, f"expected a JSON array '[', found {found}", elements_read=0)
    window.advance(window.pos + 1)
    if window.skip_whitespace() == "]":
        window.advance(window.pos + 1)
        _expect_end(window, count)
        return
    while True:
        start_line = window.line
        element, end = _decode_one(decoder, window, count)
        window.advance(end)
        yield start_line, element
        count += 1
        separator = window.skip_whitespace()
        if separator == "]":
            window.advance(window.pos + 1)
            _expect_end(window, count)
            return
        if separator != ",":
            found = "the end of the file (truncated?)" if not separator else repr(separator)
            raise JSONArrayError(window.line, f"expected ',' or ']' after element {count}, found {found}",
                                 elements_read=count)
        window.advance(window.pos + 1)
        window.skip_whitespace()


def _decode_one(decoder: json.JSONDecoder, window: _Window, count: int) -> tuple[Any, int]:
    """Decode the element at the window position, reading more text until it is complete."""
    while True:
        try:
            element, end = decoder.raw_decode(window.text, window.pos)
        except RecursionError:
            # Arrays or objects nested past the interpreter's recursion limit: a hostile or
            # broken export, never a real task. Its end cannot be found, so reading stops.
            raise JSONArrayError(window.line, f"element {count + 1} is nested too deeply to read",
                                 elements_read=count) from None
        except json.JSONDecodeError as err:
            if _may_be_cut(err, window) and window.fill():
                continue
            line = window.line + window.text.count("\n", window.pos, err.pos)
            raise JSONArrayError(line, f"invalid JSON in element {count + 1}: {err.msg}",
                                 elements_read=count) from None
        # A number or literal cut at the window's edge decodes "successfully" but short.
        if end == len(window.text) and window.fill():
            continue
        return element, end


def _may_be_cut(err: json.JSONDecodeError, window: _Window) -> bool:
    """Whether the error could be the window's edge rather than a fault in the text.

    A truncated element fails at (or a few characters before, for a cut escape) the end of
    the window, except an unterminated string, which is reported where it starts. Anything
    else is a real fault: reading the rest of a large file to confirm it would defeat the
    bounded memory.
    """
    return err.msg.startswith("Unterminated string") or err.pos >= len(window.text) - 8


def _expect_end(window: _Window, count: int) -> None:
    rest = window.skip_whitespace()
    if rest:
        raise JSONArrayError(window.line, f"unexpected {rest!r} after the closing ']'", elements_read=count)
