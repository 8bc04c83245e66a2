"""Fake encoders for the benchmark tests: fast, deterministic and instrumented.

``CountingEncoder`` maps a caption to the fixed random vector of the demo image it
describes (plus language-dependent noise) and a picture to the vector of the demo image
with those pixels, so it retrieves well in every language — a controllable stand-in for a
real multilingual model that takes microseconds and counts every call.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from xtd10.encoders.protocol import EncoderMeta


def _vector(key: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little")
    return np.random.default_rng(seed).normal(size=dim)


def pixel_key(image) -> str:
    """Identity of a decoded picture (the fake image encoder's lookup key)."""
    return hashlib.sha256(image.tobytes()).hexdigest()


class CountingEncoder:
    """Text and image encoder that counts every call and every item encoded.

    Text: caption -> vector of the image it describes (``truth``), mixed with noise
    depending on the language so scores differ by language. Image: a PIL image -> vector of
    the vector of the demo image with those pixels. ``fail_after`` raises after that many batch calls
    (simulating an interrupted run).
    """

    def __init__(self, truth: dict[str, str], sizes: dict[str, str], dim: int = 16,
                 noise: float = 0.8, spec: str = "fake:counting", revision: str = "v1"):
        self.meta = EncoderMeta(name="counting fake", spec=spec, revision=revision, embedding_dim=dim,
                                modalities=("text", "image"))
        self.truth, self.sizes, self.dim, self.noise = truth, sizes, dim, noise
        self.text_calls = 0
        self.image_calls = 0
        self.texts_seen = 0
        self.images_seen = 0
        self.fail_after: int | None = None

    def _tick(self) -> None:
        if self.fail_after is not None and self.text_calls + self.image_calls >= self.fail_after:
            raise KeyboardInterrupt("simulated interruption")

    def encode_text(self, texts: Sequence[str], *, language: str) -> np.ndarray:
        self._tick()
        self.text_calls += 1
        self.texts_seen += len(texts)
        return np.stack([_vector(self.truth[t], self.dim) + self.noise * _vector(language + t, self.dim)
                         for t in texts])

    def encode_image(self, images) -> np.ndarray:
        self._tick()
        self.image_calls += 1
        self.images_seen += len(images)
        return np.stack([_vector(self.sizes[pixel_key(img)], self.dim) for img in images])
