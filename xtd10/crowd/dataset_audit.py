"""The crowd rules over every language of a dataset (XTD200, Flickr30k-200: 201 x 1000 captions).

Each published caption is judged as a submission whose English source is the English
caption of the same image (the dataset's English file). Settings come from the language
table (:mod:`xtd10.crowd.table_settings`), not from a file per language. Work is per
language group and vectorised; the language identifier classifies each distinct text once.

The semantic rule and the cross-lingual half of the refusal rule need caption embeddings:
they are read from the toolkit's embedding cache in the benchmark's chunk layout
(:mod:`xtd10.encoders.chunk_cache`), so captions ``bench run`` has encoded are never
encoded again; missing chunks are encoded and cached. Each language is judged with an
encoder trained on it (the models' declared languages, :mod:`xtd10.encoders.trained`, which the
table's ``trained`` column writes out: mUSE first, else multilingual-e5-small); a language
neither covers is not judged by the semantic rule, and the audit says so.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xtd10.cache import cache_root
from xtd10.crowd import langid
from xtd10.crowd.calibration import refusal_phrases
from xtd10.crowd.rules import REJECT, get_rules, text_length
from xtd10.crowd.semantic import DEFAULT_SPECS, Scores, default_encoder
from xtd10.crowd.table_settings import TableSettings, table_settings
from xtd10.crowd.validate import run_rules
from xtd10.data import load_frame, resolve_source
from xtd10.data.loading import source_revision
from xtd10.data.sources import Source
from xtd10.encoders.chunk_cache import cached_text_vectors, l2_normalise
from xtd10.encoders.protocol import Encoder
from xtd10.encoders.trained import was_trained_on
from xtd10.errors import XTD10Error
from xtd10.languages import ENGLISH
from xtd10.schema import DatasetDescriptor

log = logging.getLogger(__name__)

# Rules about workers, timing and the task page say nothing about a published caption.
NOT_FOR_AUDIT = ("identical_across_workers", "too_fast", "pasted")
FLAG_COLUMNS = ["language", "index", "rule", "outcome"]


@dataclass(frozen=True)
class LanguageAudit:
    """What was judged in one language: its rows, the encoder used, the rules that could not judge it."""

    tag: str
    rows: int
    encoder: str = ""
    not_judged: tuple[str, ...] = ()
    length_bounds: tuple[float, float] = (0.0, 0.0)  # the length_ratio rule's bounds after calibration


@dataclass
class DatasetAudit:
    """Flags of a dataset's audit: one row per (language, image index, rule) that fired. No caption text."""

    dataset: DatasetDescriptor
    revision: str
    rules: tuple[str, ...]
    flags: pd.DataFrame
    languages: dict[str, LanguageAudit] = field(default_factory=dict)
    encoded_chunks: int = 0  # caption chunks that were not in the embedding cache


def audit_rule_ids() -> tuple[str, ...]:
    return tuple(r.id for r in get_rules(exclude=list(NOT_FOR_AUDIT)))


def dataset_frame(src: Source, codes: list[str]) -> pd.DataFrame:
    """The captions of ``codes`` as a batch of submissions, each with its image's English caption."""
    wanted = list(dict.fromkeys([ENGLISH, *codes]))
    frame = load_frame(wanted, source=src, dataset=src.dataset)
    english = frame[(frame["language"] == ENGLISH) & (frame["caption_index"] == 0)].set_index("index")["caption"]
    rows = frame[frame["language"].isin(codes)].reset_index(drop=True)
    return pd.DataFrame({
        "submission_id": rows["language"] + "-" + rows["index"].astype(str) + "-" + rows["caption_index"].astype(str),
        "worker_id": "upstream", "image": rows["file_name"], "language": rows["language"], "text": rows["caption"],
        "english": rows["index"].map(english).fillna("").to_numpy(), "index": rows["index"],
    })


def calibrated(entry: TableSettings, group: pd.DataFrame) -> TableSettings:
    """Length bounds relative to the language's own median length ratio, where no settings file
    gave absolute ones: a language's typical ratio to English depends on its script and
    morphology (Chinese characters vs English words), so the generic bounds apply to the
    ratio divided by that median."""
    s = entry.settings
    if entry.length_given:
        return entry
    target = text_length(group["text"], s.length_unit)
    source = text_length(group["english"], s.length_unit)
    words = group["english"].fillna("").str.split().str.len().fillna(0)
    usable = words.ge(s.length_min_source_words) & target.gt(0) & source.gt(0)
    if not usable.any():
        return entry
    median = float((target[usable] / source[usable]).median())
    bounds = dataclasses.replace(s, length_min=round(s.length_min * median, 3),
                                 length_max=round(s.length_max * median, 3))
    return dataclasses.replace(entry, settings=bounds)


def semantic_spec(entry: TableSettings, specs: tuple[str, ...] = DEFAULT_SPECS) -> str:
    """The first of ``specs`` declared as trained on the language; "" when none was."""
    return next((spec for spec in specs if was_trained_on(spec, entry.row.tag)), "")


