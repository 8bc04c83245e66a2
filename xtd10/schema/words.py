"""The words of an XTD10 result: tracks, directions, subsets, aggregates, metric names and
the fields that key a metric row.

These are the only place the words are spelled out; everything else imports them (a test
reads the source and fails on a copy). The XTD10 language codes are not among them: they
belong to the language registry (:mod:`xtd10.languages`), one layer below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

SCHEMA_NAME = "xtd10.result"
SCHEMA_VERSION = 1

IMAGE_TRACK = "image"
TEXT_TRACK = "text"
T2I, I2T = "t2i", "i2t"  # text -> image, image -> text
X2EN, EN2X = "x2en", "en2x"  # caption in language X -> English caption, and back
# track -> its two directions: text->image / image->text, caption in X -> English / English -> X
TRACKS: dict[str, tuple[str, str]] = {IMAGE_TRACK: (T2I, I2T), TEXT_TRACK: (X2EN, EN2X)}
DIRECTIONS: tuple[str, ...] = tuple(d for pair in TRACKS.values() for d in pair)
DIRECTION_DESCRIPTIONS: dict[str, str] = dict(zip(DIRECTIONS, (
    "text → image", "image → text", "caption in language → English caption", "English caption → caption in language",
), strict=True))
# The same directions in a newcomer's words (the summary after a run): what is searched for what.
DIRECTION_PLAIN_WORDS: dict[str, str] = dict(zip(DIRECTIONS, (
    "caption -> photo", "photo -> caption", "caption -> its English caption", "English caption -> caption",
), strict=True))
# Each track's two directions answer each other: the gallery of one is the queries of the other.
OPPOSITE: dict[str, str] = {d: pair[1 - i] for pair in TRACKS.values() for i, d in enumerate(pair)}
# The first direction of each track has the captions as queries (what succeeds or fails).
CAPTION_QUERIES: dict[str, str] = {pair[0]: track for track, pair in TRACKS.items()}
BOTH_TRACKS = "both"  # the CLI's word for every track

SUBSET_ALL = "all"  # every image of the dataset
SUBSET_VAL2014 = "val2014"  # XTD10: the 200 images absent from COCO train2014
SUBSET_TRAIN2014 = "train2014"  # XTD10: the other 800, seen by any model trained on COCO train2014
COCO_SPLITS: tuple[str, ...] = (SUBSET_TRAIN2014, SUBSET_VAL2014)  # the subsets are COCO 2014's splits

AVG = "avg"  # mean over every scored language
AVG_NON_EN = "avg_non_en"  # mean over the non-English ones
AGGREGATES: tuple[str, ...] = (AVG, AVG_NON_EN)
ALL_LANGUAGES = "all"  # the language of cross-lingual rows (consistency)

DEFAULT_KS: tuple[int, ...] = (1, 5, 10)
NDCG_DEPTH = 10
MEDR, MEANR, MRR, NDCG = "MedR", "MeanR", "MRR", f"nDCG@{NDCG_DEPTH}"
CONSISTENCY = "consistency"
RANK_METRICS = (MEDR, MEANR)  # 1-based ranks: 1 is best, never below 1
_RECALL_PREFIX = "R@"


def recall_name(k: int) -> str:
    """``R@k``: the share of queries whose first relevant item is in the top k."""
    return f"{_RECALL_PREFIX}{k}"


def recall_k(metric: str) -> int | None:
    """k of an ``R@k`` name, else None."""
    found = re.fullmatch(re.escape(_RECALL_PREFIX) + r"([1-9][0-9]*)", metric)
    return int(found.group(1)) if found else None


def is_recall(metric: str) -> bool:
    return recall_k(metric) is not None


RECALL_METRICS: tuple[str, ...] = tuple(recall_name(k) for k in DEFAULT_KS)
R1, R5, R10 = RECALL_METRICS
# the order metric rows are written and shown in
METRIC_ORDER: tuple[str, ...] = (*RECALL_METRICS, MEDR, MEANR, MRR, NDCG)
# the pattern of every known metric name, for the published JSON Schema
METRIC_PATTERN = ("^(" + re.escape(_RECALL_PREFIX) + "[1-9][0-9]*|"
                  + "|".join(re.escape(m) for m in (MEDR, MEANR, MRR, NDCG, CONSISTENCY)) + ")$")


def metric_names(ks: Iterable[int] = DEFAULT_KS) -> list[str]:
    """The per-cell metrics of a run with these ``ks``: its recalls, then the rest."""
    return [recall_name(k) for k in ks] + [m for m in METRIC_ORDER if recall_k(m) is None]


def is_fraction(metric: str) -> bool:
    """Stored as fractions in [0, 1] (recalls, MRR, nDCG); shown in percent."""
    return recall_k(metric) is not None or metric in (MRR, NDCG)


def lower_is_better(metric: str) -> bool:
    return metric in (*RANK_METRICS, CONSISTENCY)


def is_known_metric(metric: str) -> bool:
    return recall_k(metric) is not None or metric in (MEDR, MEANR, MRR, NDCG, CONSISTENCY)


CELL_FIELDS = ("track", "direction", "language", "subset")
METRIC_FIELDS = (*CELL_FIELDS, "metric", "value", "ci_low", "ci_high", "n_queries")
# the top-level fields of a result file beside ``schema``, ``schema_version`` and ``per_query``
REQUIRED = ("dataset", "encoder", "metrics")
OPTIONAL = ("toolkit_version", "created", "command", "config", "timings", "hardware")

Cell = tuple[str, str, str, str]


def cell_key(entry: Mapping[str, Any]) -> Cell:
    """The (track, direction, language, subset) of a metric row or a per-query entry."""
    return tuple(str(entry[k]) for k in CELL_FIELDS)  # type: ignore[return-value]
