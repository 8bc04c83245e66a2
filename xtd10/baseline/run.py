"""``xtd10 baseline train``: config -> pairs -> cached features -> trained heads."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import torch

from xtd10.baseline.backbones import identity_of, image_backbone, text_encoder
from xtd10.baseline.config import BaselineConfig
from xtd10.baseline.pairs import read_coco_captions, read_pair_file, xtd10_coco_ids
from xtd10.baseline.pipeline import encode_pairs, split_holdout
from xtd10.baseline.trainer import TrainResult, train_heads

log = logging.getLogger(__name__)


def read_training_pairs(config: BaselineConfig):
    data = config.data
    if data.kind == "pairs":
        return read_pair_file(data.file)
    exclude = xtd10_coco_ids(data.xtd10_source) if data.exclude_xtd10 else set()
    return read_coco_captions(data.annotations, data.images, exclude)


def _init_distributed() -> bool:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or torch.distributed.is_initialized():
        return False
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    torch.distributed.init_process_group(backend)
    return True


def train_from_config(config: BaselineConfig, *, resume: bool = False, text_override: Any = None,
                      image_override: Any = None, progress: bool = True) -> TrainResult:
    """Run the whole recipe. Under torchrun, rank 0 fills the feature cache first and the
    other ranks read it after a barrier, so the frozen encoders run once."""
    started_group = _init_distributed()
    try:
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        text = text_override or text_encoder(config.encoders.text)
        image = image_override or image_backbone(config.encoders.image)
        pairs = read_training_pairs(config)
        if rank != 0:
            torch.distributed.barrier()
        features = encode_pairs(pairs, text, image, config.cache_dir, batch_size=config.encoders.batch_size)
        if rank == 0 and torch.distributed.is_initialized():
            torch.distributed.barrier()
        train, holdout = split_holdout(features, config.data.holdout_images, config.train.seed)
        metadata = {
            "text_encoder": {**identity_of(text), "spec": _spec(config.encoders.text, text_override)},
            "image_backbone": {**identity_of(image), "spec": _spec(config.encoders.image, image_override)},
            "data": dataclasses.asdict(config.data),
            "n_train_pairs": len(train), "n_holdout_pairs": len(holdout) if holdout else 0,
        }
        return train_heads(train, config.train, Path(config.out), holdout=holdout, metadata=metadata,
                           resume=resume, progress=progress)
    finally:
        if started_group:
            torch.distributed.destroy_process_group()


def _spec(configured: str, override: Any) -> str:
    """The string that rebuilds the frozen encoder later (an injected object's meta.spec)."""
    if override is None:
        return configured
    meta = getattr(override, "meta", None)
    return meta.spec if meta is not None else configured
