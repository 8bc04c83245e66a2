"""Flagged-caption lists: what the crowd audit found, kept as data for the loader.

The audit (``xtd10 crowd audit``, :mod:`xtd10.crowd.audit`) runs the crowd rules on a
published language and records, per language and rule, the image indices whose caption
it flags. ``xtd10.load(..., exclude_flagged=True)`` reads that record; it never runs the
rules itself, so the data layer does not depend on the crowd tools.

The record lives in the cache, one file per source revision
(``<cache>/flagged/<revision>.json``; ``<dataset>-<revision>.json`` for sets other than XTD10), so a list made for one version of the captions is
never applied to another. Format::

    {"schema": "xtd10.flagged", "schema_version": 1, "revision": "...",
     "languages": {"de": {"placeholder": {"severity": "reject", "indices": [3, 17]}}}}
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from xtd10.cache import cache_root
from xtd10.errors import SourceError
from xtd10.files import atomic_write_text
from xtd10.userfiles import read_json

SCHEMA = "xtd10.flagged"
SCHEMA_VERSION = 1
REJECT = "reject"  # the severity that ``exclude_flagged=True`` drops

# language -> rule id -> (severity, flagged image indices)
RuleFlags = dict[str, tuple[str, frozenset[int]]]


class FlaggedListError(SourceError):
    """A flagged-caption list is missing for a language, or malformed."""


PACKAGED_AUDITS = Path(__file__).resolve().parents[1] / "descriptors" / "audits"


def packaged_audit_path(dataset_key: str) -> Path:
    """The toolkit's own audit of a dataset's pinned release (committed, made by ``xtd10 crowd audit``)."""
    return PACKAGED_AUDITS / f"{dataset_key}.flagged.json"


def flagged_lists(dataset: Any, revision: str) -> dict[str, RuleFlags]:
    """The flags that apply to ``revision`` of ``dataset``'s captions: the toolkit's own audit
    when the files are the pinned release, with any audit recorded on this machine for the
    same revision taking precedence language by language."""
    lists: dict[str, RuleFlags] = {}
    release = getattr(dataset, "release", None)
    packaged = packaged_audit_path(dataset.key)
    if release is not None and revision == release.commit and packaged.is_file():
        lists.update(read_flagged(packaged))
    lists.update(read_flagged(flagged_list_path(revision, getattr(dataset, "key", ""))))
    return lists


def flagged_list_path(revision: str, dataset_key: str = "") -> Path:
    """The list recorded on this machine for ``revision`` of a dataset's files. XTD200 and
    Flickr30k-200 come from one commit of one repository, so sets other than XTD10 keep their
    lists apart by name (``<dataset>-<revision>.json``); XTD10's keep their original name."""
    prefix = f"{dataset_key}-" if dataset_key and dataset_key != "xtd10" else ""
    return cache_root() / "flagged" / f"{prefix}{revision}.json"


def read_flagged(path: str | os.PathLike) -> dict[str, RuleFlags]:
    """``{language: {rule: (severity, indices)}}`` from a flagged list; {} when there is none."""
    path = Path(path)
    if not path.is_file():
        return {}
    data = read_json(path, FlaggedListError, "flagged-caption list")
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise FlaggedListError(f"{path}: not a flagged-caption list (schema {SCHEMA!r})")
    out: dict[str, RuleFlags] = {}
    languages = data.get("languages")
    if not isinstance(languages, dict):
        raise FlaggedListError(f"{path}: languages: expected an object")
    for code, rules in languages.items():
        if not isinstance(rules, dict):
            raise FlaggedListError(f"{path}: languages.{code}: expected an object of rules")
        out[code] = {}
        for rule, entry in rules.items():
            indices = entry.get("indices") if isinstance(entry, dict) else None
            if not isinstance(indices, list) or not all(isinstance(i, int) and i >= 0 for i in indices):
                raise FlaggedListError(f"{path}: languages.{code}.{rule}.indices: expected image indices")
            out[code][rule] = (str(entry.get("severity", "")), frozenset(indices))
    return out


def write_flagged(path: str | os.PathLike, revision: str, language: str, flags: RuleFlags) -> Path:
    """Record (or replace) one language's flags in the list at ``path``; others are kept."""
    return write_flagged_languages(path, revision, {language: flags})


def write_flagged_languages(path: str | os.PathLike, revision: str, languages: Mapping[str, RuleFlags], *,
                            keep_others: bool = True) -> Path:
    """Record (or replace) several languages' flags at once (an audit of a whole dataset
    writes 201 languages in one write, not 201); ``keep_others=False`` writes only these."""
    import json

    lists = read_flagged(path) if keep_others else {}
    lists.update(languages)
    data: dict[str, Any] = {
        "schema": SCHEMA, "schema_version": SCHEMA_VERSION, "revision": revision,
        "languages": {code: {rule: {"severity": severity, "indices": sorted(indices)}
                             for rule, (severity, indices) in sorted(rules.items())}
                      for code, rules in sorted(lists.items())},
    }
    return atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def flagged_revision(path: str | os.PathLike) -> str | None:
    """The source revision a flagged list was made for, or None without a list."""
    path = Path(path)
    if not path.is_file():
        return None
    data = read_json(path, FlaggedListError, "flagged-caption list")
    return str(data.get("revision", "")) if isinstance(data, dict) else None


def flagged_for(lists: Mapping[str, RuleFlags], language: str, rules: Iterable[str] | None) -> set[int]:
    """Indices flagged for ``language``: by the reject-severity rules, or by the rules named."""
    if language not in lists:
        raise FlaggedListError(f"no audit recorded for language {language!r} on this revision of the captions; "
                               f"run `xtd10 crowd audit --language {language}` (with the same --source) first, "
                               "or pass exclude_flagged={language: [image indices]}")
    chosen = lists[language]
    wanted = set(rules) if rules is not None else None
    return {i for rule, (severity, indices) in chosen.items()
            if (wanted is None and severity == REJECT) or (wanted is not None and rule in wanted) for i in indices}
