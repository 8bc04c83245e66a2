"""Per-language rule settings (``crowdsourcing/languages/<code>.yaml``).

Defaults ship inside the package so an installed toolkit works without the repository;
a user tunes a language by passing a directory of edited copies (``--settings DIR``).
Languages without a file get conservative generic settings derived from the registry.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from xtd10.crowd.errors import SettingsError
from xtd10.userfiles import parse_yaml, read_yaml


@dataclass(frozen=True)
class LanguageSettings:
    code: str
    name: str
    script: str
    scripts: tuple[str, ...]
    min_script_fraction: float = 0.7
    langid_accept: tuple[str, ...] = ()
    langid_min_chars: int = 12
    langid_min_prob: float = 0.5
    length_unit: str = "words"
    length_min: float = 0.3
    length_max: float = 2.5
    length_min_source_words: int = 4
    min_similarity: float = 0.25
    min_chars: int = 4
    min_work_seconds: float = 5.0
    max_chars_per_second: float = 6.0
    placeholders: tuple[str, ...] = ()
    task_title: str = ""
    task_instructions: str = ""
    raw: dict = field(default_factory=dict, compare=False, repr=False)


def _parse(data: dict, where: str) -> LanguageSettings:
    try:
        langid = data.get("langid", {}) or {}
        length = data.get("length_ratio", {}) or {}
        task = data.get("task", {}) or {}
        unit = length.get("unit", "words")
        if unit not in ("words", "chars"):
            raise SettingsError(f"{where}: length_ratio.unit must be 'words' or 'chars', got {unit!r}")
        return LanguageSettings(
            code=str(data["code"]), name=str(data.get("name", data["code"])),
            script=str(data.get("script", "Latn")),
            scripts=tuple(data.get("scripts") or [data.get("script", "Latn")]),
            min_script_fraction=float(data.get("min_script_fraction", 0.7)),
            langid_accept=tuple(langid.get("accept") or [data["code"]]),
            langid_min_chars=int(langid.get("min_chars", 12)),
            langid_min_prob=float(langid.get("min_prob", 0.5)),
            length_unit=unit, length_min=float(length.get("min", 0.3)),
            length_max=float(length.get("max", 2.5)),
            length_min_source_words=int(length.get("min_source_words", 4)),
            min_similarity=float((data.get("semantic") or {}).get("min_similarity", 0.25)),
            min_chars=int(data.get("min_chars", 4)),
            min_work_seconds=float(data.get("min_work_seconds", 5)),
            max_chars_per_second=float(data.get("max_chars_per_second", 6.0)),
            placeholders=tuple(str(p) for p in data.get("placeholders") or ()),
            task_title=str(task.get("title", "")), task_instructions=str(task.get("instructions", "")),
            raw=dict(data),
        )
    except KeyError as err:
        raise SettingsError(f"{where}: missing field {err.args[0]!r}") from None
    except (TypeError, ValueError) as err:
        raise SettingsError(f"{where}: {err}") from None


def _generic(code: str) -> LanguageSettings:
    from xtd10.languages import REGISTRY

    script = REGISTRY.get(code).script if code in REGISTRY else "Latn"
    return LanguageSettings(code=code, name=code, script=script, scripts=(script,), langid_accept=(code,))


def load_settings(code: str, directory: str | os.PathLike | None = None) -> LanguageSettings:
    """Settings for ``code``: ``directory/<code>.yaml`` if given and present, else the
    packaged default, else generic settings."""
    if directory is not None and (path := Path(directory) / f"{code}.yaml").is_file():
        return _settings_from(read_yaml(path, SettingsError, "language settings file"), str(path))
    packaged = resources.files("xtd10.crowd").joinpath("languages", f"{code}.yaml")
    if packaged.is_file():
        where = f"xtd10/crowd/languages/{code}.yaml"
        return _settings_from(parse_yaml(packaged.read_text(encoding="utf-8"), where, SettingsError), where)
    return _generic(code)


def _settings_from(data: object, where: str) -> LanguageSettings:
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a mapping")
    return _parse(data, where)


def packaged_codes() -> list[str]:
    folder = resources.files("xtd10.crowd").joinpath("languages")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))
