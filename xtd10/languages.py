"""The registry of XTD10 languages.

Every part of the toolkit names languages by ISO 639-1 code. Upstream names Japanese
``jp``; that spelling is accepted as an alias so that files and results written by other
tools still resolve, but the toolkit itself always writes ``ja``.

Provenance matters for interpreting scores: translations of the English captions (most
languages) are much closer to the English than captions written independently for the
same image (Japanese, from STAIR Captions), so a lower Japanese score is partly a property
of the data, not only of the model.
"""

from __future__ import annotations

import csv
import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from xtd10.errors import UnknownLanguageError

# The shape of a language tag everywhere in the toolkit (results, crowd settings, promoted
# languages): a BCP 47 language subtag, then up to four subtags of 1-8 letters or digits
# (script, region, variant: ``de``, ``zh-Hans``, ``ace-Latn``, ``zh-hant-tw``). Codes end
# up in file names, so anything else (slashes, dots, spaces) is refused before it reaches a path.
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,4}$")
SCRIPT_SELECTOR = "script:"  # ``--languages script:Arab`` selects every language written in that script

ORIGINAL = "original"
CROWD_TRANSLATION = "crowdsourced translation"
MIC_TRANSLATION = "MIC test-set translation"
STAIR_INDEPENDENT = "STAIR Captions (written independently)"
MACHINE_TRANSLATION = "machine translation (NLLB-200)"


@dataclass(frozen=True)
class Language:
    """One language of the dataset and where its captions come from."""

    code: str
    name: str
    script: str
    provenance: str
    upstream_path: str
    aliases: tuple[str, ...] = ()
    provenance_detail: str = ""
    # How the caption file is laid out: "lines" (line i belongs to image i, one caption
    # per image, the upstream layout) or "indexed" (each line is "<file_name>\t<caption>",
    # any number of captions per image; used by languages added with the crowd tools).
    layout: str = "lines"
    builtin: bool = True
    extra: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["aliases"] = list(self.aliases)
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping) -> Language:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown language registry fields: {sorted(unknown)}")
        values = dict(data)
        values["aliases"] = tuple(values.get("aliases", ()))
        values["extra"] = dict(values.get("extra", {}))
        values.setdefault("builtin", False)
        return cls(**values)


_CROWD = (
    "Crowdsourced translation of the English captions, collected for XTD10 "
    "(Aggarwal & Kale, 2020)."
)
_MIC = (
    "Translation of the English captions from the MIC test set "
    "(Rajendran et al., NAACL 2016)."
)

BUILTIN_LANGUAGES: tuple[Language, ...] = (
    Language("en", "English", "Latn", ORIGINAL, "XTD10/test_1kcaptions_en.txt",
             provenance_detail="MSCOCO 2014 caption (lowercased and tokenized upstream)."),
    Language("de", "German", "Latn", MIC_TRANSLATION, "MIC/test_1kcaptions_de.txt",
             provenance_detail=_MIC),
    Language("es", "Spanish", "Latn", CROWD_TRANSLATION, "XTD10/test_1kcaptions_es.txt",
             provenance_detail=_CROWD),
    Language("fr", "French", "Latn", MIC_TRANSLATION, "MIC/test_1kcaptions_fr.txt",
             provenance_detail=_MIC),
    Language("it", "Italian", "Latn", CROWD_TRANSLATION, "XTD10/test_1kcaptions_it.txt",
             provenance_detail=_CROWD),
    Language("ja", "Japanese", "Jpan", STAIR_INDEPENDENT, "STAIR/test_1kcaptions_jp.txt",
             aliases=("jp", "jpn"),
             provenance_detail="STAIR Captions (Yoshikawa et al., ACL 2017): written for the "
             "images independently, not translated from the English."),
    Language("ko", "Korean", "Kore", CROWD_TRANSLATION, "XTD10/test_1kcaptions_ko.txt",
             aliases=("kr",), provenance_detail=_CROWD),
    Language("pl", "Polish", "Latn", CROWD_TRANSLATION, "XTD10/test_1kcaptions_pl.txt",
             provenance_detail=_CROWD),
    Language("ru", "Russian", "Cyrl", CROWD_TRANSLATION, "XTD10/test_1kcaptions_ru.txt",
             provenance_detail=_CROWD),
    Language("tr", "Turkish", "Latn", CROWD_TRANSLATION, "XTD10/test_1kcaptions_tr.txt",
             provenance_detail=_CROWD),
    Language("zh", "Chinese (Simplified)", "Hans", CROWD_TRANSLATION,
             "XTD10/test_1kcaptions_zh.txt", aliases=("zh-cn", "zh-hans", "cn"),
             provenance_detail=_CROWD),
)

