"""Per-language rule settings (``crowdsourcing/languages/<code>.yaml``).

Defaults ship inside the package (``xtd10.crowd.shipped``) so an installed toolkit works
without the repository; a user tunes a language by passing a directory of edited files
(``--settings DIR``). A user file overrides the packaged settings of its language key by key, so a file holding
only the thresholds someone changed keeps every other packaged value (script, language
identifier labels, placeholders, task text) instead of silently losing them.
Languages without any file get conservative generic settings derived from the registry,
with a warning, because those rarely suit a new language.
"""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path

from xtd10.crowd.errors import SettingsError
from xtd10.crowd.language_settings import LanguageSettings
from xtd10.crowd.scripts import KNOWN_SCRIPTS, letter_scripts
from xtd10.crowd.shipped import crowdsourcing_file
from xtd10.languages import LANGUAGE_CODE
from xtd10.userfiles import brief, parse_yaml, read_yaml

log = logging.getLogger(__name__)

# The keys a settings file may hold: top-level ones, and the keys of each section.
TOP_KEYS = ("code", "name", "script", "scripts", "min_script_fraction", "min_chars", "min_words", "max_chars",
            "min_work_seconds", "max_chars_per_second", "placeholders", "refusals", "outcomes", "feedback",
            "notes")
SECTIONS: dict[str, tuple[str, ...]] = {
    "langid": ("accept", "min_chars", "min_prob"),
    "length_ratio": ("unit", "min", "max", "min_source_words"),
    "semantic": ("min_similarity", "thresholds"),
    "task": ("title", "instructions", "guidelines_heading", "guidelines", "examples"),
}
EXAMPLES = "crowdsourcing/languages/"

# Codes already warned about in this process, so one run warns once per language.
_warned: set[tuple[str, str]] = set()


def known_keys() -> list[str]:
    """Every key a settings file may use, sections as ``section.key``."""
    return [*TOP_KEYS, *(f"{s}.{k}" for s, keys in SECTIONS.items() for k in keys)]


def check_language_code(code: object) -> str:
    """``code`` lower-cased with ``_`` as ``-``, if it has the shape of a BCP 47 tag;
    ``SettingsError`` otherwise."""
    text = str(code).strip().lower().replace("_", "-")
    if not isinstance(code, str) or not LANGUAGE_CODE.fullmatch(text):
        raise SettingsError(f"invalid language code {str(code)[:40]!r}: use a BCP 47 tag such as 'hi', 'vi' or "
                            "'pt-br' (letters, digits and '-' only)")
    return text


def canonical_code(code: str) -> str:
    """``code`` with registry aliases resolved (``jp`` -> ``ja``), else lower-cased: so a
    batch ingested as ``jp`` finds the Japanese settings. Refuses codes that are not
    shaped like a language tag (``check_language_code``)."""
    from xtd10.languages import REGISTRY

    code = check_language_code(code)
    return REGISTRY.normalize(code) if code in REGISTRY else code


def load_settings(code: str, directory: str | os.PathLike | None = None, *, warn: bool = True) -> LanguageSettings:
    """Settings for ``code``: the packaged file (or generic settings where none is
    packaged), overridden key by key by ``directory/<code>.yaml`` when that exists.

    A missing ``directory`` is an error (a mistyped path must not silently mean
    "defaults"); generic settings are logged as a warning once per language.
    """
    code = canonical_code(code)
    user = _user_file(code, directory)
    packaged = _packaged_file(code)
    if packaged is None and user is None:
        settings = _parse(_generic_data(code), f"generic settings for {code!r}", code, generic=True)
        if warn:
            _warn_generic(settings, directory)
        return settings
    base, where = packaged if packaged is not None else (_generic_data(code), f"generic settings for {code!r}")
    if user is None:
        return _parse(base, where, code)
    data, user_where = user
    return _parse(merge(base, data), user_where, code)


