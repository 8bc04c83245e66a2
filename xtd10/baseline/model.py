"""The trainable part of the baseline: two projection heads into one normalised space.

The frozen encoders stay outside the model (their outputs are cached once), so a
checkpoint holds only the heads: small, fast to train, and independent of where the
frozen features came from. ``config.json`` beside the weights names the frozen encoders,
which is what makes a checkpoint usable as an encoder later.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from xtd10.baseline.errors import CheckpointError, ConfigError
from xtd10.errors import first_line
from xtd10.files import atomic_write_bytes, atomic_write_text
from xtd10.userfiles import brief, read_json

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
CHECKPOINT_FORMAT = "xtd10.baseline.checkpoint"

# Bounds on the shapes a config (a training YAML or a checkpoint's config.json) may ask
# for, checked before any layer is built: far above any sensible head (the defaults are
# 2 layers of 1024), far below what would exhaust memory or loop for hours.
MAX_WIDTH = 65_536
MAX_LAYERS = 64


@dataclass(frozen=True)
class HeadConfig:
    """Shape of one head: ``layers`` linear layers, GELU + dropout between them."""

    hidden_dim: int = 1024
    layers: int = 2
    dropout: float = 0.1

    def __post_init__(self) -> None:
        if self.layers < 1:
            raise ConfigError(f"head.layers must be >= 1, got {self.layers}")
        if self.layers > MAX_LAYERS:
            raise ConfigError(f"head.layers must be at most {MAX_LAYERS}, got {brief(self.layers)}")
        if self.hidden_dim < 1:
            raise ConfigError(f"head.hidden_dim must be >= 1, got {self.hidden_dim}")
        if self.hidden_dim > MAX_WIDTH:
            raise ConfigError(f"head.hidden_dim must be at most {MAX_WIDTH}, got {brief(self.hidden_dim)}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"head.dropout must be in [0, 1), got {self.dropout}")


def head_parameters(in_dim: int, out_dim: int, config: HeadConfig) -> int:
    """The number of parameters :func:`make_head` creates, computed without creating them."""
    widths = [in_dim] + [config.hidden_dim] * (config.layers - 1) + [out_dim]
    return sum(a * b + b for a, b in pairwise(widths))


def make_head(in_dim: int, out_dim: int, config: HeadConfig) -> nn.Sequential:
    modules: list[nn.Module] = []
    width = in_dim
    for _ in range(config.layers - 1):
        modules += [nn.Linear(width, config.hidden_dim), nn.GELU(), nn.Dropout(config.dropout)]
        width = config.hidden_dim
    modules.append(nn.Linear(width, out_dim))
    return nn.Sequential(*modules)


class DualHead(nn.Module):
    """Maps frozen text features and frozen image features into one L2-normalised space."""

    def __init__(self, text_dim: int, image_dim: int, embed_dim: int = 512, head: HeadConfig | None = None):
        super().__init__()
        head = head or HeadConfig()
        self.text_dim, self.image_dim, self.embed_dim, self.head_config = text_dim, image_dim, embed_dim, head
        self.text_head = make_head(text_dim, embed_dim, head)
        self.image_head = make_head(image_dim, embed_dim, head)

    def embed_text(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.text_head(features), dim=-1)

    def embed_image(self, features: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.image_head(features), dim=-1)

    def forward(self, text_features: torch.Tensor, image_features: torch.Tensor):
        return self.embed_text(text_features), self.embed_image(image_features)

    def shape_config(self) -> dict[str, Any]:
        return {"text_dim": self.text_dim, "image_dim": self.image_dim, "embed_dim": self.embed_dim,
                "head": asdict(self.head_config)}


def save_checkpoint(model: DualHead, directory: str | Path, metadata: dict[str, Any]) -> Path:
    """Write ``model.safetensors`` and ``config.json`` (shapes + ``metadata``) atomically;
    a model with NaN or infinite weights is refused, so no such checkpoint reaches disk."""
    from safetensors.torch import save

    directory = Path(directory)
    state = {name: tensor.detach().cpu().contiguous() for name, tensor in model.state_dict().items()}
    broken = [name for name, tensor in state.items() if tensor.is_floating_point() and not torch.isfinite(tensor).all()]
    if broken:  # a diverged model: keep whatever checkpoint is already there
        raise CheckpointError(f"{directory}: refusing to write a checkpoint with weights that are not finite "
                              f"({', '.join(broken[:3])}); lower train.lr")
    atomic_write_bytes(directory / WEIGHTS_FILE, save(state))
    config = {"format": CHECKPOINT_FORMAT, "version": 1, "model": model.shape_config(), **metadata}
    atomic_write_text(directory / CONFIG_FILE, json.dumps(config, indent=2, sort_keys=True) + "\n")
    return directory


def read_checkpoint_config(directory: str | Path) -> dict[str, Any]:
    """The checkpoint's ``config.json``, its sections checked for their types: the file
    may come from anyone, and everything later reads fields from it without asking."""
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{directory}: not a baseline checkpoint (no {CONFIG_FILE})")
    config = read_json(path, CheckpointError, "checkpoint config")
    if not isinstance(config, dict) or config.get("format") != CHECKPOINT_FORMAT:
        found = config.get("format") if isinstance(config, dict) else type(config).__name__
        raise CheckpointError(f"{path}: 'format' is {brief(found)}, expected {CHECKPOINT_FORMAT!r}")
    for section in ("train", "data", "encoders"):
        if config.get(section) is not None and not isinstance(config[section], dict):
            raise CheckpointError(f"{path}: {section}: expected a mapping, got {brief(config[section])}")
    return config


def _whole(value: object, field: str, where: Path, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CheckpointError(f"{where}: {field} must be a whole number from {low} to {high}, got {brief(value)}")
    return value


def checkpoint_shape(config: dict[str, Any], directory: str | Path) -> tuple[int, int, int, HeadConfig]:
    """(text_dim, image_dim, embed_dim, head) from ``config['model']``, every field checked
    for type and bounds before a single layer is built."""
    where = Path(directory) / CONFIG_FILE
    shape = config.get("model")
    if not isinstance(shape, dict):
        raise CheckpointError(f"{where}: model: expected a mapping of the heads' shape, got {brief(shape)}")
    text_dim, image_dim, embed_dim = (_whole(shape.get(name), f"model.{name}", where, 1, MAX_WIDTH)
                                      for name in ("text_dim", "image_dim", "embed_dim"))
    head = shape.get("head")
    if not isinstance(head, dict):
        raise CheckpointError(f"{where}: model.head: expected a mapping, got {brief(head)}")
    unknown = sorted(map(str, set(head) - {"hidden_dim", "layers", "dropout"}))
    if unknown:
        raise CheckpointError(f"{where}: model.head: unknown field {brief(unknown[0])}")
    defaults = HeadConfig()
    hidden_dim = _whole(head.get("hidden_dim", defaults.hidden_dim), "model.head.hidden_dim", where, 1, MAX_WIDTH)
    layers = _whole(head.get("layers", defaults.layers), "model.head.layers", where, 1, MAX_LAYERS)
    dropout = head.get("dropout", defaults.dropout)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise CheckpointError(f"{where}: model.head.dropout must be a number in [0, 1), got {brief(dropout)}")
    heads = HeadConfig(hidden_dim=hidden_dim, layers=layers, dropout=float(dropout))
    return text_dim, image_dim, embed_dim, heads


def load_checkpoint(directory: str | Path) -> tuple[DualHead, dict[str, Any]]:
    """The heads (in eval mode) and the full config of a checkpoint directory."""
    from safetensors.torch import load_file

    config = read_checkpoint_config(directory)
    weights = Path(directory) / WEIGHTS_FILE
    if not weights.is_file():
        raise CheckpointError(f"{directory}: missing {WEIGHTS_FILE}")
    text_dim, image_dim, embed_dim, head = checkpoint_shape(config, directory)
    try:
        state = load_file(str(weights))
    except Exception as err:  # safetensors raises its own error type for truncated or foreign files
        raise CheckpointError(f"{weights}: not a readable safetensors file (truncated or not a checkpoint: "
                              f"{first_line(err)})") from None
    # within the bounds, a config can still describe heads far larger than the weights it
    # came with: compare the counts before building them
    described = head_parameters(text_dim, embed_dim, head) + head_parameters(image_dim, embed_dim, head)
    held = sum(tensor.numel() for tensor in state.values())
    if held != described:
        raise CheckpointError(f"{weights}: weights do not match config.json (its model describes heads of "
                              f"{described} parameters, the file holds {held})")
    model = DualHead(text_dim, image_dim, embed_dim, head)
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise CheckpointError(f"{weights}: weights do not match config.json ({first_line(err)})") from None
    return model.eval(), config
