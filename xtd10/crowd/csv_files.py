"""Crowd tables as CSV files requesters open in a spreadsheet: every text cell made one
line and neutralised against formula injection (see :mod:`xtd10.escaping.csv_cells`)."""

from __future__ import annotations

import pandas as pd

from xtd10.escaping.csv_cells import csv_text


def write_csv(frame: pd.DataFrame, path) -> None:
    """CSV with every text cell neutralised, written atomically (UTF-8 with BOM so Excel
    reads non-Latin scripts correctly)."""
    from xtd10.files import atomic_write_bytes

    atomic_write_bytes(path, csv_text(frame).encode("utf-8-sig"))
