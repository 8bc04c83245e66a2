"""Which rows of the language table a model was trained on, from its declared languages.

A model's languages are declared once, as toolkit codes (:mod:`xtd10.encoders.metadata`);
the language table names 201 Flores-200 languages by BCP 47 tag. A row counts as trained
when its tag, its language subtag (``zh`` for ``zh-Hans`` and ``zh-Hant``) or one of its
spellings (``no`` for Bokmål) is a declared code. The table's ``trained`` column is this
answer for the offline text encoders, written out for readers and generated from here.

A score in a language the text encoder never saw measures something else (script overlap,
borrowed words, English left in the caption) than one in a language it was trained on, so
the leaderboard marks those cells and the audit's semantic rule skips those encoders. A
model that declares no languages gets no answer: "unknown" is not "not trained".
"""

from __future__ import annotations

import functools
from pathlib import Path

from xtd10.encoders.metadata import model_meta, text_side
from xtd10.files import atomic_write_text
from xtd10.languages import TABLE_FILE, TableRow, language_table, table_row

# The offline text encoders the language table's ``trained`` column lists, in its order
# (the dataset audit's semantic rule chooses among them).
TABLE_ENCODERS: tuple[str, ...] = ("muse", "e5-small")
TRAINED_COLUMN = "trained"


def _row_covered(row: TableRow, languages: frozenset[str]) -> bool:
    return any(code in languages for code in (row.tag, row.tag.split("-", 1)[0], *row.aliases))


@functools.cache
def trained_languages(spec: str) -> frozenset[str] | None:
    """The language-table tags the model ``spec`` (its text side) was trained on; None: not declared."""
    meta = model_meta(text_side(spec))
    if meta is None or meta.languages is None:
        return None
    declared = frozenset(meta.languages)
    return frozenset(row.tag for row in language_table() if _row_covered(row, declared))


def was_trained_on(spec: str, language: str) -> bool | None:
    """Whether the model ``spec`` saw ``language`` (any spelling) in training; None: not known."""
    tags = trained_languages(spec) if spec.strip() else None
    if tags is None:
        return None
    row = table_row(language)
    return (row.tag if row is not None else language) in tags


def trained_column(row: TableRow) -> str:
    """The ``trained`` cell of a table row: the encoders of :data:`TABLE_ENCODERS` trained on it."""
    return " ".join(spec for spec in TABLE_ENCODERS if row.tag in (trained_languages(spec) or ()))


def language_table_text(path: Path = TABLE_FILE) -> str:
    """The language table file with its ``trained`` column generated from the model metadata
    (every other byte as it is)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header: list[str] | None = None
    out = []
    for line in lines:
        if not line.strip() or line.startswith("#"):
            out.append(line)
            continue
        fields = line.rstrip("\n").split("\t")
        if header is None:
            header = fields
            out.append(line)
            continue
        column = header.index(TRAINED_COLUMN)
        row = table_row(fields[header.index("flores")])
        if row is None:
            raise ValueError(f"{path.name}: no table row for {fields[header.index('flores')]!r}")
        fields[column] = trained_column(row)
        out.append("\t".join(fields) + "\n")
    return "".join(out)


def write_language_table(path: Path = TABLE_FILE) -> None:
    """Regenerate the table's ``trained`` column after a model's declared languages change."""
    atomic_write_text(path, language_table_text(path))
