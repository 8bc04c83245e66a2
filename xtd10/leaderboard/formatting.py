"""Number and label formatting shared by the Markdown and HTML renderers."""

from __future__ import annotations

from xtd10.leaderboard.records import DIRECTION_LABELS, PERCENT_METRICS, Score
from xtd10.schema import (
    AVG_NON_EN,
    DATASETS,
    IMAGE_TRACK,
    RANK_METRICS,
    TEXT_TRACK,
    XTD10,
    dataset_descriptor,
)

TRACK_LABELS = {IMAGE_TRACK: "Image track", TEXT_TRACK: "Text track"}
SUBSET_LABELS = dict(XTD10.subset_labels)
DATASET_LABELS = {d.name: d.title for d in DATASETS.values()}


def number(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    if metric in PERCENT_METRICS or metric in RANK_METRICS:
        return f"{value:.1f}"
    return f"{value:.3g}"


def with_ci(score: Score | None) -> str:
    """``83.6 (82.1–85.0)`` when the score carries a confidence interval."""
    if score is None:
        return "–"
    text = number(score.metric, score.value)
    if score.ci_low is not None and score.ci_high is not None:
        text += f" ({number(score.metric, score.ci_low)}–{number(score.metric, score.ci_high)})"
    return text


def view_title(track: str, direction: str, subset: str, dataset: str = XTD10.name) -> str:
    descriptor = dataset_descriptor(dataset)
    subset_label = descriptor.subset_label(subset) if descriptor else subset
    return f"{TRACK_LABELS.get(track, track)}, {DIRECTION_LABELS.get(direction, direction)}, {subset_label}"


def dataset_title(dataset: str, revision: str) -> str:
    label = DATASET_LABELS.get(dataset, dataset)
    return f"{label} (revision {revision})" if revision else label


def column_label(language: str) -> str:
    return {AVG_NON_EN: "avg non-en"}.get(language, language)