XTD10_CODES: tuple[str, ...] = tuple(lang.code for lang in BUILTIN_LANGUAGES)
ENGLISH = "en"


# --------------------------------------------------------------------------------------
# The language table: every language the toolkit knows beyond XTD10's own entries
# --------------------------------------------------------------------------------------
TABLE_FILE = Path(__file__).resolve().parent / "language_table.tsv"


@dataclass(frozen=True)
class TableRow:
    """One row of ``language_table.tsv``: a Flores-200 language and what is known of it.

    ``tag`` is its BCP 47 tag (the spelling results use), ``flores`` its Flores-200 code,
    ``xtd10`` its XTD10 code where XTD10 has it and ``langid`` the label the language
    identifier of the crowd rules gives it (empty: the identifier cannot judge it). The
    file's ``trained`` column is not read here: it is generated from the models' declared
    languages (``xtd10.encoders.trained``), which is where the toolkit looks them up.
    """

    tag: str
    flores: str
    name: str
    script: str
    aliases: tuple[str, ...]
    xtd10: str
    langid: str

    @property
    def spellings(self) -> tuple[str, ...]:
        """Every spelling that names this row (lowercase, ``_`` as ``-``)."""
        words = (self.tag, self.flores, self.xtd10, *self.aliases)
        return tuple(dict.fromkeys(_key(w) for w in words if w))


def _key(code: str) -> str:
    return code.strip().lower().replace("_", "-")


@functools.cache
def language_table() -> tuple[TableRow, ...]:
    """The rows of ``language_table.tsv`` (one source for names, scripts and codes)."""
    with TABLE_FILE.open(encoding="utf-8", newline="") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    rows = []
    for record in csv.DictReader(lines, delimiter="\t"):
        rows.append(TableRow(tag=record["tag"], flores=record["flores"], name=record["name"],
                             script=record["script"], aliases=tuple((record["aliases"] or "").split()),
                             xtd10=record["xtd10"] or "", langid=record["langid"] or ""))
    return tuple(rows)


@functools.cache
def _table_index() -> dict[str, TableRow]:
    return {spelling: row for row in language_table() for spelling in row.spellings}


def table_row(code: str) -> TableRow | None:
    """The table's row for any spelling of a language (tag, Flores code, XTD10 code, alias)."""
    return _table_index().get(_key(code))


def flores_tag(flores_code: str) -> str:
    """The BCP 47 tag of a Flores-200 code: ``flores_tag("arb_Arab") == "ar"``."""
    row = table_row(flores_code)
    if row is None or _key(row.flores) != _key(flores_code):
        raise UnknownLanguageError(f"unknown Flores-200 code {flores_code!r}")
    return row.tag


