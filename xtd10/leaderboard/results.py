"""Read measured result files (schema ``xtd10.result`` v1, see docs/result-schema.md).

The benchmark may add fields in later minor revisions, so unknown fields are ignored; but
an unknown schema name or a newer major version is refused, because the meaning of the
numbers could have changed under us.
"""

from __future__ import annotations

import json
from pathlib import Path

from xtd10.leaderboard.errors import ResultFileError
from xtd10.leaderboard.records import DIRECTIONS, MEASURED, Entry, Score, to_display_scale
from xtd10.leaderboard.validate import Checker

SCHEMA_NAME = "xtd10.result"
SCHEMA_MAJOR = 1
FRACTION_METRICS = frozenset({"R@1", "R@5", "R@10", "MRR", "nDCG@10"})


def read_result_file(path: Path, *, label: str | None = None) -> tuple[Entry, list[Score]]:
    """Parse and validate one result file into its entry and scores."""
    where = label or str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ResultFileError(f"{where}: cannot read: {err}") from err
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ResultFileError(f"{where}: not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from err
    check = Checker(where, ResultFileError)
    data = check.mapping(data, "top level")
    _check_schema(check, data)

    dataset = check.mapping(data.get("dataset"), "dataset")
    encoder = check.mapping(data.get("encoder"), "encoder")
    spec = check.text(encoder.get("spec"), "encoder.spec")
    name = check.text(encoder.get("name"), "encoder.name", optional=True) or spec
    entry = Entry(
        kind=MEASURED,
        key=f"measured:{path.name}",
        model=name,
        spec=spec,
        dataset=check.text(dataset.get("name"), "dataset.name"),
        revision=check.text(dataset.get("revision"), "dataset.revision"),
        origin=path.name,
        details={
            "created": data.get("created") if isinstance(data.get("created"), str) else "",
            "toolkit_version": data.get("toolkit_version") if isinstance(data.get("toolkit_version"), str) else "",
            "encoder": dict(encoder),
            "config": dict(data["config"]) if isinstance(data.get("config"), dict) else {},
            "hardware": dict(data["hardware"]) if isinstance(data.get("hardware"), dict) else {},
            "timings": dict(data["timings"]) if isinstance(data.get("timings"), dict) else {},
        },
    )
    return entry, _read_metrics(check, data.get("metrics"), entry.key)


def _check_schema(check: Checker, data: dict) -> None:
    schema = data.get("schema")
    if schema != SCHEMA_NAME:
        raise check.fail("schema", f"unknown schema {schema!r:.60} (expected {SCHEMA_NAME!r})")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise check.fail("schema_version", f"expected an integer, got {version!r:.40}")
    if version > SCHEMA_MAJOR:
        raise check.fail(
            "schema_version",
            f"version {version} is newer than this toolkit understands ({SCHEMA_MAJOR}); upgrade xtd10",
        )
    if version < 1:
        raise check.fail("schema_version", f"unknown version {version}")


def _read_metrics(check: Checker, metrics: object, entry_key: str) -> list[Score]:
    if not isinstance(metrics, list) or not metrics:
        raise check.fail("metrics", "expected a non-empty list")
    scores: list[Score] = []
    seen: set[tuple[str, str, str, str, str]] = set()
    for i, item in enumerate(metrics):
        field = f"metrics[{i}]"
        row = check.mapping(item, field)
        track = check.text(row.get("track"), f"{field}.track")
        if track not in DIRECTIONS:
            raise check.fail(f"{field}.track", f"unknown track {track!r:.40}")
        direction = check.text(row.get("direction"), f"{field}.direction")
        if direction not in DIRECTIONS[track]:
            raise check.fail(f"{field}.direction", f"{direction!r:.40} is not a direction of the {track} track")
        language = check.language(row.get("language"), f"{field}.language")
        subset = check.text(row.get("subset"), f"{field}.subset")
        metric = check.text(row.get("metric"), f"{field}.metric")
        value = check.number(row.get("value"), f"{field}.value")
        ci_low = check.number(row.get("ci_low"), f"{field}.ci_low", optional=True)
        ci_high = check.number(row.get("ci_high"), f"{field}.ci_high", optional=True)
        if metric in FRACTION_METRICS:
            for bound_name, bound in (("value", value), ("ci_low", ci_low), ("ci_high", ci_high)):
                if bound is not None and not 0.0 <= bound <= 1.0:
                    raise check.fail(f"{field}.{bound_name}", f"{metric} must be a fraction in [0, 1], got {bound}")
        if ci_low is not None and ci_high is not None and ci_low > ci_high:
            raise check.fail(field, f"ci_low {ci_low} is above ci_high {ci_high}")
        n_queries = row.get("n_queries")
        if n_queries is not None and (isinstance(n_queries, bool) or not isinstance(n_queries, int)):
            raise check.fail(f"{field}.n_queries", f"expected an integer, got {n_queries!r:.40}")
        identity = (track, direction, subset, language, metric)
        if identity in seen:
            raise check.fail(field, f"duplicate metric row {'/'.join(identity)}")
        seen.add(identity)
        scores.append(
            Score(
                entry_key=entry_key,
                track=track,
                direction=direction,
                subset=subset,
                language=language,
                metric=metric,
                value=to_display_scale(metric, value),
                ci_low=to_display_scale(metric, ci_low),
                ci_high=to_display_scale(metric, ci_high),
                n_queries=n_queries,
            )
        )
    return scores