def merge(base: dict, override: dict) -> dict:
    """``base`` with ``override`` applied: top-level keys replace, sections (and the
    ``outcomes`` policy) merge per key (an empty section changes nothing)."""
    out = dict(base)
    for key, value in override.items():
        if key in SECTIONS and value is None:
            continue
        if (key in SECTIONS or key == "outcomes") and isinstance(value, dict) and isinstance(base.get(key), dict):
            out[key] = {**base[key], **value}
        else:
            out[key] = value
    return out


def _user_file(code: str, directory: str | os.PathLike | None) -> tuple[dict, str] | None:
    if directory is None:
        return None
    folder = Path(directory)
    if not folder.is_dir():
        raise SettingsError(f"{folder}: no such settings directory (it should hold <code>.yaml files, "
                            f"like those in {EXAMPLES})")
    path = folder / f"{code}.yaml"
    if not path.is_file():
        return None
    return _checked(read_yaml(path, SettingsError, "language settings file"), str(path), code), str(path)


def _packaged_file(code: str) -> tuple[dict, str] | None:
    packaged = crowdsourcing_file("languages", f"{code}.yaml")
    if not packaged.is_file():
        return None
    where = f"{EXAMPLES}{code}.yaml"
    return _checked(parse_yaml(packaged.read_text(encoding="utf-8"), where, SettingsError), where, code), where


