"""Rule settings for any language of the language table (the 201 Flores-200 languages).

Writing 201 settings files by hand would copy the same facts 201 times; they live in
``xtd10/language_table.tsv`` already. So a language's settings are assembled in layers,
each overriding the one before key by key:

1. the table: name, script (the wrong-script rule), the language identifier's label (the
   wrong-language rule; an empty cell turns that rule off for the language) and whether the
   script separates words (length measured in characters where it does not);
2. the packaged settings file of the language, where the crowd tools ship one (``de.yaml``);
3. the packaged ``flores_overrides.yaml``: close relatives the identifier confuses;
4. the user's ``--settings DIR/<code>.yaml``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from importlib import resources

from xtd10.crowd.errors import SettingsError
from xtd10.crowd.scripts import letter_scripts
from xtd10.crowd.settings import (
    LanguageSettings,
    canonical_code,
    merge,
    packaged_settings_data,
    settings_from_data,
    user_settings_data,
)
from xtd10.languages import TableRow, table_row
from xtd10.userfiles import parse_yaml

OVERRIDES_FILE = "flores_overrides.yaml"
# Scripts written without spaces between words: lengths are counted in characters.
UNSPACED_SCRIPTS = frozenset({"Hans", "Hant", "Jpan", "Thai", "Laoo", "Khmr", "Mymr", "Tibt"})


@dataclass(frozen=True)
class TableSettings:
    """A language's settings and what the audit needs to know about how they were made."""

    tag: str
    settings: LanguageSettings
    row: TableRow
    length_given: bool  # length_ratio.min/max set by a file (else calibrated on the captions)


def table_data(row: TableRow) -> dict:
    """The settings the table alone gives ``row``'s language."""
    unspaced = row.script in UNSPACED_SCRIPTS
    return {
        "name": row.name, "script": row.script, "scripts": list(letter_scripts(row.script)),
        "langid": {"accept": [row.langid] if row.langid else []},
        "length_ratio": {"unit": "chars" if unspaced else "words"},
        **({"min_words": 1} if unspaced else {}),
    }


@functools.cache
def _overrides() -> dict:
    text = resources.files("xtd10.crowd").joinpath(OVERRIDES_FILE).read_text(encoding="utf-8")
    data = parse_yaml(text, f"xtd10/crowd/{OVERRIDES_FILE}", SettingsError) or {}
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise SettingsError(f"xtd10/crowd/{OVERRIDES_FILE}: expected language code -> settings mapping")
    return {canonical_code(str(k)): v for k, v in data.items()}


def table_settings(language: str, directory: str | os.PathLike | None = None) -> TableSettings:
    """Settings for a language of the table, named by any spelling (``zh-Hant``, ``deu_Latn``)."""
    row = table_row(language)
    if row is None:
        raise SettingsError(f"language {language!r} is not in the language table (xtd10/language_table.tsv)")
    code = canonical_code(row.tag)
    data, where, length_given = {"code": code, **table_data(row)}, f"language table row {row.tag}", False
    layers = [packaged_settings_data(code)]
    if code in _overrides():
        layers.append((_overrides()[code], f"xtd10/crowd/{OVERRIDES_FILE} ({code})"))
    layers.append(user_settings_data(code, directory))
    for layer in layers:
        if layer is None:
            continue
        extra, where = layer
        length = extra.get("length_ratio") or {}
        length_given = length_given or "min" in length or "max" in length
        data = merge(data, {k: v for k, v in extra.items() if k != "code"})
    return TableSettings(row.tag, settings_from_data(data, where, code), row, length_given)
