"""Frozen encoders for the baseline: the cross-lingual text encoder and the image backbone.

The text side is any xtd10 encoder spec (``muse`` by default; ``hf:...``, ``st:...`` for
users with the Hub). The image side is a backbone name (``efficientnet-lite0``) or any
encoder spec whose encoder can ``encode_image`` (CLIP-family vision towers).
Callers may also pass encoder objects directly, which is how tests inject small ones.
"""

from __future__ import annotations

from typing import Any

from xtd10.baseline.errors import ConfigError
from xtd10.encoders.protocol import Encoder, supports_images
from xtd10.encoders.registry import build

IMAGE_BACKBONES = {"efficientnet-lite0": "xtd10.encoders.efficientnet:EfficientNetLite0"}


def identity_of(encoder: Any) -> dict[str, Any]:
    """What distinguishes one frozen encoder from another, for cache keys and checkpoints."""
    meta = getattr(encoder, "meta", None)
    if meta is None:
        return {"class": f"{type(encoder).__module__}.{type(encoder).__qualname__}"}
    return {"name": meta.name, "spec": meta.spec, "revision": meta.revision, "dim": meta.embedding_dim}


def text_encoder(spec_or_encoder: str | Encoder, *, trust_code: bool = False) -> Encoder:
    """The encoder for a spec (``trust_code`` is passed on: see ``xtd10.encoders.build``)."""
    if not isinstance(spec_or_encoder, str):
        return spec_or_encoder
    return build(spec_or_encoder, trust_code=trust_code)


def image_backbone(name_or_encoder: Any, *, trust_code: bool = False) -> Any:
    """An object with ``encode_image(images) -> (n, d)`` for a backbone name or encoder spec."""
    if not isinstance(name_or_encoder, str):
        if not supports_images(name_or_encoder):
            raise ConfigError(f"image backbone {name_or_encoder!r} has no encode_image")
        return name_or_encoder
    if name_or_encoder in IMAGE_BACKBONES:
        import importlib

        module_name, attr = IMAGE_BACKBONES[name_or_encoder].split(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as err:
            raise ConfigError(f"image backbone {name_or_encoder!r} is unavailable: {err}") from None
        return factory()
    encoder = build(name_or_encoder, trust_code=trust_code)
    if not supports_images(encoder):
        raise ConfigError(f"image backbone {name_or_encoder!r}: that encoder cannot encode images")
    return encoder