def _checked(data: object, where: str, code: str) -> dict:
    """``data`` if it is a settings mapping for ``code`` with only known keys."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected a mapping of settings (keys: {', '.join(TOP_KEYS)}, "
                            f"{', '.join(SECTIONS)})", file=where)
    for key, value in data.items():
        if key not in TOP_KEYS and key not in SECTIONS:
            _unknown_key(where, str(key))
        if key in SECTIONS and value is not None:
            if not isinstance(value, dict):
                raise SettingsError(f"{where}: {key} must be a mapping with keys {', '.join(SECTIONS[key])}, "
                                    f"got {brief(value)}", file=where, field=str(key))
            for sub in value:
                if sub not in SECTIONS[key]:
                    _unknown_key(where, f"{key}.{sub}")
    if "code" in data and canonical_code(str(data["code"])) != code:
        raise SettingsError(f"{where}: code is {brief(data['code'])} but the file is for {code!r} "
                            f"(name it {canonical_code(str(data['code']))}.yaml or fix the code)",
                            file=where, field="code")
    return data


def _unknown_key(where: str, key: str) -> None:
    known = known_keys()
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SettingsError(f"{where}: unknown key {brief(key)}{hint}; known keys: {', '.join(known)}",
                        file=where, field=key)


def _generic_data(code: str) -> dict:
    """Settings for a language nobody wrote a file for: the registry's script (else
    Latin) and the language identifier's label for ``code``, where it has one; a label it
    never outputs would flag every caption, so then the check is off."""
    from xtd10.crowd import langid
    from xtd10.languages import REGISTRY

    base = code.split("-")[0]  # a regional tag (es-mx, pt-br) falls back on its language's script and label
    entry = REGISTRY.get(code) if code in REGISTRY else (REGISTRY.get(base) if base in REGISTRY else None)
    script = entry.script if entry else "Latn"
    labels = langid.labels()
    accept = [code] if labels is None or code in labels else ([base] if base in labels else [])
    name = entry.name if entry is not None and entry.code == code else code
    # Nobody has checked which close relatives the identifier confuses with this language
    # (the accept lists of the packaged files), so its verdict is a doubt, not a rejection.
    return {"code": code, "name": name, "script": script, "langid": {"accept": accept},
            "outcomes": {"wrong_language": "review"}}


def warn_if_generic(code: str, *, later: bool = True) -> None:
    """Warn, before any validation, that ``code`` has no packaged settings: for commands
    such as ``ingest`` that take no ``--settings`` but whose batch will be validated."""
    settings = load_settings(code, warn=False)
    if settings.generic:
        _warn_generic(settings, None, later=later)


def _warn_generic(settings: LanguageSettings, directory: str | os.PathLike | None, *, later: bool = False) -> None:
    key = (settings.code, str(directory))
    if key in _warned:
        return
    _warned.add(key)
    code = settings.code
    where = f"no {code}.yaml is packaged" + (f" or in {directory}" if directory is not None else "")
    check = (f"the language identifier must say {' or '.join(map(repr, settings.langid_accept))}"
             if settings.langid_accept
             else f"no language-identifier check, as py3langid has no label {code!r}")
    using, to = ("validate and decide will use", "give validate and decide") if later else ("using", "pass")
    log.warning("no validation settings for language %r (%s): %s generic ones (script %s only; %s; default "
                "length, similarity and timing thresholds; English task text). To set them, %s --settings DIR "
                "where DIR holds %s.yaml (examples: %s)", code, where, using, "/".join(settings.scripts), check,
                to, code, EXAMPLES)


def _parse(data: dict, where: str, code: str, *, generic: bool = False) -> LanguageSettings:
    langid = data.get("langid") or {}
    length = data.get("length_ratio") or {}
    task = data.get("task") or {}
    unit = length.get("unit", "words")
    if unit not in ("words", "chars"):
        raise SettingsError(f"{where}: length_ratio.unit must be 'words' or 'chars', got {brief(unit)}",
                            file=where, field="length_ratio.unit")
    accept = langid.get("accept")
    script = str(data.get("script", "Latn"))
    scripts = _strings(data.get("scripts"), where, "scripts") or letter_scripts(script)
    _check_scripts(scripts, where)
    return LanguageSettings(
        code=code, name=str(data.get("name") or code), script=script, scripts=scripts,
        min_script_fraction=_number(data, "min_script_fraction", 0.7, float, where),
        langid_accept=(code,) if accept is None else _strings(accept, where, "langid.accept"),
        langid_min_chars=_number(langid, "min_chars", 12, int, where, "langid."),
        langid_min_prob=_number(langid, "min_prob", 0.5, float, where, "langid."),
        length_unit=unit, length_min=_number(length, "min", 0.3, float, where, "length_ratio."),
        length_max=_number(length, "max", 2.5, float, where, "length_ratio."),
        length_min_source_words=_number(length, "min_source_words", 4, int, where, "length_ratio."),
        min_similarity=_number(data.get("semantic") or {}, "min_similarity", 0.25, float, where, "semantic."),
        semantic_thresholds=_thresholds((data.get("semantic") or {}).get("thresholds"), where),
        min_chars=_number(data, "min_chars", 4, int, where),
        min_words=_number(data, "min_words", 2, int, where),
        max_chars=_positive(_number(data, "max_chars", 1000, int, where), where, "max_chars"),
        outcomes=_outcomes(data.get("outcomes"), where),
        feedback=_feedback(data.get("feedback"), where),
        min_work_seconds=_number(data, "min_work_seconds", 5.0, float, where),
        max_chars_per_second=_number(data, "max_chars_per_second", 6.0, float, where),
        placeholders=_strings(data.get("placeholders"), where, "placeholders"),
        refusals=_strings(data.get("refusals"), where, "refusals"),
        task_title=str(task.get("title") or ""), task_instructions=str(task.get("instructions") or ""),
        generic=generic, raw=dict(data),
    )


def _number(section: dict, key: str, default: float, kind: type, where: str, prefix: str = ""):
    value = section.get(key, default)
    try:
        if isinstance(value, bool):
            raise TypeError
        return kind(value)
    except (TypeError, ValueError):
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"{where}: {prefix}{key} must be {what}, got {brief(value)}", file=where,
                            field=f"{prefix}{key}") from None


def _thresholds(value: object, where: str) -> tuple[tuple[str, float], ...]:
    """``semantic.thresholds``: encoder spec -> similarity threshold."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: semantic.thresholds must map encoder specs to numbers "
                            f"(e.g. muse: 0.3), got {brief(value)}")
    return tuple((str(spec), _number(value, spec, 0.0, float, where, "semantic.thresholds.")) for spec in value)


