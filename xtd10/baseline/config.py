"""The YAML training config (``benchmark/configs/baseline.yaml``), validated field by field.

Sections: ``data`` (where the English pairs come from), ``encoders`` (frozen text encoder
spec and image backbone), ``train`` (optimisation, with nested ``head`` and ``loss``),
plus ``out`` and ``cache_dir``. Unknown keys are errors: a typo must not silently fall
back to a default. Relative paths in the file are relative to the file itself.
"""

from __future__ import annotations

import dataclasses
import math
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xtd10.baseline.errors import ConfigError
from xtd10.baseline.losses import LossConfig
from xtd10.baseline.model import HeadConfig
from xtd10.baseline.trainer import TrainConfig
from xtd10.encoders.registry import require_trusted
from xtd10.userfiles import brief, read_yaml


@dataclass(frozen=True)
class DataConfig:
    kind: str = "coco"  # coco | pairs
    annotations: str | None = None  # coco: captions_train2014.json
    images: str | None = None  # coco: folder with the train2014 images
    file: str | None = None  # pairs: JSONL or CSV
    exclude_xtd10: bool = True
    xtd10_source: str | None = None  # where to read the XTD10 image list (default: pinned upstream)
    holdout_images: int = 1000

    def __post_init__(self) -> None:
        if self.kind not in ("coco", "pairs"):
            raise ConfigError(f"data.kind must be 'coco' or 'pairs', got {brief(self.kind)}")
        if self.kind == "coco" and not (self.annotations and self.images):
            raise ConfigError("data.kind 'coco' needs data.annotations and data.images")
        if self.kind == "pairs" and not self.file:
            raise ConfigError("data.kind 'pairs' needs data.file")
        if self.holdout_images < 0:
            raise ConfigError(f"data.holdout_images must be >= 0, got {self.holdout_images}")


@dataclass(frozen=True)
class EncodersConfig:
    text: str = "muse"
    image: str = "efficientnet-lite0"
    batch_size: int = 64

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"encoders.batch_size must be >= 1, got {self.batch_size}")


@dataclass(frozen=True)
class BaselineConfig:
    data: DataConfig
    encoders: EncodersConfig = field(default_factory=EncodersConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    out: str = "runs/baseline"
    cache_dir: str = "runs/feature-cache"


def _build(cls: type, values: Any, where: str, section: str):
    """``cls`` from the mapping at ``section`` of the config file ``where``."""
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ConfigError(f"{where}: {section}: expected a mapping, got {type(values).__name__}")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ConfigError(f"{where}: {section}: unknown field(s) {', '.join(unknown)}; known: {', '.join(known)}")
    hints = typing.get_type_hints(cls)
    for name, value in values.items():
        _check_scalar(value, hints[name], f"{where}: {section}.{name}")
    try:
        return cls(**values)
    except (TypeError, ConfigError) as err:  # __post_init__ checks name their own fields
        raise ConfigError(f"{where}: {err}") from None


_SCALARS: dict[type, tuple[tuple[type, ...], str]] = {
    bool: ((bool,), "true or false"), int: ((int,), "a whole number"),
    float: ((int, float), "a number"), str: ((str,), "a string"),
}


def _check_scalar(value: Any, hint: Any, where: str) -> None:
    """YAML gives ``lr: fast`` or ``epochs: "3"`` without complaint; say so by field name
    instead of failing later inside the optimiser. Non-scalar hints are checked elsewhere."""
    options = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, types.UnionType) else (hint,)
    if value is None and type(None) in options:
        return
    scalars = [option for option in options if option in _SCALARS]
    if not scalars or len(scalars) != len([o for o in options if o is not type(None)]):
        return
    if isinstance(value, bool) and bool not in scalars:
        ok = False
    else:
        ok = any(isinstance(value, _SCALARS[option][0]) for option in scalars)
    if not ok:
        expected = " or ".join(_SCALARS[option][1] for option in scalars)
        raise ConfigError(f"{where} must be {expected}, got {brief(value)}")
    if isinstance(value, float) and not math.isfinite(value):  # YAML reads .nan and .inf as numbers
        raise ConfigError(f"{where} must be a finite number, got {brief(value)}")


def parse_config(raw: Any, where: str = "config", overrides: dict[str, Any] | None = None) -> BaselineConfig:
    """Build a validated config from a parsed YAML mapping; ``overrides`` are dotted keys
    (``train.loss.name``, ``train.device``, ``out``) applied before validation."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: expected a mapping at the top level")
    raw = {key: (dict(value) if isinstance(value, dict) else value) for key, value in raw.items()}
    for dotted, value in (overrides or {}).items():
        if value is None:
            continue
        node = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            node[part] = dict(node.get(part) or {})
            node = node[part]
        node[leaf] = value
    unknown = sorted(set(raw) - {"data", "encoders", "train", "out", "cache_dir"})
    if unknown:
        raise ConfigError(f"{where}: unknown section(s) {', '.join(unknown)}")
    train_raw = dict(raw.get("train") or {})
    head = _build(HeadConfig, train_raw.pop("head", None), where, "train.head")
    loss = _build(LossConfig, train_raw.pop("loss", None), where, "train.loss")
    train = _build(TrainConfig, {**train_raw, "head": head, "loss": loss}, where, "train")
    if "data" not in raw:
        raise ConfigError(f"{where}: missing section 'data'")
    return BaselineConfig(
        data=_build(DataConfig, raw["data"], where, "data"),
        encoders=_build(EncodersConfig, raw.get("encoders"), where, "encoders"),
        train=train,
        out=str(raw.get("out", "runs/baseline")),
        cache_dir=str(raw.get("cache_dir", "runs/feature-cache")),
    )


# Path fields resolved against the config file's folder, so a config means the same thing
# whatever directory training is launched from. Values given on the command line are not
# in the file and stay relative to the current directory, as a shell user expects.
_FILE_RELATIVE_PATHS = (("data", "annotations"), ("data", "images"), ("data", "file"),
                        (None, "out"), (None, "cache_dir"))


def load_config(path: str | Path, overrides: dict[str, Any] | None = None, *,
                trust_code: bool = False) -> BaselineConfig:
    """The training config at ``path``. Its encoder specs come from a file, as a
    checkpoint's do: one naming ``py:`` code is refused unless ``trust_code``."""
    path = Path(path)
    raw = read_yaml(path, ConfigError, "training config")
    config = parse_config(_resolve_relative_paths(raw, path.parent), str(path), overrides)
    for field_name in ("text", "image"):
        require_trusted(getattr(config.encoders, field_name), trust_code=trust_code,
                        origin=f"training config {path}: encoders.{field_name}")
    return config


def _resolve_relative_paths(raw: Any, base: Path) -> Any:
    if not isinstance(raw, dict):
        return raw  # parse_config names the problem
    raw = {key: (dict(value) if isinstance(value, dict) else value) for key, value in raw.items()}
    for section, name in _FILE_RELATIVE_PATHS:
        node = raw if section is None else raw.get(section)
        if isinstance(node, dict) and isinstance(value := node.get(name), str) and value \
                and not Path(value).expanduser().is_absolute():
            node[name] = os.path.normpath(base / value)
    return raw
