"""The language registry of each dataset, built from its descriptor.

XTD10 (and the demo set) use the hand-written XTD10 entries of :mod:`xtd10.languages`,
which carry each language's own provenance. The Flores-200 sets (XTD200, Flickr30k-200)
are built from the language table: the descriptor names the files, the table the name,
script and spellings of each language, so a 201-language dataset needs no code of its own.
Every registry answers to every spelling the table knows (``de``, ``deu``, ``deu_Latn``).
"""

from __future__ import annotations

from xtd10.languages import (
    ENGLISH,
    MACHINE_TRANSLATION,
    ORIGINAL,
    REGISTRY,
    Language,
    LanguageRegistry,
    table_row,
)
from xtd10.schema import DatasetDescriptor

_BUILT: dict[tuple[str, str | None], LanguageRegistry] = {}


def registry_for(dataset: DatasetDescriptor) -> LanguageRegistry:
    """The languages of ``dataset``, each with its caption file in the release."""
    if dataset.languages_from != "flores":
        return REGISTRY
    key = (dataset.key, dataset.revision)
    if key not in _BUILT:
        _BUILT[key] = _flores_registry(dataset)
    return _BUILT[key]


def _flores_registry(dataset: DatasetDescriptor) -> LanguageRegistry:
    entries = []
    for code, relpath in dataset.captions.items():
        row = table_row(code)
        if row is None:  # the descriptor and the table are both data: say which one is wrong
            raise ValueError(f"{dataset.key}: language {code!r} is missing from the language table")
        english = code == ENGLISH
        entries.append(Language(
            code=row.tag, name=row.name, script=row.script,
            provenance=ORIGINAL if english else MACHINE_TRANSLATION, upstream_path=relpath,
            aliases=tuple(s for s in row.spellings if s != row.tag.lower()),
            provenance_detail="The source captions." if english else dataset.provenance))
    return LanguageRegistry(entries)
