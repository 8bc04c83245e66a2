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

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from xtd10.errors import UnknownLanguageError

ORIGINAL = "original"
CROWD_TRANSLATION = "crowdsourced translation"
MIC_TRANSLATION = "MIC test-set translation"
STAIR_INDEPENDENT = "STAIR Captions (written independently)"


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
        code = lang.code.lower()
        if code in self._alias and self._alias[code] != code:
            raise ValueError(f"language code {code!r} is already an alias of {self._alias[code]!r}")
        self._by_code[code] = lang
        self._alias[code] = code
        for alias in lang.aliases:
            self._alias[alias.lower()] = code

    def with_extra(self, extra: Iterable[Language]) -> LanguageRegistry:
        """A new registry with the built-in entries plus ``extra`` ones."""
        return LanguageRegistry([*self._by_code.values(), *extra])

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(self._by_code)

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
        key = code.strip().lower().replace("_", "-")
        if key in self._alias:
            return self._by_code[self._alias[key]]
        suggestion = self.suggest(key)
        hint = f" Did you mean {suggestion!r} ({self._by_code[suggestion].name})?" if suggestion else ""
        raise UnknownLanguageError(
            f"unknown language {code!r}.{hint} Valid codes: {', '.join(self.codes)} "
            f"(aliases: {', '.join(sorted(a for a in self._alias if a not in self._by_code))})."
        )

    def suggest(self, key: str) -> str | None:
        """The code a user most plausibly meant by an unknown ``key``, or None.

        People type language names ("Spanish", "chinese"), name prefixes ("ger"), region
        tags ("ja-JP") or near-miss codes ("esp", "jap"). Names and prefixes are tried
        first; spelling similarity against two-letter codes alone is mostly noise ("pt" is
        not "tr"), so it needs a close match.
        """
        key = key.strip().lower().replace("_", "-")
        base = key.split("-", 1)[0]
        if base != key and base in self._alias:
            return self._alias[base]
        names = {lang.name.lower(): lang.code for lang in self._by_code.values()}
        words = {lang.name.lower().split(" ")[0]: lang.code for lang in self._by_code.values()}
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
        comma-separated; duplicates are dropped, order is kept."""
        if languages is None or (isinstance(languages, str) and languages.strip().lower() == "all"):
            return list(self.codes)
        if isinstance(languages, str):
            languages = [part for part in languages.split(",") if part.strip()]
        out: list[str] = []
        for code in languages:
            norm = self.normalize(code)
            if norm not in out:
                out.append(norm)
        if not out:
            raise UnknownLanguageError("no language selected")
        return out


REGISTRY = LanguageRegistry(BUILTIN_LANGUAGES)


def get_language(code: str) -> Language:
    """The built-in entry for ``code`` (aliases such as ``jp`` accepted)."""
    return REGISTRY.get(code)


def normalize_language(code: str) -> str:
    """The canonical ISO 639-1 code for ``code``: ``normalize_language("jp") == "ja"``."""
    return REGISTRY.normalize(code)