class LanguageRegistry:
    """Maps codes and aliases to :class:`Language` entries.

    The built-in registry holds the 11 XTD10 languages; a source directory can add more
    (languages promoted by the crowd tools) through its ``languages.json``.
    """

    def __init__(self, languages: Iterable[Language]):
        self._by_code: dict[str, Language] = {}
        self._alias: dict[str, str] = {}
        for lang in languages:
            self.add(lang)

    def add(self, lang: Language) -> None:
        code = _key(lang.code)
        if code in self._alias and self._alias[code] != code:
            raise ValueError(f"language code {code!r} is already an alias of {self._alias[code]!r}")
        self._by_code[code] = lang
        self._alias[code] = code
        for alias in lang.aliases:
            self._alias.setdefault(_key(alias), code)

    def with_extra(self, extra: Iterable[Language]) -> LanguageRegistry:
        """A new registry with the built-in entries plus ``extra`` ones."""
        return LanguageRegistry([*self._by_code.values(), *extra])

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(lang.code for lang in self._by_code.values())

    def __iter__(self):
        return iter(self._by_code.values())

    def __len__(self) -> int:
        return len(self._by_code)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code.strip().lower().replace("_", "-") in self._alias

    def get(self, code: str) -> Language:
        """The entry for ``code`` or an alias of it; unknown codes list the valid ones."""
        if not isinstance(code, str):
            raise UnknownLanguageError(f"language code must be a string, got {type(code).__name__}")
        key = _key(code)
        if key in self._alias:
            return self._by_code[self._alias[key]]
        several = self.sharing_language(key)
        if len(several) > 1:
            raise UnknownLanguageError(
                f"ambiguous language {code!r}: written in several scripts here; name one of "
                + ", ".join(f"{lang.code} ({lang.name})" for lang in several))
        suggestion = self.suggest(key)
        hint = f" Did you mean {self._by_code[suggestion].code!r} ({self._by_code[suggestion].name})?" \
            if suggestion else ""
        if len(self._by_code) > 20:
            valid = f"{len(self._by_code)} languages, by BCP 47 tag or Flores-200 code (xtd10 data info lists them)"
        else:
            valid = (f"{', '.join(self.codes)} (aliases: "
                     f"{', '.join(sorted(a for a in self._alias if a not in self._by_code))})")
        raise UnknownLanguageError(f"unknown language {code!r}.{hint} Valid codes: {valid}.")

    def sharing_language(self, key: str) -> list[Language]:
        """The entries whose tag or alias starts with the language subtag ``key``
        (``ace`` -> ``ace-Arab``, ``ace-Latn``): one language in several scripts."""
        found = {code for alias, code in self._alias.items() if alias.split("-", 1)[0] == key and "-" in alias}
        return [self._by_code[c] for c in self._by_code if c in found]

    def by_script(self, script: str) -> list[str]:
        """Codes of the languages written in ``script`` (ISO 15924, any case)."""
        wanted = script.strip().lower()
        codes = [lang.code for lang in self if lang.script.lower() == wanted]
        if not codes:
            scripts = sorted({lang.script for lang in self})
            raise UnknownLanguageError(f"no language written in script {script!r} here; scripts: {', '.join(scripts)}")
        return codes

    def suggest(self, key: str) -> str | None:
        """The code a user most plausibly meant by an unknown ``key``, or None.

        People type language names ("Spanish", "chinese"), name prefixes ("ger"), region
        tags ("ja-JP") or near-miss codes ("esp", "jap"). Names and prefixes are tried
        first; spelling similarity against two-letter codes alone is mostly noise ("pt" is
        not "tr"), so it needs a close match.
        """
        key = _key(key)
        base = key.split("-", 1)[0]
        if base != key and base in self._alias:
            return self._alias[base]
        names = {lang.name.lower(): _key(lang.code) for lang in self._by_code.values()}
        words = {lang.name.lower().split(" ")[0]: _key(lang.code) for lang in self._by_code.values()}
        for table in (names, words):
            if key in table:
                return table[key]
        if len(key) >= 3:
            prefixed = sorted({code for word, code in words.items() if word.startswith(key)})
            if len(prefixed) == 1:
                return prefixed[0]
        by_name = difflib.get_close_matches(key, list(words), n=1, cutoff=0.75)
        if by_name:
            return words[by_name[0]]
        close = difflib.get_close_matches(key, list(self._alias), n=1, cutoff=0.6)
        return self._alias[close[0]] if close else None

    def normalize(self, code: str) -> str:
        return self.get(code).code

    def resolve_many(self, languages: str | Iterable[str] | None) -> list[str]:
        """Normalise a selection: ``None``/``"all"`` means every language, a string may be
        comma-separated, ``script:Arab`` stands for every language in that script;
        duplicates are dropped, order is kept."""
        if languages is None or (isinstance(languages, str) and languages.strip().lower() == "all"):
            return list(self.codes)
        if isinstance(languages, str):
            languages = [part for part in languages.split(",") if part.strip()]
        out: list[str] = []
        for code in languages:
            if not isinstance(code, str):
                raise UnknownLanguageError(f"language code must be a string, got {type(code).__name__}")
            if code.strip().lower() == "all":
                chosen = list(self.codes)
            elif code.strip().lower().startswith(SCRIPT_SELECTOR):
                chosen = self.by_script(code.strip()[len(SCRIPT_SELECTOR):])
            else:
                chosen = [self.normalize(code)]
            out.extend(c for c in chosen if c not in out)
        if not out:
            raise UnknownLanguageError("no language selected")
        return out


def _with_table_spellings(lang: Language) -> Language:
    """An XTD10 entry that also answers to its table spellings (``deu``, ``deu_Latn``, ``zh-Hans``)."""
    row = table_row(lang.code)
    if row is None:
        return lang
    extra = tuple(s for s in row.spellings if s != lang.code and s not in lang.aliases)
    return Language(**{**lang.__dict__, "aliases": (*lang.aliases, *extra)})


REGISTRY = LanguageRegistry(_with_table_spellings(lang) for lang in BUILTIN_LANGUAGES)


def get_language(code: str) -> Language:
    """The built-in entry for ``code`` (aliases such as ``jp`` accepted)."""
    return REGISTRY.get(code)


def normalize_language(code: str) -> str:
    """The canonical ISO 639-1 code for ``code``: ``normalize_language("jp") == "ja"``."""
    return REGISTRY.normalize(code)
