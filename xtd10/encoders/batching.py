"""Splitting encoder inputs into batches, with an optional progress bar.

Every adapter batches the same way so that memory use is bounded by ``batch_size`` and a
long encode shows progress only when the caller asked for it (library code stays quiet).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")


def batches(items: Sequence[T], batch_size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), batch_size):
        yield items[start : start + batch_size]


BatchRunner = Callable[[list, Callable[[Any], np.ndarray]], list]
"""Runs an encode function over a list of batches and returns the results in order
(:func:`xtd10.encoders.torch_runtime.run_batches` runs CPU batches side by side)."""


def one_after_another(batches: list, encode_batch: Callable[[Any], np.ndarray]) -> list:
    return [encode_batch(batch) for batch in batches]


def _run(batches: list, encode_batch: Callable[[Any], np.ndarray], runner: BatchRunner | None, progress: bool,
         description: str, dim: int) -> np.ndarray:
    """Encode ``batches`` with ``runner`` (one after another by default) and stack the rows."""
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(batches), desc=description, unit="batch")
        plain = encode_batch

        def encode_batch(batch: Any) -> np.ndarray:
            out = plain(batch)
            bar.update(1)
            return out
    try:
        encoded = (runner or one_after_another)(batches, encode_batch)
    finally:
        if progress:
            bar.close()
    if not encoded:
        return np.zeros((0, dim), dtype=np.float32)
    return np.concatenate([np.asarray(part, dtype=np.float32) for part in encoded], axis=0)


def encode_in_batches(
    items: Sequence[T],
    encode_batch: Callable[[Sequence[T]], np.ndarray],
    *,
    batch_size: int,
    dim: int,
    runner: BatchRunner | None = None,
    progress: bool = False,
    description: str = "encoding",
) -> np.ndarray:
    """Run ``encode_batch`` over ``items`` in chunks and stack the float32 results.

    ``dim`` is needed so an empty input still yields a well-formed (0, dim) array.
    """
    items = list(items)
    return _run(list(batches(items, batch_size)), encode_batch, runner, progress, description, dim)


def length_batches(lengths: Sequence[int], batch_size: int, max_tokens: int | None = None) -> list[slice]:
    """Consecutive batches over ``lengths`` sorted longest first: each holds at most
    ``batch_size`` inputs and, when ``max_tokens`` is given, at most that many positions once
    padded to its first (longest) input -- but always at least one input."""
    out, start = [], 0
    while start < len(lengths):
        size = batch_size if max_tokens is None else max(1, min(batch_size, max_tokens // max(1, lengths[start])))
        out.append(slice(start, start + size))
        start += size
    return out


def encode_by_length(
    items: Sequence[T],
    lengths: Sequence[int],
    encode_batch: Callable[[Sequence[T]], np.ndarray],
    *,
    batch_size: int,
    dim: int,
    max_tokens: int | None = None,
    runner: BatchRunner | None = None,
    progress: bool = False,
    description: str = "encoding",
) -> np.ndarray:
    """``encode_batch`` over ``items`` sorted by ``lengths`` (longest first), with the rows
    put back in the input order.

    For encoders that pad each batch to its longest input, sorting makes every batch hold
    inputs of similar length, so little compute goes to padding; ``max_tokens`` caps a
    batch's padded size (see :func:`length_batches`), so long inputs come in smaller batches.
    Only for encoders whose vector for an input does not depend on what else is in its
    batch (attention-masked or causal text towers). The sort is stable, so the batches are
    the same on every run.
    """
    items = list(items)
    if len(lengths) != len(items):
        raise ValueError("one length per item is needed")
    if not items:
        return np.zeros((0, dim), dtype=np.float32)
    order = np.argsort(-np.asarray(lengths, dtype=np.int64), kind="stable")
    spans = length_batches([int(lengths[i]) for i in order], batch_size, max_tokens)
    encoded = _run([[items[i] for i in order[span]] for span in spans], encode_batch, runner, progress,
                   description, dim)
    out = np.empty_like(encoded)
    out[order] = encoded
    return out
