"""Which writing system each letter of a text belongs to (ISO 15924 codes), from
``unicodedata`` alone, so the wrong-script rule needs no extra dependency."""

from __future__ import annotations

import functools
import unicodedata

_PREFIX_TO_SCRIPT = {
    "LATIN": "Latn", "CYRILLIC": "Cyrl", "GREEK": "Grek", "ARABIC": "Arab", "HEBREW": "Hebr",
    "DEVANAGARI": "Deva", "BENGALI": "Beng", "TAMIL": "Taml", "TELUGU": "Telu", "THAI": "Thai",
    "HANGUL": "Hang", "HIRAGANA": "Hira", "KATAKANA": "Kana", "CJK": "Hani", "GEORGIAN": "Geor",
    "ARMENIAN": "Armn", "ETHIOPIC": "Ethi", "GUJARATI": "Gujr", "GURMUKHI": "Guru", "KANNADA": "Knda",
    "MALAYALAM": "Mlym", "SINHALA": "Sinh", "KHMER": "Khmr", "LAO": "Laoo", "MYANMAR": "Mymr",
    "HALFWIDTH": "Kana", "FULLWIDTH": "Latn", "ORIYA": "Orya", "TIBETAN": "Tibt", "TIFINAGH": "Tfng",
}
# The codes char_script returns for letters; a settings file's ``scripts`` must use these.
KNOWN_SCRIPTS = frozenset(_PREFIX_TO_SCRIPT.values())
# Registry scripts that are mixtures of the above (ISO 15924 has codes for the mixtures).
SCRIPT_GROUPS: dict[str, tuple[str, ...]] = {
    "Jpan": ("Hani", "Hira", "Kana"), "Kore": ("Hang", "Hani"), "Hans": ("Hani",), "Hant": ("Hani",),
}


def letter_scripts(script: str) -> tuple[str, ...]:
    """The letter scripts that make up ``script`` (``Jpan`` -> Hani, Hira, Kana)."""
    return SCRIPT_GROUPS.get(script, (script,))


@functools.lru_cache(maxsize=65536)
def char_script(char: str) -> str | None:
    """ISO 15924 code of a letter, ``None`` for digits, punctuation, spaces and symbols."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    if name.startswith("HALFWIDTH KATAKANA"):
        return "Kana"
    if name.startswith("FULLWIDTH LATIN"):
        return "Latn"
    if name.startswith(("KATAKANA-HIRAGANA", "IDEOGRAPHIC")):
        return "Hani"
    return _PREFIX_TO_SCRIPT.get(name.split(" ", 1)[0], "Zyyy")


def script_fraction(text: str, scripts: frozenset[str]) -> tuple[float, int]:
    """(fraction of letters in ``scripts``, number of letters)."""
    total = hits = 0
    for char in text:
        script = char_script(char)
        if script is None:
            continue
        total += 1
        hits += script in scripts
    return (hits / total if total else 1.0), total
