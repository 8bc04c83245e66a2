"""The offline proof: train each loss on English scene captions, test zero-shot in 11 languages.

Everything is generated (:mod:`xtd10.baseline.scenes`), so it runs with no COCO and no
network. The frozen encoders are the real offline ones by default (mUSE text,
EfficientNet-Lite0 images); their features are cached, so the losses are compared on
identical inputs and a rerun only retrains the heads.

Scoring mirrors the benchmark harness on XTD10: per language, text->image (t2i) and
image->text (i2t) over the test scenes, with the harness's metric functions
(pessimistic ties) and seeded percentile-bootstrap 95% intervals over queries.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from xtd10.baseline.backbones import identity_of, image_backbone, text_encoder
from xtd10.baseline.features import cached_features
from xtd10.baseline.losses import LOSSES, LossConfig
from xtd10.baseline.model import HeadConfig, load_checkpoint
from xtd10.baseline.pipeline import split_holdout
from xtd10.baseline.scenes import describe, render, split_scenes
from xtd10.baseline.trainer import PairSet, TrainConfig, train_heads
from xtd10.files import atomic_write_text
from xtd10.languages import XTD10_CODES
from xtd10.schema import IMAGE_TRACK, MRR, RECALL_METRICS, TRACKS, recall_name

log = logging.getLogger(__name__)
SCENES_VERSION = 1  # bump when drawing or wording changes, so cached features are not reused
REPORT_METRICS = (*RECALL_METRICS, MRR)
T2I, I2T = TRACKS[IMAGE_TRACK]
HEADLINE = (recall_name(1), recall_name(10))


@dataclass(frozen=True)
class AblationConfig:
    n_test: int = 100
    n_train_scenes: int = 200
    renders_per_scene: int = 2
    holdout_images: int = 40
    epochs: int = 30
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 20
    embed_dim: int = 256
    hidden_dim: int = 512
    losses: tuple[str, ...] = LOSSES
    languages: tuple[str, ...] = XTD10_CODES
    bootstrap: int = 1000
    seed: int = 0
    text: str = "muse"
    image: str = "efficientnet-lite0"
    loss_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class AblationResult:
    config: AblationConfig
    rows: list[dict[str, Any]]  # loss, language, direction, metric, value, ci_low, ci_high, n_queries
    training: dict[str, list[dict[str, Any]]]
    # m3l against each other loss, paired per query: a, b (= m3l), language, direction, metric,
    # value_a, value_b, diff (b - a), p_value (two-sided paired permutation test)
    comparisons: list[dict[str, Any]] = field(default_factory=list)

    def value(self, loss: str, language: str, direction: str, metric: str) -> dict[str, Any]:
        for row in self.rows:
            if (row["loss"], row["language"], row["direction"], row["metric"]) == (loss, language, direction, metric):
                return row
        raise KeyError((loss, language, direction, metric))

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "xtd10.baseline.ablation", "version": 1, "config": dataclasses.asdict(self.config),
                "rows": self.rows, "comparisons": self.comparisons, "training": self.training}


def _encode_texts(encoder: Any, texts: Sequence[str], language: str, cache_dir: Path | None) -> np.ndarray:
    if cache_dir is None:
        return np.asarray(encoder.encode_text(list(texts), language=language), dtype=np.float32)
    return cached_features(cache_dir, {**identity_of(encoder), "kind": "text", "language": language}, list(texts),
                           lambda batch: encoder.encode_text(list(batch), language=language),
                           description=f"scene captions ({language})")


def _encode_images(backbone: Any, keyed: list[tuple[Any, int]], cache_dir: Path | None) -> np.ndarray:
    def encode(batch):
        return backbone.encode_image([render(scene, seed) for scene, seed in batch])

    if cache_dir is None:
        return np.concatenate([encode(keyed[s:s + 64]) for s in range(0, len(keyed), 64)]).astype(np.float32)
    stamp = [[SCENES_VERSION, list(scene.key()), seed] for scene, seed in keyed]
    return cached_features(cache_dir, {**identity_of(backbone), "kind": "image"}, keyed, encode,
                           description="scene images", fingerprint_items=stamp)


def run_ablation(config: AblationConfig, out_dir: str | Path, *, cache_dir: str | Path | None = None,
                 text: Any = None, image: Any = None, progress: bool = True) -> AblationResult:
    """Train every loss in ``config.losses`` on the same English features; score all languages.

    ``text``/``image`` inject encoder objects (tests use small ones); otherwise the specs in
    ``config`` are built. Writes ``ablation.json`` and ``ablation.md`` into ``out_dir``.
    """
    from xtd10.benchmark.metrics import bootstrap_metrics, embedding_query_stats, metrics_from_stats

    out_dir = Path(out_dir)
    cache = Path(cache_dir) if cache_dir is not None else None
    text = text or text_encoder(config.text)
    image = image or image_backbone(config.image)
    split = split_scenes(config.n_test, config.seed)
    rng = np.random.default_rng(config.seed + 1)
    train_scenes = [split.train[k] for k in rng.permutation(len(split.train))[: config.n_train_scenes]]

    # training pairs: several renderings per scene, English wording cycling over paraphrases
    train_images = [(scene, 1_000 * s + r) for s, scene in enumerate(train_scenes)
                    for r in range(config.renders_per_scene)]
    train_captions = [describe(scene, "en", template=(s + r) % 3) for s, scene in enumerate(train_scenes)
                      for r in range(config.renders_per_scene)]
    distinct = sorted(set(train_captions))
    row_of = {caption: k for k, caption in enumerate(distinct)}
    # renderings of one scene must not be each other's negatives: group pairs by scene
    pairs = PairSet(_encode_texts(text, distinct, "en", cache), _encode_images(image, train_images, cache),
                    np.array([row_of[c] for c in train_captions]), np.arange(len(train_images)),
                    groups=np.repeat(np.arange(len(train_scenes)), config.renders_per_scene))
    train_set, holdout = split_holdout(pairs, config.holdout_images, config.seed)

    test_images = _encode_images(image, [(scene, 7_000_000 + k) for k, scene in enumerate(split.test)], cache)
    test_texts = {lang: _encode_texts(text, [describe(scene, lang) for scene in split.test], lang, cache)
                  for lang in config.languages}

    rows: list[dict[str, Any]] = []
    training: dict[str, list[dict[str, Any]]] = {}
    per_query: dict[tuple[str, str, str], Any] = {}
    for loss_name in config.losses:
        train_config = TrainConfig(
            epochs=config.epochs, batch_size=config.batch_size, lr=config.lr, warmup_steps=config.warmup_steps,
            embed_dim=config.embed_dim, seed=config.seed, device="cpu",
            head=HeadConfig(hidden_dim=config.hidden_dim), loss=LossConfig(name=loss_name, **config.loss_options))
        result = train_heads(train_set, train_config, out_dir / loss_name, holdout=holdout, progress=progress,
                             metadata={"text_encoder": {**identity_of(text), "spec": config.text},
                                       "image_backbone": {**identity_of(image), "spec": config.image},
                                       "data": {"kind": "generated-scenes", "version": SCENES_VERSION}})
        training[loss_name] = result.history
        model, _ = load_checkpoint(out_dir / loss_name / "checkpoint")
        gallery = _embed(model.embed_image, test_images)
        for lang in config.languages:
            queries = _embed(model.embed_text, test_texts[lang])
            for direction, (q, g) in {T2I: (queries, gallery), I2T: (gallery, queries)}.items():
                stats = embedding_query_stats(q, g, np.arange(len(split.test)))
                per_query[(loss_name, lang, direction)] = stats
                point = metrics_from_stats(stats)
                intervals = bootstrap_metrics(stats, config.bootstrap, config.seed)
                for metric in REPORT_METRICS:
                    low, high = intervals.get(metric, (None, None))
                    rows.append({"loss": loss_name, "language": lang, "direction": direction, "metric": metric,
                                 "value": point[metric], "ci_low": low, "ci_high": high,
                                 "n_queries": len(split.test)})
    ablation = AblationResult(config, rows, training, paired_comparisons(per_query, config))
    atomic_write_text(out_dir / "ablation.json", json.dumps(ablation.to_dict(), indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(out_dir / "ablation.md", markdown_table(ablation))
    return ablation


POOLED = "non-en (pooled)"


def _pooled(per_query: dict[tuple[str, str, str], Any], loss: str, direction: str, languages: list[str]) -> Any:
    """One loss's queries of ``languages`` as one set (their ranks concatenated)."""
    from xtd10.schema import QueryStats

    return QueryStats(np.concatenate([per_query[(loss, lang, direction)].ranks for lang in languages]),
                      np.concatenate([per_query[(loss, lang, direction)].ndcg for lang in languages]))


