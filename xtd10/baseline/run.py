"""``xtd10 baseline train``: config -> pairs -> cached features -> trained heads."""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
from pathlib import Path
from typing import Any

import torch

from xtd10.baseline.backbones import identity_of, image_backbone, text_encoder
from xtd10.baseline.config import BaselineConfig, DataConfig
from xtd10.baseline.errors import ConfigError, TrainingDataError
from xtd10.baseline.pairs import read_coco_captions, read_pair_file, xtd10_coco_ids
from xtd10.baseline.pipeline import encode_pairs, split_holdout
from xtd10.baseline.trainer import LOG_FILE, STATE_FILE, TrainResult, resolve_device, train_heads
from xtd10.errors import HostUnreachableError

log = logging.getLogger(__name__)


def read_training_pairs(config: BaselineConfig):
    data = config.data
    if data.kind == "pairs":
        return read_pair_file(data.file)
    if not Path(data.annotations).is_file():  # before fetching the XTD10 list: the nearer problem first
        raise TrainingDataError(f"{data.annotations}: no such COCO annotation file (data.annotations)")
    return read_coco_captions(data.annotations, data.images, _excluded_ids(data))


def _excluded_ids(data: DataConfig) -> set[int]:
    if not data.exclude_xtd10:
        return set()
    try:
        return xtd10_coco_ids(data.xtd10_source)
    except HostUnreachableError as err:
        raise TrainingDataError(
            f"data.exclude_xtd10 needs the XTD10 image list, and {err.host} is unreachable; set "
            "data.xtd10_source in the config (or XTD10_SOURCE) to a local copy of the upstream repository"
        ) from None


RUN_FILES = (STATE_FILE, LOG_FILE, "checkpoint", "best")


def check_output_folder(out: Path, *, resume: bool, overwrite: bool) -> None:
    """Refuse to train over an earlier run unless told what to do with it: silently mixing
    two runs' checkpoints and logs in one folder loses the first and confuses the second."""
    found = [name for name in RUN_FILES if (out / name).exists()]
    if not found or resume:
        return
    if not overwrite:
        raise ConfigError(f"{out} already holds a training run ({', '.join(found)}); pass --resume to continue it, "
                          "--overwrite to replace it, or --out for a new folder")
    for name in found:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _init_distributed() -> bool:
    """Join the process group when launched by torchrun (WORLD_SIZE > 1)."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or torch.distributed.is_initialized():
        return False
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    torch.distributed.init_process_group(backend)
    return True


def train_from_config(config: BaselineConfig, *, resume: bool = False, overwrite: bool = False,
                      text_override: Any = None, image_override: Any = None, progress: bool = True) -> TrainResult:
    """Run the whole recipe. Under torchrun, rank 0 fills the feature cache first and the
    other ranks read it after a barrier, so the frozen encoders run once. The device and
    the output folder are checked first: both mistakes would otherwise surface only after
    the frozen encoders have run over the whole dataset."""
    resolve_device(config.train.device)
    started_group = _init_distributed()
    try:
        rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
        if rank == 0:
            check_output_folder(Path(config.out), resume=resume, overwrite=overwrite)
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
