"""Training the projection heads over cached frozen features.

One loop serves every entry point (COCO, JSONL/CSV pairs, the generated-scenes ablation,
the speed benchmark): it takes feature matrices plus (caption row, image row) pairs, so
it never touches images or text. Single process on CPU or GPU, or several processes
under ``torchrun`` (DDP: each rank takes a disjoint shard of every epoch's permutation;
in-batch negatives are the rank's own batch, so the effective negatives per step equal
the per-rank batch size).

Files written in ``out_dir``: ``checkpoint/`` (latest heads, usable as ``baseline:PATH``),
``best/`` (best held-out t2i R@10), ``trainer_state.json`` + ``trainer_state.safetensors``
(optimizer, epoch, RNG: resume; no pickle, see ``state``), ``log.jsonl`` (one record per epoch).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from xtd10.baseline.errors import CheckpointError, ConfigError, TrainingDivergedError
from xtd10.baseline.losses import LossConfig, compute_loss
from xtd10.baseline.model import MAX_WIDTH, DualHead, HeadConfig, load_checkpoint, save_checkpoint
from xtd10.baseline.state import read_state, write_state
from xtd10.encoders import torch_runtime as runtime
from xtd10.errors import first_line
from xtd10.files import atomic_write_text
from xtd10.schema import I2T, R10, T2I
from xtd10.userfiles import brief

log = logging.getLogger(__name__)
LOG_FILE = "log.jsonl"


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation settings; ``device`` 'auto' picks cuda when present."""

    epochs: int = 10
    batch_size: int = 256
    lr: float = 1e-3
    weight_decay: float = 1e-4
    warmup_steps: int = 100
    embed_dim: int = 512
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    head: HeadConfig = field(default_factory=HeadConfig)
    loss: LossConfig = field(default_factory=LossConfig)

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2:
            raise ConfigError("train.epochs must be >= 1 and train.batch_size >= 2")
        if not self.lr > 0:  # also refuses NaN, which every comparison lets through
            raise ConfigError(f"train.lr must be > 0, got {self.lr}")
        if not self.weight_decay >= 0:
            raise ConfigError(f"train.weight_decay must be >= 0, got {self.weight_decay}")
        if self.warmup_steps < 0:
            raise ConfigError(f"train.warmup_steps must be >= 0, got {self.warmup_steps}")
        if not 1 <= self.embed_dim <= MAX_WIDTH:
            raise ConfigError(f"train.embed_dim must be from 1 to {MAX_WIDTH}, got {brief(self.embed_dim)}")
        for name in ("lr", "weight_decay"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigError(f"train.{name} must be a finite number, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PairSet:
    """Frozen features and the pairs that link them (row k: caption text_rows[k] shows
    image image_rows[k]). Features may be float16 memmaps."""

    text_features: np.ndarray
    image_features: np.ndarray
    text_rows: np.ndarray
    image_rows: np.ndarray
    groups: np.ndarray | None = None  # pairs with equal group never serve as each other's negatives

    def __post_init__(self) -> None:
        self.text_rows = np.asarray(self.text_rows, dtype=np.int64)
        self.image_rows = np.asarray(self.image_rows, dtype=np.int64)
        if self.text_rows.shape != self.image_rows.shape or self.text_rows.ndim != 1:
            raise ConfigError("text_rows and image_rows must be 1-D arrays of equal length")
        self.groups = self.image_rows if self.groups is None else np.asarray(self.groups, dtype=np.int64)
        if self.groups.shape != self.image_rows.shape:
            raise ConfigError("groups must have one entry per pair")

    @property
    def pair_groups(self) -> np.ndarray:
        """``groups`` as ``__post_init__`` set it (the image rows when none were given)."""
        if self.groups is None:
            raise ConfigError("PairSet.groups is set when the pair set is made")
        return self.groups

    def subset(self, mask: np.ndarray) -> PairSet:
        return PairSet(self.text_features, self.image_features, self.text_rows[mask], self.image_rows[mask],
                       self.pair_groups[mask])

    def __len__(self) -> int:
        return int(self.text_rows.shape[0])


@dataclass
class TrainResult:
    out_dir: Path
    epochs_run: int
    history: list[dict[str, Any]]
    best_metric: float | None
    model: DualHead | None = None


def resolve_device(name: str) -> torch.device:
    """``auto`` -> cuda, else mps, else cpu; otherwise the named device, checked to
    exist. Called before any work, so a typo costs seconds, not a feature-encoding pass."""
    return runtime.resolve_device(name, "train.device", ConfigError)


def _distributed() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return 0, 1


def holdout_key(direction: str, metric: str) -> str:
    """The name of a held-out metric in the training log: ``<direction>_<metric>``."""
    return f"{direction}_{metric}"


BEST_METRIC = holdout_key(T2I, R10)  # what picks the ``best/`` checkpoint


def holdout_metrics(model: DualHead, holdout: PairSet, device: torch.device) -> dict[str, float]:
    """Benchmark metrics on held-out pairs, both directions (gallery = their distinct images;
    every image of a caption's group counts as relevant, and vice versa)."""
    from xtd10.benchmark.metrics import compute_metrics

    images, first = np.unique(holdout.image_rows, return_index=True)
    image_groups = holdout.pair_groups[first]
    text_emb, image_emb = embed_rows(model, holdout.text_features, holdout.text_rows, holdout.image_features,
                                     images, device)
    scores = text_emb @ image_emb.T
    images_of = [np.flatnonzero(image_groups == g) for g in holdout.pair_groups]
    out = {holdout_key(T2I, k): v for k, v in compute_metrics(scores, images_of).items()}
    captions_of = [np.flatnonzero(holdout.groups == g) for g in image_groups]
    out.update({holdout_key(I2T, k): v for k, v in compute_metrics(scores.T, captions_of).items()})
    return out


@torch.no_grad()
def embed_rows(model: DualHead, text_features: np.ndarray, text_rows: np.ndarray, image_features: np.ndarray,
               image_rows: np.ndarray, device: torch.device, batch: int = 4096) -> tuple[np.ndarray, np.ndarray]:
    was_training = model.training
    model.eval()

    def run(head: Callable, feats: np.ndarray, rows: np.ndarray) -> np.ndarray:
        parts = [head(torch.as_tensor(np.asarray(feats[rows[s:s + batch]], dtype=np.float32), device=device))
                 for s in range(0, len(rows), batch)]
        return torch.cat(parts).float().cpu().numpy()

    text = run(model.embed_text, text_features, text_rows)
    image = run(model.embed_image, image_features, image_rows)
    model.train(was_training)
    return text, image


def _lr_factor(step: int, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _append_log(path: Path, record: dict[str, Any]) -> None:
    previous = path.read_text(encoding="utf-8") if path.is_file() else ""
    atomic_write_text(path, previous + json.dumps(record, sort_keys=True) + "\n")


def train_heads(
    train: PairSet,
    config: TrainConfig,
    out_dir: str | Path,
    *,
    holdout: PairSet | None = None,
    metadata: dict[str, Any] | None = None,
    resume: bool = False,
    progress: bool = True,
    save: bool = True,
    stop_after: int | None = None,
) -> TrainResult:
    """Train both heads on ``train``; evaluate on ``holdout`` after every epoch.

    Under an initialised torch.distributed process group the model is wrapped in DDP
    and only rank 0 writes files. Returns the per-epoch history (also in ``log.jsonl``).
    ``stop_after`` ends this call after that many epochs (as an interruption would), so a
    later ``resume=True`` call continues the same schedule.
    """
    rank, world, device = _placement(config)
    out_dir = Path(out_dir)
    torch.manual_seed(config.seed)
    model = DualHead(train.text_features.shape[1], train.image_features.shape[1], config.embed_dim,
                     config.head).to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    progress_so_far = _restore(model, optimizer, out_dir) if resume else None
    if progress_so_far is None and rank == 0 and save:
        (out_dir / LOG_FILE).unlink(missing_ok=True)  # a fresh run starts a fresh log
    start_epoch, history, best = progress_so_far or (0, [], None)
    ddp_model: torch.nn.Module = model
    if world > 1:
        ddp_model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    data = _DeviceData.of(train, device, config.batch_size, world)
    meta = {"train": config.to_dict(), **(metadata or {})}
    last_epoch = config.epochs if stop_after is None else min(config.epochs, start_epoch + stop_after)
    for epoch in range(start_epoch, last_epoch):
        record = _run_epoch(ddp_model, optimizer, data, config, epoch, rank, world, progress)
        if holdout is not None and rank == 0:
            record["holdout"] = holdout_metrics(model, holdout, device)
        history.append(record)
        log.info("epoch %d: %s", epoch + 1, record)
        if rank == 0 and save:
            best = _save_epoch(model, optimizer, out_dir, meta, record, history, best)
        if world > 1:
            torch.distributed.barrier()
    return TrainResult(out_dir, len(history), history, best, model)


def _placement(config: TrainConfig) -> tuple[int, int, torch.device]:
    """This process's rank, the world size and the device it trains on."""
    rank, world = _distributed()
    device = resolve_device(config.device)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", rank)))
        torch.cuda.set_device(device)
    return rank, world, device


def _restore(model: DualHead, optimizer: torch.optim.Optimizer, out_dir: Path) -> tuple[int, list[dict[str, Any]], float | None] | None:
    """Load heads, optimizer and RNG of an earlier run (None when it saved no state);
    returns (epochs done, history, best metric)."""
    state = read_state(out_dir)
    if state is None:
        return None
    heads, _ = load_checkpoint(out_dir / "checkpoint")
    try:
        model.load_state_dict(heads.state_dict())
        optimizer.load_state_dict(state.optimizer)
    except (RuntimeError, ValueError, KeyError) as err:
        raise CheckpointError(f"{out_dir}: the saved trainer state does not fit this model and config "
                              f"({first_line(err)})") from None
    torch.set_rng_state(state.torch_rng)
    log.info("resuming from epoch %d", state.epoch)
    return state.epoch, state.history, state.best


@dataclass
class _DeviceData:
    """Frozen features and pair indices on the training device, and the epoch's shape."""

    text_all: torch.Tensor
    image_all: torch.Tensor
    text_rows: torch.Tensor
    image_rows: torch.Tensor
    groups: torch.Tensor
    n_pairs: int
    per_rank: int
    steps_per_epoch: int

    @classmethod
    def of(cls, train: PairSet, device: torch.device, batch_size: int, world: int) -> _DeviceData:
        # Frozen features go to the device once, as float16: COCO-scale fits easily on a GPU.
        per_rank = len(train) // world
        return cls(torch.as_tensor(np.array(train.text_features, dtype=np.float16), device=device),
                   torch.as_tensor(np.array(train.image_features, dtype=np.float16), device=device),
                   torch.as_tensor(train.text_rows, device=device), torch.as_tensor(train.image_rows, device=device),
                   torch.as_tensor(train.groups, device=device), len(train), per_rank,
                   max(1, per_rank // batch_size))


def _run_epoch(ddp_model: torch.nn.Module, optimizer: torch.optim.Optimizer, data: _DeviceData,
               config: TrainConfig, epoch: int, rank: int, world: int, progress: bool) -> dict[str, Any]:
    """One pass over this rank's shard of a seeded permutation; returns the epoch's record."""
    device = data.text_rows.device
    ddp_model.train()
    total_steps = data.steps_per_epoch * config.epochs
    use_amp = config.amp and device.type == "cuda"
    generator = torch.Generator().manual_seed(config.seed * 100_003 + epoch)
    order = torch.randperm(data.n_pairs, generator=generator)[rank * data.per_rank:(rank + 1) * data.per_rank]
    order = order.to(device)
    started, loss_sum, pairs_seen = time.perf_counter(), 0.0, 0
    bar = tqdm(range(data.steps_per_epoch), desc=f"epoch {epoch + 1}/{config.epochs}", unit="step",
               disable=not progress or rank != 0, leave=False)
    for step in bar:
        batch = order[step * config.batch_size:(step + 1) * config.batch_size]
        global_step = epoch * data.steps_per_epoch + step
        for group in optimizer.param_groups:
            group["lr"] = config.lr * _lr_factor(global_step, total_steps, config.warmup_steps)
        t_feat = data.text_all[data.text_rows[batch]].float()
        v_feat = data.image_all[data.image_rows[batch]].float()
        with torch.autocast(device_type="cuda", dtype=torch.bfloat16, enabled=use_amp):
            t_emb, v_emb = ddp_model(t_feat, v_feat)
        loss = compute_loss(config.loss, t_emb, v_emb, data.groups[batch])
        loss_value = float(loss.detach())
        if not math.isfinite(loss_value):  # every later step and checkpoint would be NaN
            raise TrainingDivergedError(
                f"training diverged: the loss is {loss_value} at epoch {epoch + 1}, step {step + 1} "
                f"(train.lr {config.lr:g}); lower train.lr. No checkpoint was written for this epoch")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss_sum += loss_value
        pairs_seen += len(batch)
        if step % 20 == 0 or step == data.steps_per_epoch - 1:
            bar.set_postfix(loss=f"{loss_sum / (step + 1):.4f}")
    elapsed = time.perf_counter() - started
    if not all(bool(torch.isfinite(p).all()) for p in ddp_model.parameters()):  # the last step's update
        raise TrainingDivergedError(f"training diverged: the weights are not finite after epoch {epoch + 1} "
                                    f"(train.lr {config.lr:g}); lower train.lr. No checkpoint was written "
                                    "for this epoch")
    return {"epoch": epoch + 1, "objective": config.loss.name, "loss": loss_sum / data.steps_per_epoch,
            "seconds": elapsed, "pairs_per_second": pairs_seen * world / max(elapsed, 1e-9),
            "lr": optimizer.param_groups[0]["lr"]}


def _save_epoch(model: DualHead, optimizer: torch.optim.Optimizer, out_dir: Path, meta: dict[str, Any],
                record: dict[str, Any], history: list[dict[str, Any]], best: float | None) -> float | None:
    """Checkpoint, log line, best checkpoint when the held-out metric improved, then the
    resume state (last, so a state on disk always has its checkpoint); returns the best metric."""
    epoch = record["epoch"]
    save_checkpoint(model, out_dir / "checkpoint", {**meta, "epoch": epoch, "metrics": record})
    _append_log(out_dir / LOG_FILE, record)
    metric = record.get("holdout", {}).get(BEST_METRIC)
    if metric is not None and (best is None or metric > best):
        best = metric
        save_checkpoint(model, out_dir / "best", {**meta, "epoch": epoch, "metrics": record})
    write_state(out_dir, optimizer, epoch, history, best)
    return best