def paired_comparisons(per_query: dict[tuple[str, str, str], Any], config: AblationConfig,
                       target: str = "m3l", n_permutations: int = 2000) -> list[dict[str, Any]]:
    """``target`` minus every other loss, per language and pooled over the non-English
    languages (their queries concatenated), with the harness's paired permutation test:
    the same test scenes were queried by every loss, so the comparison is paired."""
    from xtd10.benchmark.comparison import paired_permutation

    if target not in config.losses:
        return []
    others = [lang for lang in config.languages if lang != "en"]
    out = []
    for baseline in (loss for loss in config.losses if loss != target):
        for direction in (T2I, I2T):
            cells = {lang: (per_query[(baseline, lang, direction)], per_query[(target, lang, direction)])
                     for lang in config.languages}
            if others:
                cells[POOLED] = (_pooled(per_query, baseline, direction, others),
                                 _pooled(per_query, target, direction, others))
            for language, (a, b) in cells.items():
                tested = paired_permutation(a, b, list(HEADLINE), n_permutations, config.seed)
                for metric, (value_a, value_b, diff, p_value) in tested.items():
                    out.append({"a": baseline, "b": target, "language": language, "direction": direction,
                                "metric": metric, "value_a": value_a, "value_b": value_b, "diff": diff,
                                "p_value": p_value, "n_queries": len(a)})
    return out


