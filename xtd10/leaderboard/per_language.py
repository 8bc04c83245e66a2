"""Per-language views for datasets with too many languages for a column each.

A table with a column per language works for XTD10's 11 languages; XTD200 and
Flickr30k-200 have 201, which no page or README can show as columns. For such a dataset
(more scored languages than :data:`MAX_LANGUAGE_COLUMNS`) the board shows instead:

- aggregates per model and direction: the mean over all languages, over each script with
  enough languages to say something (the rest pooled), over the XTD10 languages, and over
  the languages the encoder was / was not trained on;
- a long table, one row per language, model and direction.

Names, scripts and XTD10 membership come from the language table, the metrics from the
dataset's descriptor: nothing here knows a dataset by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from xtd10.encoders.trained import was_trained_on
from xtd10.languages import table_row
from xtd10.leaderboard.collect import Leaderboard
from xtd10.leaderboard.records import Entry
from xtd10.leaderboard.tables import DIRECTION_ORDER, TRACK_ORDER, assign_ranks
from xtd10.schema import AGGREGATES, ALL_LANGUAGES, R1, R10, SUBSET_ALL, dataset_descriptor, lower_is_better

MAX_LANGUAGE_COLUMNS = 12  # up to this many languages, a table gets a column per language
MIN_SCRIPT_LANGUAGES = 5  # a script with fewer scored languages is pooled into "other scripts"
FIRST_METRIC = R1  # always shown: the headline metric of a 1000-caption gallery saturates less at 1
OTHER_SCRIPTS = "other"
PER_MODEL_GROUPS = frozenset({"trained", "untrained"})  # their languages differ from model to model


@dataclass(frozen=True)
class LanguageInfo:
    """What the language table says of one scored language (the code itself when it has no row)."""

    tag: str
    name: str
    script: str
    in_xtd10: bool


@dataclass(frozen=True)
class LanguageScore:
    """One model's scores in one language and direction (metric -> value, display scale)."""

    entry: Entry
    track: str
    direction: str
    language: LanguageInfo
    values: dict[str, float]
    trained: bool | None  # None: the encoder declares no languages


@dataclass(frozen=True)
class Group:
    """A set of languages an aggregate is taken over."""

    key: str  # stable id, also the page's filter value
    label: str
    test: Callable[[LanguageScore], bool]


@dataclass
class AggregateRow:
    entry: Entry
    track: str
    direction: str
    means: dict[str, tuple[float, int]]  # group key -> (mean, number of languages)
    rank: int | None = None
    tied: bool = False  # shares its position with another row (equal mean)


@dataclass
class AggregateTable:
    dataset: str
    revision: str
    track: str
    direction: str
    metric: str
    groups: list[Group]
    counts: dict[str, int]  # group key -> languages in it (the most any model scored)
    rows: list[AggregateRow]


def language_info(code: str) -> LanguageInfo:
    row = table_row(code)
    if row is None:
        return LanguageInfo(tag=code, name=code, script="", in_xtd10=False)
    return LanguageInfo(tag=row.tag, name=row.name, script=row.script, in_xtd10=bool(row.xtd10))


def metrics_for(dataset: str) -> tuple[str, ...]:
    """R@1 and the dataset's headline metric (its descriptor's), in that order."""
    descriptor = dataset_descriptor(dataset)
    headline = descriptor.headline_metric if descriptor else R10
    return tuple(dict.fromkeys((FIRST_METRIC, headline)))


def scored_languages(board: Leaderboard, dataset: str, revision: str) -> set[str]:
    keys = {e.key for e in board.measured() if (e.dataset, e.revision) == (dataset, revision)}
    return {s.language for s in board.scores if s.entry_key in keys and s.language not in (*AGGREGATES, ALL_LANGUAGES)}


def is_wide(board: Leaderboard, dataset: str, revision: str) -> bool:
    """True when the group's languages do not fit as table columns."""
    return len(scored_languages(board, dataset, revision)) > MAX_LANGUAGE_COLUMNS


def wide_groups(board: Leaderboard) -> list[tuple[str, str]]:
    return [g for g in board.groups() if is_wide(board, *g)]


