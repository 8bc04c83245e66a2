"""Making untrusted text inert where the toolkit writes it: spreadsheet cells and web pages.

Captions, worker ids, model names and notes come from people the user does not control.
Every CSV the toolkit writes and every page it builds goes through these few functions, so
the rules (which cell prefixes a spreadsheet runs as a formula; how an inline block is
allowed by the page's Content-Security-Policy) live in one place.
"""

from __future__ import annotations

import base64
import hashlib

import pandas as pd

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (shown as text)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame, keep: tuple[str, ...] = (), *, headers: bool = False) -> pd.DataFrame:
    """A copy with every text column neutralised except ``keep`` (toolkit-written codes such
    as a Toloka verdict ``+``/``-``, which never hold user input); ``headers`` too when the
    column names themselves come from input."""
    out = frame.copy()
    for column in out.columns:
        if column in keep:
            continue
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    if headers:
        out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csp_hash(block: str) -> str:
    """The CSP source that allows exactly this inline script or style block (its sha256,
    base64): nothing else inline, injected or not, can run, and the page stays one file."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii") + "'"
