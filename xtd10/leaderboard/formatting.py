"""Number and label formatting shared by the Markdown and HTML renderers."""

from __future__ import annotations

from xtd10.leaderboard.records import DIRECTION_LABELS, PERCENT_METRICS, Score

TRACK_LABELS = {"image": "Image track", "text": "Text track"}
SUBSET_LABELS = {
    "all": "all 1000 images",
    "val2014": "val2014 subset (the 200 images not in COCO train2014)",
}
DATASET_LABELS = {"xtd10": "XTD10", "xtd10-demo": "XTD10 demo set"}


def number(metric: str, value: float | None) -> str:
    if value is None:
        return "–"
    if metric in PERCENT_METRICS or metric in ("MedR", "MeanR"):
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


def view_title(track: str, direction: str, subset: str, dataset: str = "xtd10") -> str:
    subset_label = SUBSET_LABELS.get(subset, subset) if dataset == "xtd10" else {"all": "all images"}.get(subset, subset)
    return f"{TRACK_LABELS.get(track, track)}, {DIRECTION_LABELS.get(direction, direction)}, {subset_label}"


def dataset_title(dataset: str, revision: str) -> str:
    label = DATASET_LABELS.get(dataset, dataset)
    return f"{label} (revision {revision})" if revision else label


def column_label(language: str) -> str:
    return {"avg": "avg", "avg_non_en": "avg non-en"}.get(language, language)
