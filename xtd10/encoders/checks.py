"""Checks at the encoder boundary: what goes into an adapter and what comes out of it.

Every adapter, built-in or third-party, is held to the same contract here, so a bad input
or a misbehaving model fails with an error naming the encoder instead of as a garbage score
further down.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np

from xtd10.encoders.protocol import EncoderError, EncoderMeta


def check_batch_size(batch_size: int, encoder_name: str) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise EncoderError(f"encoder {encoder_name!r}: batch_size must be a positive integer, got {batch_size!r}")
    return batch_size


def check_texts(texts: Sequence[str], encoder_name: str) -> list[str]:
    """A list of str, or an error naming the encoder and the offending position."""
    if isinstance(texts, str):
        raise EncoderError(f"encoder {encoder_name!r}: encode_text takes a list of strings, not one string")
    texts = list(texts)
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise EncoderError(f"encoder {encoder_name!r}: text {position} is a {type(text).__name__}, expected str")
    return texts


def check_images(images: Sequence[object], encoder_name: str) -> list:
    """A list of PIL images, or an error naming the encoder and the offending position."""
    from PIL import Image

    images = list(images)
    for position, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise EncoderError(
                f"encoder {encoder_name!r}: image {position} is a {type(image).__name__}, expected a PIL.Image.Image"
            )
    return images


def check_encoder(encoder: object, spec: str) -> None:
    """Refuse a factory's output that is not an encoder, naming the spec that built it."""
    if not isinstance(getattr(encoder, "meta", None), EncoderMeta) or not callable(
        getattr(encoder, "encode_text", None)
    ):
        raise EncoderError(f"{spec!r} did not produce an encoder (needs .meta: EncoderMeta and .encode_text)")


def validate_embeddings(array: Any, n_expected: int, encoder_name: str, dim: int | None = None) -> np.ndarray:
    """Check what an encoder returned and give it back as a C-contiguous float32 (n, d) array.

    Raises :class:`EncoderError` naming the encoder when the output is not a 2-D numeric
    array with ``n_expected`` rows (and ``dim`` columns when given, e.g. the text side's
    size when checking the image side), or holds NaN/inf. Catching this at the boundary
    turns a silent garbage score into an error that says which model misbehaved.
    """
    try:
        values = np.asarray(array)
    except Exception as err:  # e.g. ragged lists
        raise EncoderError(f"encoder {encoder_name!r} returned something that is not an array: {err}") from None
    if values.dtype.kind not in "fiu":
        raise EncoderError(f"encoder {encoder_name!r} returned a non-numeric array (dtype {values.dtype})")
    if values.ndim != 2:
        raise EncoderError(
            f"encoder {encoder_name!r} returned an array of shape {values.shape}; expected ({n_expected}, d)"
        )
    if values.shape[0] != n_expected:
        raise EncoderError(
            f"encoder {encoder_name!r} returned {values.shape[0]} embeddings for {n_expected} inputs"
        )
    if values.shape[1] == 0:
        raise EncoderError(f"encoder {encoder_name!r} returned zero-dimensional embeddings")
    if dim is not None and values.shape[1] != dim:
        raise EncoderError(
            f"encoder {encoder_name!r} returned {values.shape[1]}-d embeddings; expected {dim}-d "
            "(its meta.embedding_dim, or the size of its earlier output: all vectors must share one space)"
        )
    with np.errstate(over="ignore"):  # float64 beyond float32's range becomes inf, caught below
        values = np.ascontiguousarray(values, dtype=np.float32)
    finite = np.isfinite(values)
    if not finite.all():
        bad_rows = np.flatnonzero(~finite.all(axis=1))
        shown = ", ".join(str(int(r)) for r in bad_rows[:5]) + (", ..." if len(bad_rows) > 5 else "")
        raise EncoderError(
            f"encoder {encoder_name!r} returned NaN or infinite values in {len(bad_rows)} row(s): {shown}"
        )
    zero = ~values.any(axis=1)
    if zero.all():
        raise EncoderError(f"encoder {encoder_name!r} returned all-zero embeddings: nothing to rank by")
    if zero.any():
        logging.getLogger("xtd10.encoders").warning(
            "encoder %r returned %d all-zero embedding(s) of %d (rows %s): they rank last", encoder_name,
            int(zero.sum()), len(values), ", ".join(str(int(r)) for r in np.flatnonzero(zero)[:5]))
    return values
