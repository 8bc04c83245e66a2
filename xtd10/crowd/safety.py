"""Neutralising crowd-supplied strings before they reach a spreadsheet.

A cell starting with ``= + - @``, a tab or a carriage return is executed as a formula by
Excel/LibreOffice/Sheets (CSV injection). Prefixing a single quote makes it inert text.
"""

from __future__ import annotations

import pandas as pd

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame, keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """Neutralise every text column except ``keep`` (toolkit-written codes such as a
    Toloka verdict ``+``/``-``, which never hold crowd input)."""
    out = frame.copy()
    for column in out.columns:
        if column in keep:
            continue
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise)
    return out


def write_csv(frame: pd.DataFrame, path) -> None:
    """CSV with every text cell neutralised, written atomically (UTF-8 with BOM so Excel
    reads non-Latin scripts correctly)."""
    from xtd10.files import atomic_write_bytes

    atomic_write_bytes(path, neutralise_frame(frame).to_csv(index=False).encode("utf-8-sig"))
