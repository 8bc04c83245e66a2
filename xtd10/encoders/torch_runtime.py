"""Device and precision choices shared by the torch-based adapters.

Kept apart from the adapters so that every model picks cuda/mps/cpu and autocast the same
way, and so that importing :mod:`xtd10.encoders` never imports torch (each function
imports it when called).
"""

from __future__ import annotations

import contextlib
from typing import Any

from xtd10.encoders.base import EncoderError

PRECISIONS = ("auto", "fp32", "fp16", "bf16")


def require_torch(encoder_name: str) -> Any:
    try:
        import torch
    except ImportError:
        raise EncoderError(
            f"encoder {encoder_name!r} needs PyTorch: pip install 'xtd10[offline]' (or torch)"
        ) from None
    return torch


def resolve_device(device: str | None, encoder_name: str) -> Any:
    """``None``/``"auto"`` -> cuda if present, else mps, else cpu; otherwise the named device,
    checked to exist so a typo or a missing GPU fails before any model is loaded."""
    torch = require_torch(encoder_name)
    if device in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as err:
        raise EncoderError(f"encoder {encoder_name!r}: invalid device {device!r} ({err})") from None
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise EncoderError(f"encoder {encoder_name!r}: device {device!r} requested but CUDA is not available")
    if chosen.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise EncoderError(f"encoder {encoder_name!r}: device {device!r} requested but MPS is not available")
    if chosen.type not in ("cpu", "cuda", "mps"):
        raise EncoderError(f"encoder {encoder_name!r}: unsupported device {device!r} (use cpu, cuda or mps)")
    return chosen


def resolve_precision(precision: str | None, device: Any, encoder_name: str) -> str:
    """``auto`` means fp16 autocast on CUDA (how CLIP-family models are usually run) and
    fp32 elsewhere; half precisions are only honoured on CUDA, where autocast is reliable."""
    precision = (precision or "auto").lower()
    if precision not in PRECISIONS:
        raise EncoderError(
            f"encoder {encoder_name!r}: precision must be one of {', '.join(PRECISIONS)}, got {precision!r}"
        )
    if precision == "auto":
        return "fp16" if device.type == "cuda" else "fp32"
    if precision in ("fp16", "bf16") and device.type != "cuda":
        raise EncoderError(
            f"encoder {encoder_name!r}: precision {precision} needs a CUDA device (running on {device.type})"
        )
    return precision


def autocast(device: Any, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for ``precision`` (a no-op for fp32)."""
    if precision == "fp32":
        return contextlib.nullcontext()
    import torch

    dtype = torch.float16 if precision == "fp16" else torch.bfloat16
    return torch.autocast(device_type=device.type, dtype=dtype)


def count_parameters(*modules: Any) -> int:
    """Distinct parameters across ``modules`` (shared tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for module in modules:
        if module is None:
            continue
        for parameter in module.parameters():
            if id(parameter) not in seen:
                seen.add(id(parameter))
                total += parameter.numel()
    return total
