"""Pairing a multilingual text tower with a separately loaded image tower.

Multilingual CLIP variants (M-CLIP, sentence-transformers' multilingual CLIP) were trained
by distilling a CLIP *text* encoder into a multilingual one; images still go through the
original CLIP image encoder. Both adapters write such pairs as ``<text>+<image>`` and share
this parsing and the check that the two towers agree on the embedding size.
"""

from __future__ import annotations

from typing import Any

from xtd10.encoders.protocol import EncoderError, supports_images
from xtd10.encoders.registry import ADAPTERS, build


def split_pair(argument: str, prefix: str) -> tuple[str, str | None]:
    """``"text+image"`` -> ("text", "image"); ``"text"`` -> ("text", None)."""
    text, sep, image = argument.partition("+")
    if not text or (sep and not image):
        raise EncoderError(f"encoder spec '{prefix}:{argument}': expected {prefix}:<text model>[+<image model>]")
    return text, (image if sep else None)


def build_image_tower(spec: str, **options: Any) -> Any:
    """An image tower given as an encoder spec (``open_clip:...``) or, with no known prefix,
    a transformers model id or directory (``hf:``)."""
    prefix = spec.partition(":")[0]
    full_spec = spec if prefix in ADAPTERS else f"hf:{spec}"
    encoder = build(full_spec, **options)
    if not supports_images(encoder):
        raise EncoderError(f"image tower {full_spec!r} has no image encoder")
    return encoder


def check_same_size(text_dim: int, image_encoder: Any, pair_name: str) -> None:
    image_dim = image_encoder.meta.embedding_dim
    if image_dim is not None and image_dim != text_dim:
        raise EncoderError(
            f"encoder {pair_name!r}: the text tower gives {text_dim}-d embeddings but the image tower "
            f"{image_encoder.meta.spec!r} gives {image_dim}-d; they are not a matching pair"
        )