def _embed(head, features: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return head(torch.as_tensor(np.asarray(features, dtype=np.float32))).numpy()


def markdown_table(result: AblationResult, metrics: Sequence[str] = HEADLINE) -> str:
    """Loss x language table, one block per direction; cells 'value [low, high]' in percent."""
    lines = []
    languages = result.config.languages
    for direction, title in ((T2I, "text -> image"), (I2T, "image -> text")):
        for metric in metrics:
            lines += [f"**{title}, {metric}** (percent, 95% bootstrap CI, {result.config.n_test} test scenes)", "",
                      "| loss | " + " | ".join(languages) + " | mean non-en |",
                      "|---|" + "---|" * (len(languages) + 1)]
            for loss in result.config.losses:
                cells, others = [], []
                for lang in languages:
                    row = result.value(loss, lang, direction, metric)
                    cells.append(f"{100 * row['value']:.1f} [{100 * row['ci_low']:.0f}, {100 * row['ci_high']:.0f}]")
                    if lang != "en":
                        others.append(row["value"])
                mean = f"{100 * np.mean(others):.1f}" if others else "-"
                lines.append(f"| {loss} | " + " | ".join(cells) + f" | {mean} |")
            lines.append("")
    if result.comparisons:
        columns = [*languages, POOLED] if len(languages) > 1 else list(languages)
        lines += ["**m3l minus each other loss** (percentage points; paired permutation p-value in "
                  "parentheses; pooled = the non-English queries together)", "",
                  "| comparison | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
        index = {(c["a"], c["direction"], c["metric"], c["language"]): c for c in result.comparisons}
        for a in dict.fromkeys(c["a"] for c in result.comparisons):
            for direction in (T2I, I2T):
                for metric in metrics:
                    found = [index.get((a, direction, metric, lang)) for lang in columns]
                    text = [f"{100 * c['diff']:+.0f} ({c['p_value']:.2f})" if c else "-" for c in found]
                    lines.append(f"| m3l − {a}, {direction} {metric} | " + " | ".join(text) + " |")
        lines.append("")
    return "\n".join(lines)
