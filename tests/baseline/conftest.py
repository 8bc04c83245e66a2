"""Small, fast stand-ins for the frozen encoders, registered as encoder adapters so that
config files and ``baseline:PATH`` checkpoints can name them like real ones."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from xtd10.encoders import ADAPTERS, EncoderMeta, register


class HashText:
    """Deterministic text vectors: each word hashes to a fixed random vector; a caption
    is the sum of its words (so captions sharing words are similar)."""

    def __init__(self, dim: int = 24):
        self.dim = dim
        self.calls = 0
        self.meta = EncoderMeta(name="hash-text", spec="hash-text", embedding_dim=dim)

    def _word(self, word: str) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(self.dim)

    def encode_text(self, texts, *, language):
        self.calls += 1
        return np.stack([sum(self._word(w) for w in t.split()) for t in texts]).astype(np.float32)


class ColourStats:
    """Image 'backbone': per-channel means and standard deviations over a 2x2 grid."""

    def __init__(self):
        self.calls = 0
        self.meta = EncoderMeta(name="colour-stats", spec="colour-stats", embedding_dim=24,
                                modalities=("image",))

    def encode_text(self, texts, *, language):  # the protocol requires it; never used here
        raise NotImplementedError

    def encode_image(self, images):
        self.calls += 1
        rows = []
        for image in images:
            pixels = np.asarray(image.convert("RGB").resize((32, 32)), dtype=np.float32) / 255.0
            cells = [pixels[y:y + 16, x:x + 16] for y in (0, 16) for x in (0, 16)]
            rows.append(np.concatenate([np.r_[c.mean(axis=(0, 1)), c.std(axis=(0, 1))] for c in cells]))
        return np.stack(rows).astype(np.float32)


def _register_fakes(patch: pytest.MonkeyPatch) -> dict:
    # a private copy of the registry, so the stand-ins vanish afterwards
    patch.setattr("xtd10.encoders.registry.ADAPTERS", dict(ADAPTERS))
    instances = {"text": HashText(), "image": ColourStats()}
    register("hash-text", "test stand-in", takes_argument=False)(lambda **_: instances["text"])
    register("colour-stats", "test stand-in", takes_argument=False)(lambda **_: instances["image"])
    return instances


@pytest.fixture
def fake_encoders(monkeypatch):
    """Registers ``hash-text`` and ``colour-stats`` adapters for the test's duration."""
    return _register_fakes(monkeypatch)


@pytest.fixture(scope="module")
def module_fake_encoders():
    """The same stand-ins for a whole module (for fixtures that train once per module)."""
    patch = pytest.MonkeyPatch()
    try:
        yield _register_fakes(patch)
    finally:
        patch.undo()
