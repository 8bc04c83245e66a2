"""``random``: a seeded chance-level encoder, the floor every real model must beat.

Each vector is drawn from a generator seeded by a hash of (seed, modality, content), so the
same caption or the same pixels always get the same vector, whatever the batch, the order
or the process — which keeps chance-level results reproducible and cacheable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from xtd10.encoders.checks import check_texts
from xtd10.encoders.metadata import builtin_meta
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register

META = builtin_meta("random")  # name, licence, size: declared once, in the model metadata


def _vector(seed: int, modality: bytes, content: bytes, dim: int) -> np.ndarray:
    digest = hashlib.sha256(seed.to_bytes(8, "little", signed=True) + modality + b"\0" + content).digest()
    generator = np.random.default_rng(int.from_bytes(digest[:16], "little"))
    return generator.standard_normal(dim).astype(np.float32)


def image_bytes(image: Any) -> bytes:
    """The decoded content of a PIL image: mode, size and pixels (not the file bytes, so a
    re-encoded copy of the same pixels gets the same vector)."""
    from PIL import Image

    if not isinstance(image, Image.Image):
        raise EncoderError(f"encoder 'random': expected a PIL.Image.Image, got {type(image).__name__}")
    return f"{image.mode}:{image.width}x{image.height}:".encode() + image.tobytes()


class RandomEncoder:
    """Independent Gaussian vectors per distinct text / image; text and image never align."""

    def __init__(self, *, seed: int = 0, dim: int = 512):
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise EncoderError(f"encoder 'random': seed must be an integer, got {seed!r}")
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise EncoderError(f"encoder 'random': dim must be a positive integer, got {dim!r}")
        self.seed = seed
        self.dim = dim
        self.meta = EncoderMeta(
            name=META.name,
            spec=META.spec,
            revision=f"sha256-seeded-v1,seed={seed}",
            embedding_dim=dim,
            parameters=META.parameters,
            license=META.license,
            modalities=META.modalities,
            extra={"seed": seed},
        )

    def _stack(self, modality: bytes, contents: list[bytes]) -> np.ndarray:
        if not contents:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([_vector(self.seed, modality, content, self.dim) for content in contents])

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        return self._stack(b"text", [text.encode("utf-8") for text in check_texts(texts, "random")])

    def encode_image(self, images: Sequence[Any]) -> np.ndarray:
        return self._stack(b"image", [image_bytes(image) for image in images])


@register("random", "seeded random vectors (chance level), text and image", takes_argument=False)
def build_random(
    *, seed: int = 0, dim: int = 512, batch_size: int | None = None, device: str | None = None,
    progress: bool = False,
) -> RandomEncoder:
    # batch_size, device and progress are accepted so that the harness can pass its usual
    # options to every adapter; they change nothing here.
    return RandomEncoder(seed=seed, dim=dim)
