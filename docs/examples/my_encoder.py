"""A complete third-party encoder, scored with ``--model py:docs.examples.my_encoder:build``.

It wraps mUSE for text and describes images by their mean colour, which is enough to show
the whole contract: ``meta``, ``encode_text(texts, language=...)`` and the optional
``encode_image(images)``. Replace the bodies with your model.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image

from xtd10.encoders import EncoderMeta, get

COLOURS = {"red": (200, 30, 30), "green": (30, 160, 60), "blue": (30, 60, 200), "white": (240, 240, 240),
           "black": (15, 15, 15), "brown": (120, 80, 40), "grey": (128, 128, 128)}


class MeanColourEncoder:
    def __init__(self) -> None:
        self.text = get("muse")
        self.meta = EncoderMeta(name="mean colour + mUSE (example)", spec="py:docs.examples.my_encoder:build",
                                revision="1", embedding_dim=self.text.meta.embedding_dim,
                                modalities=("text", "image"))

    def encode_text(self, texts: Sequence[str], *, language: str) -> np.ndarray:
        return self.text.encode_text(texts, language=language)

    def encode_image(self, images: Sequence[Image.Image]) -> np.ndarray:
        names = list(COLOURS)
        palette = np.array([COLOURS[n] for n in names], dtype=np.float32)
        words = []
        for image in images:
            mean = np.asarray(image.convert("RGB").resize((32, 32)), dtype=np.float32).reshape(-1, 3).mean(0)
            words.append(f"a mostly {names[int(np.argmin(((palette - mean) ** 2).sum(1)))]} photo")
        return self.text.encode_text(words, language="en")


def build(**options) -> MeanColourEncoder:
    return MeanColourEncoder()
