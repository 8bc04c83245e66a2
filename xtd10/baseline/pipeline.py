"""From caption pairs to cached frozen features and a train/held-out split."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from xtd10.baseline.backbones import identity_of
from xtd10.baseline.errors import TrainingDataError
from xtd10.baseline.features import cached_features
from xtd10.baseline.pairs import CaptionPair
from xtd10.baseline.trainer import PairSet


def open_rgb(path: Path) -> Image.Image:
    try:
        with Image.open(path) as image:
            return image.convert("RGB")
    except FileNotFoundError:
        raise TrainingDataError(f"{path}: image not found") from None
    except (UnidentifiedImageError, OSError) as err:
        raise TrainingDataError(f"{path}: cannot decode image ({err})") from None


def _file_stamp(path: Path) -> list[Any]:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise TrainingDataError(f"{path}: image not found") from None
    return [str(path), stat.st_size, int(stat.st_mtime)]


def encode_pairs(pairs: Sequence[CaptionPair], text_encoder: Any, image_backbone: Any, cache_dir: str | Path,
                 *, language: str = "en", batch_size: int = 64) -> PairSet:
    """Frozen features for the distinct captions and images of ``pairs`` (cached)."""
    texts = sorted({p.caption for p in pairs})
    text_row = {t: k for k, t in enumerate(texts)}
    images: dict[str, Path] = {}
    for p in pairs:
        images.setdefault(p.image_key, p.image_path)
    keys = list(images)
    image_row = {key: k for k, key in enumerate(keys)}
    text_features = cached_features(
        cache_dir, {**identity_of(text_encoder), "kind": "text", "language": language}, texts,
        lambda batch: text_encoder.encode_text(list(batch), language=language),
        batch_size=batch_size, description="text features")
    paths = [images[k] for k in keys]
    image_features = cached_features(
        cache_dir, {**identity_of(image_backbone), "kind": "image"}, paths,
        lambda batch: image_backbone.encode_image([open_rgb(p) for p in batch]),
        batch_size=batch_size, description="image features",
        fingerprint_items=[_file_stamp(p) for p in paths])
    return PairSet(text_features, image_features,
                   np.array([text_row[p.caption] for p in pairs]), np.array([image_row[p.image_key] for p in pairs]))


def split_holdout(pairs: PairSet, holdout_images: int, seed: int) -> tuple[PairSet, PairSet | None]:
    """Hold out all captions of ``holdout_images`` randomly chosen images."""
    if holdout_images <= 0:
        return pairs, None
    distinct = np.unique(pairs.image_rows)
    if holdout_images >= len(distinct):
        raise TrainingDataError(f"cannot hold out {holdout_images} of only {len(distinct)} images")
    chosen = np.random.default_rng(seed).choice(distinct, size=holdout_images, replace=False)
    held = np.isin(pairs.image_rows, chosen)
    return pairs.subset(~held), pairs.subset(held)
