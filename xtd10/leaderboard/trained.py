"""Which languages an encoder was trained on, by encoder spec, for the per-language views.

A score in a language the text encoder never saw measures something else (script overlap,
borrowed words, English left in the caption) than one in a language it was trained on, so
the per-language tables and plots mark those cells. The languages come from the language
table's ``trained`` column; this lookup only says which column label (or which explicit
tags) belongs to an encoder spec. An encoder not listed here gets no mark either way:
"unknown" is not "not trained".
"""

from __future__ import annotations

from collections.abc import Mapping

from xtd10.encoders.text_sides import text_side
from xtd10.languages import table_row, trained_languages

# encoder spec -> the label of the language table's ``trained`` column that lists its
# languages, or the BCP 47 tags themselves. Add an encoder by adding a line.
# An encoder that embeds captions with another (``offline-labels`` with mUSE) is looked up by
# that text side (xtd10.encoders.text_sides).
TRAINED_ON: Mapping[str, str | tuple[str, ...]] = {
    "muse": "muse",
    "e5-small": "e5-small",
}


def trained_tags(spec: str) -> frozenset[str] | None:
    """The tags of the languages the encoder ``spec`` was trained on; None: not declared."""
    declared = TRAINED_ON.get(text_side(spec)) if spec.strip() else None
    if declared is None:
        return None
    if isinstance(declared, str):
        return trained_languages(declared)
    return frozenset(declared)


def was_trained_on(spec: str, language: str) -> bool | None:
    """Whether the encoder saw ``language`` (any spelling) in training; None: not known."""
    tags = trained_tags(spec)
    if tags is None:
        return None
    row = table_row(language)
    return (row.tag if row is not None else language) in tags