def language_scores(board: Leaderboard, dataset: str, revision: str, subset: str = SUBSET_ALL) -> list[LanguageScore]:
    """Every (model, track, direction, language) of the group on ``subset``, in reading order:
    track, direction, model (entry order), then language tag."""
    metrics = metrics_for(dataset)
    entries = {e.key: e for e in board.measured() if (e.dataset, e.revision) == (dataset, revision)}
    found: dict[tuple[str, str, str, str], dict[str, float]] = {}
    for score in board.scores:
        if (score.entry_key in entries and score.subset == subset and score.metric in metrics
                and score.language not in (*AGGREGATES, ALL_LANGUAGES)):
            found.setdefault((score.entry_key, score.track, score.direction, score.language), {})[score.metric] = \
                score.value
    order = {key: i for i, key in enumerate(entries)}
    out = []
    for (key, track, direction, code), values in found.items():
        entry = entries[key]
        out.append(LanguageScore(entry=entry, track=track, direction=direction, language=language_info(code),
                                 values=values, trained=was_trained_on(entry.spec, code)))
    out.sort(key=lambda s: (_position(s.track, TRACK_ORDER), _position(s.direction, DIRECTION_ORDER), order[s.entry.key],
                            s.language.tag))
    return out


def _position(value: str, order: tuple[str, ...]) -> int:
    return order.index(value) if value in order else len(order)


def _per_script(scores: list[LanguageScore]) -> Counter:
    """Scored languages per script, each language counted once."""
    languages = {s.language.tag: s.language.script for s in scores}
    return Counter(languages.values())


def _in_script(script: str) -> Callable[[LanguageScore], bool]:
    return lambda s: s.language.script == script


def groups_for(scores: list[LanguageScore]) -> list[Group]:
    """All languages; each script with at least :data:`MIN_SCRIPT_LANGUAGES` languages, most
    languages first; the other scripts pooled; the XTD10 languages; trained / not trained."""
    per_script = _per_script(scores)
    own = [script for script, n in sorted(per_script.items(), key=lambda kv: (-kv[1], kv[0]))
           if n >= MIN_SCRIPT_LANGUAGES and script]
    groups = [Group("all", "all languages", lambda s: True)]
    groups.extend(Group(f"script:{script}", script, _in_script(script)) for script in own)
    if any(script not in own for script in per_script):
        groups.append(Group(OTHER_SCRIPTS, "other scripts", lambda s: s.language.script not in own))
    if any(s.language.in_xtd10 for s in scores):
        groups.append(Group("xtd10", "XTD10 languages", lambda s: s.language.in_xtd10))
    if any(s.trained is not None for s in scores):
        groups.append(Group("trained", "encoder trained on", lambda s: s.trained is True))
        groups.append(Group("untrained", "not trained on", lambda s: s.trained is False))
    return groups


def aggregate_tables(board: Leaderboard, dataset: str, revision: str) -> list[AggregateTable]:
    """One table per track, direction and metric: a row per model, a column per group;
    ranked by the mean over all languages (rows with fewer languages listed last, unranked)."""
    scores = language_scores(board, dataset, revision)
    if not scores:
        return []
    groups = groups_for(scores)
    tables = []
    views = list(dict.fromkeys((s.track, s.direction) for s in scores))
    for track, direction in views:
        here = [s for s in scores if (s.track, s.direction) == (track, direction)]
        for metric in metrics_for(dataset):
            rows = _aggregate_rows(here, groups, metric, track, direction)
            if not rows:
                continue
            counts = {g.key: max(r.means[g.key][1] if g.key in r.means else 0 for r in rows) for g in groups}
            _rank(rows, metric, counts["all"])
            tables.append(AggregateTable(dataset=dataset, revision=revision, track=track, direction=direction,
                                         metric=metric, groups=[g for g in groups if counts[g.key]],
                                         counts=counts, rows=rows))
    return tables


def _aggregate_rows(scores: list[LanguageScore], groups: list[Group], metric: str, track: str,
                    direction: str) -> list[AggregateRow]:
    by_entry: dict[str, list[LanguageScore]] = {}
    for s in scores:
        if metric in s.values:
            by_entry.setdefault(s.entry.key, []).append(s)
    rows = []
    for items in by_entry.values():
        means = {}
        for group in groups:
            values = [s.values[metric] for s in items if group.test(s)]
            if values:
                means[group.key] = (sum(values) / len(values), len(values))
        rows.append(AggregateRow(entry=items[0].entry, track=track, direction=direction, means=means))
    return rows


def _rank(rows: list[AggregateRow], metric: str, complete: int) -> None:
    sign = 1.0 if lower_is_better(metric) else -1.0
    rows.sort(key=lambda r: (r.means["all"][1] < complete, sign * r.means["all"][0], r.entry.model, r.entry.key))
    assign_ranks([r for r in rows if r.means["all"][1] == complete], lambda r: r.means["all"][0])

