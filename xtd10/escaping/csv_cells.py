"""Spreadsheet cells made inert: every CSV the toolkit writes from Python goes through
:func:`csv_text`.

Captions, worker ids, model names and notes come from people the user does not control,
and CSV files are opened in spreadsheets. The rules (which cell prefixes a spreadsheet runs
as a formula; which characters end a line for some reader) live here, in one place. The
review page's export is written by the browser, not by Python: its script applies the same
formula prefixes (a test keeps the two equal).
"""

from __future__ import annotations

import re

import pandas as pd

# A cell starting with one of these is run as a formula by Excel, LibreOffice and Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

# Everything some reader takes for the end of a line: CR and LF (quoted or not, a platform
# that splits its upload on lines sees a new row), and what ``str.splitlines`` and Unicode
# also break at (VT, FF, the information separators, NEL, LINE and PARAGRAPH SEPARATOR).
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_BREAK_RUN = re.compile("\r\n|[" + LINE_BREAKS + "]")


def one_line(text: str) -> str:
    """``text`` with each line break (CRLF counts as one) made a space: a cell of a CSV can
    then never be read as two rows, by a CSV parser or by a line splitter."""
    return _BREAK_RUN.sub(" ", text)


def neutralise(value: object) -> object:
    """Text made one line, and text that a spreadsheet would run as a formula (also after
    leading spaces, which some importers trim) given a leading apostrophe (shown as text)."""
    if not isinstance(value, str):
        return value
    value = one_line(value)
    if value.startswith(FORMULA_PREFIXES) or value.lstrip().startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame, keep: tuple[str, ...] = (), *, headers: bool = False) -> pd.DataFrame:
    """A copy with every text column neutralised except ``keep`` (toolkit-written codes such
    as a Toloka verdict ``+``/``-``, which never hold user input, are only made one line).

    Column names are always made one line; ``headers`` also guards them against formulas,
    for names that come from input and that no platform matches on (an MTurk upload keeps
    its own column names, so there they are left as they are otherwise)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
            continue
        guard = (lambda v: one_line(v) if isinstance(v, str) else v) if column in keep else neutralise
        out[column] = values.astype(object).map(guard)
    names = [one_line(str(c)) for c in out.columns]
    out.columns = [neutralise(c) for c in names] if headers else names
    return out


def csv_text(frame: pd.DataFrame, keep: tuple[str, ...] = (), *, headers: bool = False, sep: str = ",") -> str:
    """The CSV text of ``frame`` neutralised (see :func:`neutralise_frame`), LF-terminated:
    the one way the toolkit turns a table that holds input into a CSV file."""
    return neutralise_frame(frame, keep, headers=headers).to_csv(index=False, sep=sep, lineterminator="\n")

