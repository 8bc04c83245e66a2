"""Markdown and HTML text, and links, made inert: every string of a result or reported file
that the leaderboard's README and page show.

Model names, notes and citations are written by whoever produced the file; a leaderboard
built from a pull request must not let them inject HTML, break a Markdown table, or
smuggle in a ``javascript:`` link. Markdown special characters are replaced by numeric
character references, which GitHub-flavoured Markdown shows literally and never parses.
"""

from __future__ import annotations

import html
import re

# Characters that can start markup in GitHub-flavoured Markdown when not at a line start
# (cells and list items never start a line with input text): emphasis, code, links and
# images, raw HTML and entities, table pipes, strikethrough and math.
_MD_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_[]<>!|~&$"}
_WHITESPACE = re.compile(r"\s+")
# Block starts that still matter after "- " or "### ": heading, quote, bullet, ordered item.
_BLOCK_START = re.compile(r"^(?:#{1,6}(?:\s|$)|>|[-+](?:\s|$)|\d{1,9}[.)](?:\s|$))")


def one_line(text: str) -> str:
    """Collapse newlines, tabs and other control characters into single spaces."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in str(text))
    return _WHITESPACE.sub(" ", cleaned).strip()


def md(text: str) -> str:
    """Safe inside a Markdown paragraph or table cell: one line, nothing interpreted."""
    escaped = "".join(_MD_SPECIAL.get(ch, ch) for ch in one_line(text))
    # A list item or heading text could otherwise open a nested block ("- # x", "- 1. x").
    if _BLOCK_START.match(escaped):
        escaped = f"&#{ord(escaped[0])};{escaped[1:]}"
    return escaped


def md_code(text: str) -> str:
    """Monospaced and escaped: Markdown is still parsed inside an inline ``<code>`` element."""
    return f"<code>{md(text)}</code>"


def h(text: str) -> str:
    """Safe as HTML text or inside a double- or single-quoted attribute."""
    return html.escape(str(text), quote=True)


def safe_url(url: str) -> str | None:
    """Only plain http(s) links are emitted; anything else is shown as text, never linked."""
    candidate = one_line(url)
    if re.fullmatch(r"https?://[^\s<>\"'`()\[\]|\\]+", candidate):
        return candidate
    return None

