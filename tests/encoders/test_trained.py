"""Which languages a model was trained on, as the leaderboard, the audit and the language table see it.

The references are the committed language table's ``trained`` column and language codes
written out here, not the lookup's own rule.
"""

from __future__ import annotations

import csv

from xtd10.encoders.trained import (
    TABLE_ENCODERS,
    language_table_text,
    trained_languages,
    was_trained_on,
    write_language_table,
)
from xtd10.languages import TABLE_FILE


def _committed_column() -> dict[str, set[str]]:
    """encoder -> the tags whose ``trained`` cell names it, read from the committed file."""
    lines = [line for line in TABLE_FILE.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    out: dict[str, set[str]] = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        for encoder in row["trained"].split():
            out.setdefault(encoder, set()).add(row["tag"])
    return out


def test_the_committed_trained_column_is_the_generated_one():
    assert language_table_text() == TABLE_FILE.read_text(encoding="utf-8"), (
        "the language table's trained column differs from the model metadata: regenerate it with "
        "xtd10.encoders.trained.write_language_table()")


def test_regenerating_rewrites_only_the_trained_column(tmp_path):
    copy = tmp_path / "table.tsv"
    original = TABLE_FILE.read_text(encoding="utf-8")
    copy.write_text(original.replace("\tmuse e5-small\n", "\t\n"), encoding="utf-8")
    write_language_table(copy)
    assert copy.read_text(encoding="utf-8") == original


def test_trained_tags_equal_the_committed_column():
    column = _committed_column()
    assert set(column) == set(TABLE_ENCODERS)
    for spec in TABLE_ENCODERS:
        assert trained_languages(spec) == column[spec], spec


def test_trained_lookup_is_keyed_by_encoder_spec():
    assert was_trained_on("muse", "de") is True
    assert was_trained_on("muse", "sw") is False
    assert was_trained_on("offline-labels", "deu_Latn") is True  # its text side is mUSE; any spelling
    assert was_trained_on("e5-small", "sw") is True
    assert was_trained_on("hf:some/model", "de") is None  # undeclared: no mark either way
    assert was_trained_on("random", "de") is None  # chance level declares no languages: no mark


def test_varieties_follow_the_declared_code_only():
    # CC-100's ar is Modern Standard Arabic, its no is Bokmål, zh covers both scripts
    assert was_trained_on("e5-small", "arb_Arab") is True and was_trained_on("e5-small", "arz_Arab") is False
    assert was_trained_on("e5-small", "nob_Latn") is True and was_trained_on("e5-small", "nno_Latn") is False
    assert was_trained_on("muse", "zho_Hant") is True and was_trained_on("muse", "zho_Hans") is True
    assert was_trained_on("hf:openai/clip-vit-base-patch32", "en") is True
    assert was_trained_on("hf:openai/clip-vit-base-patch32", "de") is False
