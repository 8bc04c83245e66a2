"""The trainer's resume state as safetensors + JSON: nothing in a run folder is unpickled.

A run folder travels (a colleague's run to continue, an archive from a cluster), and
``torch.load`` of a pickle runs whatever code the pickle names. So the optimizer's tensors
and the RNG state go to ``trainer_state.safetensors`` (plain tensors, no code), and
everything else (epoch, history, best metric, the optimizer's hyper-parameters) to
``trainer_state.json``, which also records the sha256 of the tensor file: a crash between
the two writes, or a tensor file from another run, is detected instead of half-loaded.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from xtd10.baseline.errors import CheckpointError
from xtd10.errors import first_line
from xtd10.files import atomic_write_bytes, atomic_write_text, sha256_bytes, sha256_file

STATE_FILE = "trainer_state.json"
TENSORS_FILE = "trainer_state.safetensors"
LEGACY_STATE_FILE = "trainer_state.pt"  # earlier versions: a pickle, never loaded
STATE_FORMAT = "xtd10.baseline.trainer-state"


@dataclass
class TrainerState:
    epoch: int
    history: list[dict[str, Any]]
    best: float | None
    optimizer: dict[str, Any]
    torch_rng: torch.Tensor


def write_state(out_dir: Path, optimizer: torch.optim.Optimizer, epoch: int, history: list,
                best: float | None) -> None:
    """Tensors first, then the JSON that names their hash (the JSON is what resume looks for)."""
    from safetensors.torch import save

    saved = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {"torch_rng": torch.get_rng_state()}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in saved["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    data = save(tensors)
    atomic_write_bytes(out_dir / TENSORS_FILE, data)
    record = {"format": STATE_FORMAT, "version": 1, "epoch": epoch, "history": history, "best": best,
              "param_groups": saved["param_groups"], "scalar_state": scalars,
              "tensors_sha256": sha256_bytes(data)}
    atomic_write_text(out_dir / STATE_FILE, json.dumps(record, sort_keys=True) + "\n")


def read_state(out_dir: Path) -> TrainerState | None:
    """The saved state, or None when the folder holds none; a damaged, foreign or legacy
    (pickled) state is a :class:`CheckpointError` naming the file."""
    from safetensors.torch import load_file

    path, tensors_path = out_dir / STATE_FILE, out_dir / TENSORS_FILE
    if not path.is_file():
        if (out_dir / LEGACY_STATE_FILE).is_file():
            raise CheckpointError(
                f"{out_dir / LEGACY_STATE_FILE}: trainer state in the old pickle format, which is not loaded "
                "(unpickling a file can run any code in it); train again with --overwrite")
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise CheckpointError(f"{path}: unreadable trainer state ({first_line(err)})") from None
    if not isinstance(record, dict) or record.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path}: not a trainer state file (expected format {STATE_FORMAT!r})")
    epoch, history, best = record.get("epoch"), record.get("history"), record.get("best")
    groups, scalars = record.get("param_groups"), record.get("scalar_state", {})
    if not (isinstance(epoch, int) and epoch >= 0 and isinstance(history, list) and len(history) == epoch
            and (best is None or (isinstance(best, (int, float)) and math.isfinite(best)))
            and isinstance(groups, list) and isinstance(scalars, dict)):
        raise CheckpointError(f"{path}: inconsistent trainer state (epoch, history, best or param_groups)")
    if not tensors_path.is_file() or sha256_file(tensors_path) != record.get("tensors_sha256"):
        raise CheckpointError(f"{tensors_path}: missing or not the one {path.name} was written with; "
                              "the run cannot be resumed (train again with --overwrite)")
    try:
        tensors = load_file(str(tensors_path))
    except Exception as err:  # safetensors' own error type
        raise CheckpointError(f"{tensors_path}: unreadable ({first_line(err)})") from None
    rng = tensors.pop("torch_rng", None)
    if rng is None or rng.dtype != torch.uint8:
        raise CheckpointError(f"{tensors_path}: no RNG state")
    state: dict[int, dict[str, Any]] = {}
    for key, tensor in tensors.items():
        _, index, name = key.split(".", 2)
        state.setdefault(int(index), {})[name] = tensor
    for index, values in scalars.items():
        state.setdefault(int(index), {}).update(values)
    # JSON turns tuples (Adam's betas) into lists; the optimizer expects what it saved
    groups = [{k: (tuple(v) if isinstance(v, list) and k != "params" else v) for k, v in g.items()} for g in groups]
    return TrainerState(epoch, history, None if best is None else float(best),
                        {"state": state, "param_groups": groups}, rng)