def _positive(value: int, where: str, key: str) -> int:
    if value <= 0:
        raise SettingsError(f"{where}: {key} must be above 0, got {value}", file=where, field=key)
    return value


def _outcomes(value: object, where: str) -> dict:
    """``outcomes: {rule_id: reject|review}``: the requester's policy, checked against the
    rules that exist so that a typo cannot silently leave a rule at its default."""
    from xtd10.crowd.rules import OUTCOMES, RULE_IDS

    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: outcomes must be a mapping rule_id: reject|review, got {brief(value)}")
    for rule, outcome in value.items():
        _require_known(rule, RULE_IDS, f"{where}: outcomes: unknown rule", "rules")
        if outcome not in OUTCOMES:
            raise SettingsError(f"{where}: outcomes: {rule} must be one of {', '.join(OUTCOMES)}, got {brief(outcome)}")
    return {str(k): str(v) for k, v in value.items()}


def _require_known(key: object, known: tuple[str, ...], problem: str, listing: str) -> None:
    """Refuse a key a section does not have, with the nearest known one: a typo must not
    silently leave a default in place."""
    if key in known:
        return
    close = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise SettingsError(f"{problem} {brief(key)}{hint}; {listing}: {', '.join(known)}")


# What a worker reads besides the rules' own messages: the approval, the note on answers
# sent to a person, and the task page's live checks (xtd10.crowd.guidance.MESSAGES).
FEEDBACK_EXTRA = ("approved", "review", "copy", "script", "short", "long")


def feedback_ids() -> tuple[str, ...]:
    """Every key of a settings file's ``feedback`` section: rule ids, worker escalations, and
    :data:`FEEDBACK_EXTRA`."""
    from xtd10.crowd.rules import ESCALATION_IDS, RULE_IDS

    return (*RULE_IDS, *ESCALATION_IDS, *FEEDBACK_EXTRA)


def _feedback(value: object, where: str) -> dict:
    """``feedback: {message id: text}``: what workers read, in their language. Unknown ids
    are refused (a typo would silently leave the English message in place)."""
    if value is None:
        return {}
    known = feedback_ids()
    if not isinstance(value, dict):
        raise SettingsError(f"{where}: feedback must be a mapping of message ids to texts, got {brief(value)}")
    for key, text in value.items():
        _require_known(key, known, f"{where}: feedback: unknown message", "messages")
        if not isinstance(text, str) or not text.strip():
            raise SettingsError(f"{where}: feedback: {key} must be a non-empty text, got {brief(text)}")
    return {str(k): " ".join(str(v).split()) for k, v in value.items()}


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    """A list of strings; one bare string counts as a list of one."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise SettingsError(f"{where}: {key} must be a list of strings, got {brief(value)}", file=where, field=key)
    return tuple(str(v) for v in value)


def _check_scripts(scripts: tuple[str, ...], where: str) -> None:
    """Unknown script codes would make the wrong-script rule reject every caption."""
    unknown = [s for s in scripts if s not in KNOWN_SCRIPTS]
    if unknown:
        raise SettingsError(f"{where}: scripts: unknown script {brief(unknown[0])}; use ISO 15924 codes: "
                            f"{', '.join(sorted(KNOWN_SCRIPTS))}", file=where, field="scripts")


def packaged_codes() -> list[str]:
    folder = crowdsourcing_file("languages")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def packaged_settings_data(code: str) -> tuple[dict, str] | None:
    """The packaged settings file of ``code`` (a canonical code) as data, and where it lives."""
    return _packaged_file(code)


def user_settings_data(code: str, directory: str | os.PathLike | None) -> tuple[dict, str] | None:
    """``directory/<code>.yaml`` as data, and its path; None without one."""
    return _user_file(code, directory)


def settings_from_data(data: dict, where: str, code: str) -> LanguageSettings:
    """Checked settings from a mapping assembled by a caller (the audit's table-derived settings)."""
    return _parse(_checked(data, where, code), where, code)