@dataclass
class _Encoders:
    """Encoders built once each, English vectors once per encoder, all through the embedding cache."""

    build: Callable[[str], Encoder]
    root: Path
    english: list[str]
    write: bool = True
    built: dict[str, Encoder | XTD10Error] = field(default_factory=dict)
    english_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    phrase_vectors: dict[str, np.ndarray] = field(default_factory=dict)
    encoded_chunks: int = 0

    def get(self, spec: str) -> Encoder | XTD10Error:
        if spec not in self.built:
            try:
                self.built[spec] = self.build(spec)
            except XTD10Error as err:
                log.warning("semantic rule: encoder %s unavailable (%s)", spec, err)
                self.built[spec] = err
        return self.built[spec]

    def vectors(self, spec: str, texts: list[str], language: str) -> np.ndarray:
        encoder = self.get(spec)
        assert not isinstance(encoder, XTD10Error)
        values, computed = cached_text_vectors(encoder, texts, language, root=self.root, write=self.write)
        self.encoded_chunks += computed
        return values

    def english_of(self, spec: str) -> np.ndarray:
        if spec not in self.english_vectors:
            self.english_vectors[spec] = self.vectors(spec, self.english, ENGLISH)
        return self.english_vectors[spec]

    def phrases_of(self, spec: str) -> np.ndarray:
        if spec not in self.phrase_vectors:
            encoder = self.get(spec)
            assert not isinstance(encoder, XTD10Error)
            self.phrase_vectors[spec] = l2_normalise(np.asarray(encoder.encode_text(refusal_phrases(), language=ENGLISH)))
        return self.phrase_vectors[spec]


def _scores(frame: pd.DataFrame, specs: dict[str, str], encoders: _Encoders, english_index: pd.Series) -> Scores:
    """Similarity to the English caption and to the refusal phrases, per row."""
    sim = pd.Series(np.nan, index=frame.index, dtype=float)
    ref = pd.Series(np.nan, index=frame.index, dtype=float)
    used = pd.Series("", index=frame.index, dtype=object)
    for language, group in frame.groupby("language", sort=False):
        spec = specs.get(str(language), "")
        if not spec:
            continue
        # Encoded in file order, as the benchmark encodes a language: the same cache chunks.
        ordered = group.sort_values("index")
        t = encoders.vectors(spec, ordered["text"].fillna("").tolist(), str(language))
        position = pd.Series(np.arange(len(ordered)), index=ordered.index).loc[group.index].to_numpy()
        rows = t[position]
        en = encoders.english_of(spec)[english_index.loc[group["index"]].to_numpy()]
        sim.loc[group.index] = np.einsum("ij,ij->i", rows, en)
        ref.loc[group.index] = (rows @ encoders.phrases_of(spec).T).max(axis=1)
        used.loc[group.index] = spec
    return Scores(sim, ref, used)


def audit_dataset(
    dataset: DatasetDescriptor,
    languages: str | list[str] | None = None,
    source: str | os.PathLike | Source | None = None,
    *,
    semantic: bool = False,
    settings_dir: str | os.PathLike | None = None,
    build: Callable[[str], Encoder] = default_encoder,
    write_cache: bool = True,
    encoders: tuple[str, ...] = DEFAULT_SPECS,
) -> DatasetAudit:
    """Run the audit rules on ``languages`` (default: all) of ``dataset``; ``semantic`` adds the
    encoder-based rule and the cross-lingual refusal check, per language with the first of
    ``encoders`` trained on it (languages none of them was trained on are not judged by it)."""
    src = resolve_source(source, dataset)
    codes = src.registry.resolve_many(languages)
    frame = dataset_frame(src, codes)
    entries = {}
    for code in codes:  # in the dataset's order, English where the dataset lists it
        entries[code] = calibrated(table_settings(code, settings_dir), frame[frame["language"] == code])
    rules = get_rules(exclude=list(NOT_FOR_AUDIT))
    scores, specs, encoded = None, {}, 0
    if semantic:
        english = load_frame([ENGLISH], source=src, dataset=src.dataset)
        english = english[english["caption_index"] == 0].sort_values("index")
        models = _Encoders(build, cache_root() / "embeddings", english["caption"].tolist(), write_cache)
        english_index = pd.Series(np.arange(len(english)), index=english["index"].to_numpy())
        for code, entry in entries.items():
            spec = semantic_spec(entry, encoders)
            specs[code] = spec if spec and not isinstance(models.get(spec), XTD10Error) else ""
        scores = _scores(frame, specs, models, english_index)
        encoded = models.encoded_chunks
    found = run_rules(frame, rules=rules, settings={c: e.settings for c, e in entries.items()}, scores=scores)
    index = dict(zip(frame["submission_id"], frame["index"], strict=True))
    flags = pd.DataFrame({"language": found["language"], "index": found["submission_id"].map(index).astype("int64"),
                          "rule": found["rule"], "outcome": found["outcome"]})[FLAG_COLUMNS]
    has_langid = langid.available()
    summary = {}
    for code, entry in entries.items():
        s = entry.settings
        missing = []
        if not (has_langid and s.langid_accept):
            missing.append("wrong_language")
        if not specs.get(code):
            missing.append("semantic")
            if not s.refusals:
                missing.append("refusal")
        if code == ENGLISH:
            missing.append("untranslated")
        summary[code] = LanguageAudit(code, int((frame["language"] == code).sum()), specs.get(code, ""),
                                      tuple(sorted(missing)), (s.length_min, s.length_max))
    revision = source_revision(src, codes)
    return DatasetAudit(src.dataset, revision, tuple(r.id for r in rules), flags, summary, encoded)


def rejected_rows(audit: DatasetAudit) -> pd.Series:
    """Per language: how many of its captions a reject-outcome rule flagged."""
    rejected = audit.flags[audit.flags["outcome"] == REJECT]
    return rejected.groupby("language")["index"].nunique()
