"""The words of an XTD10 result and the one model that reads and writes result files.

Everything that names a track, a direction, a subset, a metric or an aggregate imports it
from here, and every result file goes through :meth:`Result.load` and :meth:`Result.save`.
One reader means one set of rules: a file the leaderboard accepts is a file the benchmark
accepts, with the same error message naming the same field.

The package sits at the bottom of the toolkit, above only the language registry and the
foundation modules, so the data layer, the benchmark, the leaderboard and the baseline can
all depend on it without cycles. Its parts: :mod:`~xtd10.schema.words` (the vocabulary),
:mod:`~xtd10.schema.datasets` (dataset descriptors and their pinned releases),
:mod:`~xtd10.schema.result` (the result model), :mod:`~xtd10.schema.checks` (the one
checker) and :mod:`~xtd10.schema.json_schema` (``docs/result.schema.json``). Import every
name from ``xtd10.schema``; docs/result-schema.md explains the fields.

Quick use::

    from xtd10.schema import Result
    result = Result.load("leaderboards/results/muse.json")   # validated, or ResultFileError
    result.value("text", "x2en", "de", "all", "R@10")         # 0.991
    result.cells()                                            # scored (track, direction, language, subset)
    result.save("copy.json")                                  # atomic, diff-friendly JSON
"""

from __future__ import annotations

from xtd10.schema.checks import MIN_RESAMPLES_FOR_CONTAINMENT, TOLERANCE, FieldChecker, ResultFileError, check
from xtd10.schema.datasets import (
    DATASETS,
    DEMO,
    FLICKR30K_200,
    XTD10,
    XTD200,
    DatasetDescriptor,
    Release,
    dataset_descriptor,
    promoted_descriptor,
)
from xtd10.schema.json_schema import json_schema, json_schema_text
from xtd10.schema.result import QueryStats, Result, clean_float, ndcg_from_single_ranks
from xtd10.schema.words import (
    AGGREGATES,
    ALL_LANGUAGES,
    AVG,
    AVG_NON_EN,
    BOTH_TRACKS,
    CAPTION_QUERIES,
    CELL_FIELDS,
    COCO_SPLITS,
    CONSISTENCY,
    DEFAULT_KS,
    DIRECTION_DESCRIPTIONS,
    DIRECTION_PLAIN_WORDS,
    DIRECTIONS,
    EN2X,
    I2T,
    IMAGE_TRACK,
    MEANR,
    MEDR,
    METRIC_FIELDS,
    METRIC_ORDER,
    MRR,
    NDCG,
    NDCG_DEPTH,
    OPPOSITE,
    OPTIONAL,
    R1,
    R5,
    R10,
    RANK_METRICS,
    RECALL_METRICS,
    REQUIRED,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    SUBSET_ALL,
    SUBSET_TRAIN2014,
    SUBSET_VAL2014,
    T2I,
    TEXT_TRACK,
    TRACKS,
    X2EN,
    Cell,
    cell_key,
    is_fraction,
    is_known_metric,
    is_recall,
    lower_is_better,
    metric_names,
    recall_k,
    recall_name,
)

__all__ = [
    "AGGREGATES", "ALL_LANGUAGES", "AVG", "AVG_NON_EN", "BOTH_TRACKS", "CAPTION_QUERIES", "CELL_FIELDS",
    "COCO_SPLITS", "CONSISTENCY", "DATASETS", "DEFAULT_KS", "DEMO", "DIRECTIONS", "DIRECTION_DESCRIPTIONS",
    "DIRECTION_PLAIN_WORDS", "EN2X", "FLICKR30K_200", "I2T", "IMAGE_TRACK", "MEANR", "MEDR", "METRIC_FIELDS",
    "METRIC_ORDER", "MIN_RESAMPLES_FOR_CONTAINMENT", "MRR", "NDCG", "NDCG_DEPTH", "OPPOSITE", "OPTIONAL", "R1",
    "R5", "R10", "RANK_METRICS", "RECALL_METRICS", "REQUIRED", "SCHEMA_NAME", "SCHEMA_VERSION", "SUBSET_ALL",
    "SUBSET_TRAIN2014", "SUBSET_VAL2014", "T2I", "TEXT_TRACK", "TOLERANCE", "TRACKS", "X2EN", "XTD10", "XTD200",
    "Cell", "DatasetDescriptor", "FieldChecker", "QueryStats", "Release", "Result", "ResultFileError",
    "cell_key", "check", "clean_float", "dataset_descriptor", "is_fraction", "is_known_metric", "is_recall",
    "json_schema", "json_schema_text", "lower_is_better", "metric_names", "ndcg_from_single_ranks",
    "promoted_descriptor", "recall_k", "recall_name",
]
