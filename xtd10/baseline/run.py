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
from xtd10.baseline.state import LEGACY_STATE_FILE, STATE_FILE, TENSORS_FILE
from xtd10.baseline.trainer import LOG_FILE, TrainResult, resolve_device, train_heads
from xtd10.errors import HostUnreachableError

log = logging.getLogger(__name__)


def read_training_pairs(config: BaselineConfig):
    data = config.data
    if data.kind == "pairs":
        return read_pair_file(_required(data.file, "data.file"))
    annotations, images = _required(data.annotations, "data.annotations"), _required(data.images, "data.images")
    if not Path(annotations).is_file():  # before fetching the XTD10 list: the nearer problem first
        raise TrainingDataError(f"{annotations}: no such COCO annotation file (data.annotations)")
    return read_coco_captions(annotations, images, _excluded_ids(data))


def _required(value: str | None, key: str) -> str:
    """A path the config check already required for this data kind."""
    if not value:
        raise ConfigError(f"{key} is missing")
    return value


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


RUN_FILES = (STATE_FILE, TENSORS_FILE, LEGACY_STATE_FILE, LOG_FILE, "checkpoint", "best")


def check_output_folder(out: Path, *, resume: bool, overwrite: bool) -> list[str]:
    """Refuse to train over an earlier run unless told what to do with it: silently mixing
    two runs' checkpoints and logs in one folder loses the first and confuses the second.
    Returns the earlier run's files (to be replaced once the new run has a checkpoint)."""
    found = [name for name in RUN_FILES if (out / name).exists()]
    if not found or resume:
        return []
    if not overwrite:
        raise ConfigError(f"{out} already holds a training run ({', '.join(found)}); pass --resume to continue it, "
                          "--overwrite to replace it, or --out for a new folder")
    return found


def staging_folder(out: Path) -> Path:
    """Where an ``--overwrite`` run trains until its first checkpoint: a hidden sibling of
    ``out`` (same file system, so the swap is a rename; same name on every DDP rank)."""
    return out.parent / f".{out.name}.overwrite"


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def replace_run(out: Path, staging: Path) -> None:
    """Put the new run (in ``staging``, which holds a checkpoint by now) in place of the old
    one: the old run's files move aside, the new ones move in, then the old ones go.
    Other files in ``out`` are left alone."""
    aside = out / ".replaced"
    _remove(aside)
    aside.mkdir()
    for name in RUN_FILES:
        if (out / name).exists():
            (out / name).rename(aside / name)
    for name in RUN_FILES:
        if (staging / name).exists():
            (staging / name).rename(out / name)
    shutil.rmtree(aside)
    shutil.rmtree(staging)


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
        result = _train(config, resume=resume, overwrite=overwrite, text_override=text_override,
                        image_override=image_override, progress=progress)
    except BaseException:
        if started_group:
            torch.distributed.destroy_process_group()
        raise
    if started_group:
        # leave together: a rank still in gloo's send/receive threads when its peer has
        # closed the connection aborts ("terminate called ..."), failing a finished run
        torch.distributed.barrier()
        torch.distributed.destroy_process_group()
    return result


def _train(config: BaselineConfig, *, resume: bool, overwrite: bool, text_override: Any, image_override: Any,
           progress: bool) -> TrainResult:
    """The recipe itself, on each rank; joining and leaving the process group is the caller's."""
    rank = torch.distributed.get_rank() if torch.distributed.is_initialized() else 0
    replacing = bool(check_output_folder(Path(config.out), resume=resume, overwrite=overwrite)) \
        if rank == 0 else overwrite and not resume
    replacing = _broadcast_flag(replacing)
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
    out = Path(config.out)
    if not replacing:
        return train_heads(train, config.train, out, holdout=holdout, metadata=metadata,
                           resume=resume, progress=progress)
    # --overwrite: the earlier run stays until the new one has written its first
    # checkpoint, so a run that fails early (bad data, out of memory) loses nothing.
    staging = staging_folder(out)
    if rank == 0:
        _remove(staging)
        staging.mkdir(parents=True)
    try:
        first = train_heads(train, config.train, staging, holdout=holdout, metadata=metadata,
                            progress=progress, stop_after=1)
    except BaseException:
        if rank == 0:
            _remove(staging)  # the earlier run is untouched
        raise
    if rank == 0:
        replace_run(out, staging)
    if torch.distributed.is_initialized():
        torch.distributed.barrier()
    if config.train.epochs == 1:
        return dataclasses.replace(first, out_dir=out)
    return train_heads(train, config.train, out, holdout=holdout, metadata=metadata, resume=True,
                       progress=progress)


def _broadcast_flag(value: bool) -> bool:
    """Rank 0's answer on every rank (only rank 0 looks at the output folder)."""
    if not torch.distributed.is_initialized():
        return value
    on_gpu = torch.distributed.get_backend() == "nccl"
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if on_gpu else torch.device("cpu")
    flag = torch.tensor([int(value)], device=device)
    torch.distributed.broadcast(flag, src=0)
    return bool(flag.item())


def _spec(configured: str, override: Any) -> str:
    """The string that rebuilds the frozen encoder later (an injected object's meta.spec)."""
    if override is None:
        return configured
    meta = getattr(override, "meta", None)
    return meta.spec if meta is not None else configured
