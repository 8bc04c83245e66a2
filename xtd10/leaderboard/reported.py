"""Read published numbers from ``leaderboards/reported/*.yaml``.

File layout (every entry must end up with a model, a source, a direction, a scale and
metric values per language; a top-level ``source`` block supplies defaults so that a file
holding one paper's table does not repeat its citation)::

    source:
      citation: "Chen et al. 2022, AltCLIP, arXiv 2211.06679, Table 3"
      url: https://arxiv.org/abs/2211.06679
    entries:
      - model: mUSE m3
        track: image          # default image
        direction: t2i
        subset: all           # default all
        scale: percent        # or fraction
        metric: R@10          # either metric + values ...
        values: {en: 85.3, es: 78.9}
        metrics: {R@1: {en: 50.1}}   # ... or metrics: metric -> language -> value
        notes: free text

These numbers were measured by someone else, on their copy of the data, with their code:
they are always labelled ``reported`` and never ranked with numbers measured here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from xtd10.errors import UnknownLanguageError
from xtd10.languages import LANGUAGE_CODE, normalize_language
from xtd10.leaderboard.errors import ReportedFileError
from xtd10.leaderboard.records import DIRECTIONS, REPORTED, Entry, Score
from xtd10.schema import AGGREGATES, ALL_LANGUAGES, IMAGE_TRACK, SUBSET_ALL, XTD10, FieldChecker
from xtd10.userfiles import brief, read_yaml

ENTRY_FIELDS = frozenset(
    {"model", "citation", "url", "license", "track", "direction", "subset", "dataset", "scale",
     "metric", "values", "metrics", "notes"}
)
SOURCE_FIELDS = frozenset({"citation", "url", "license", "notes", "dataset"})
SCALES = {"percent": 1.0, "fraction": 100.0}


def read_reported_file(path: Path, *, label: str | None = None) -> tuple[list[Entry], list[Score]]:
    """Parse one YAML file into entries (one per model and source) and their scores."""
    where = label or str(path)
    data = read_yaml(path, ReportedFileError, "reported-scores file")
    check = FieldChecker(where, ReportedFileError, mapping_word="a mapping")
    data = check.mapping(data, "top level")
    unknown = set(data) - {"source", "entries"}
    if unknown:
        raise check.fail("top level", f"unknown fields {sorted(map(str, unknown))}")
    defaults = check.mapping(data.get("source", {}), "source")
    unknown = set(defaults) - SOURCE_FIELDS
    if unknown:
        raise check.fail("source", f"unknown fields {sorted(map(str, unknown))}")
    items = data.get("entries")
    if not isinstance(items, list) or not items:
        raise check.fail("entries", "expected a non-empty list")

    entries: dict[str, Entry] = {}
    scores: list[Score] = []
    seen: set[tuple] = set()
    for i, item in enumerate(items):
        field = f"entries[{i}]"
        raw = check.mapping(item, field)
        unknown = set(raw) - ENTRY_FIELDS
        if unknown:
            raise check.fail(field, f"unknown fields {sorted(map(str, unknown))}")
        merged = {**defaults, **raw}
        model = check.text(merged.get("model"), f"{field}.model")
        citation = check.text(merged.get("citation"), f"{field}.citation")
        url = check.text(merged.get("url"), f"{field}.url", optional=True)
        notes = " ".join(
            check.text(block.get("notes"), f"{name}.notes", optional=True).strip()
            for name, block in (("source", defaults), (field, raw))
        ).strip()
        dataset = check.text(merged.get("dataset", XTD10.name), f"{field}.dataset")
        track = check.text(merged.get("track", IMAGE_TRACK), f"{field}.track")
        if track not in DIRECTIONS:
            raise check.fail(f"{field}.track", f"unknown track {brief(track, 40)}")
        direction = check.text(merged.get("direction"), f"{field}.direction")
        if direction not in DIRECTIONS[track]:
            raise check.fail(f"{field}.direction", f"{brief(direction, 40)} is not a direction of the {track} track")
        subset = check.text(merged.get("subset", SUBSET_ALL), f"{field}.subset")
        scale = check.text(merged.get("scale"), f"{field}.scale")
        if scale not in SCALES:
            raise check.fail(f"{field}.scale", f"expected one of {sorted(SCALES)}, got {brief(scale, 40)}")

        key = f"reported:{path.name}:{_digest(model, citation)}"
        if key not in entries:
            entries[key] = Entry(
                kind=REPORTED, key=key, model=model, spec="", dataset=dataset, revision="",
                origin=path.name, citation=citation, url=url, notes=notes,
                details={"license": str(merged.get("license") or "")},
            )
        elif notes and notes not in entries[key].notes:
            entries[key] = replace(entries[key], notes=f"{entries[key].notes} {notes}".strip())

        for metric, values in _metric_tables(check, raw, field).items():
            for language_raw, value_raw in check.mapping(values, f"{field}.{metric}").items():
                language = _language(check, language_raw, f"{field}.{metric}.{language_raw}")
                value = check.number(value_raw, f"{field}.{metric}.{language}")
                limit = 100.0 if scale == "percent" else 1.0
                if not 0.0 <= value <= limit:
                    raise check.fail(f"{field}.{metric}.{language}", f"{value} is outside [0, {limit:g}] ({scale})")
                identity = (key, track, direction, subset, metric, language)
                if identity in seen:
                    raise check.fail(field, f"duplicate value for {brief(model, 60)} {direction} {metric} {language}")
                seen.add(identity)
                scores.append(
                    Score(entry_key=key, track=track, direction=direction, subset=subset,
                          language=language, metric=metric, value=round(value * SCALES[scale], 6))
                )
    return list(entries.values()), scores


def _metric_tables(check: FieldChecker, raw: Mapping, field: str) -> dict[str, Mapping]:
    has_single = "metric" in raw or "values" in raw
    has_many = "metrics" in raw
    if has_single == has_many:
        raise check.fail(field, "give either 'metric' with 'values' or 'metrics', exactly one of them")
    if has_many:
        tables = check.mapping(raw["metrics"], f"{field}.metrics")
        if not tables:
            raise check.fail(f"{field}.metrics", "is empty")
        return {check.text(name, f"{field}.metrics"): values for name, values in tables.items()}
    metric = check.text(raw.get("metric"), f"{field}.metric")
    return {metric: check.mapping(raw.get("values"), f"{field}.values")}


def _language(check: FieldChecker, value: object, field: str) -> str:
    """A language code in the toolkit's spelling (``jp`` -> ``ja``), or an aggregate."""
    code = check.text(value, field).strip()
    if code in (*AGGREGATES, ALL_LANGUAGES):
        return code
    try:
        return normalize_language(code)
    except UnknownLanguageError:
        # Languages added with the crowd tools are not in the built-in registry.
        if LANGUAGE_CODE.match(code):
            return code
        raise check.fail(field, f"not a language code: {brief(code, 40)}") from None


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:16]
