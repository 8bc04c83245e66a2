"""``st:<id>[+<image model>]``: sentence-transformers models.

A plain ``st:<id>`` is a text encoder, or an image-text one when the model handles images
(sentence-transformers' CLIP models, e.g. ``st:clip-ViT-B-32``). Multilingual CLIP text
models were distilled into an existing CLIP space and carry no image tower, so they are
paired with their image model: ``st:sentence-transformers/clip-ViT-B-32-multilingual-v1+clip-ViT-B-32``
(the image part is loaded with sentence-transformers too; ``hf:``/``open_clip:`` specs also work).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.checks import check_batch_size, check_images, check_texts
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register
from xtd10.encoders.revisions import model_revision
from xtd10.encoders.torch_runtime import count_parameters, require_torch, resolve_device
from xtd10.encoders.towers import build_image_tower, check_same_size, split_pair
from xtd10.errors import first_line, install_extra_hint
from xtd10.hub_access import cache_only_reason, in_hub_cache, load_failure_hint, not_cached_message

log = logging.getLogger(__name__)

# The image model each published multilingual CLIP text model of sentence-transformers
# was distilled towards (from their model cards).
KNOWN_IMAGE_MODELS = {
    "sentence-transformers/clip-ViT-B-32-multilingual-v1": "clip-ViT-B-32",
}


def load_sentence_transformer(model_id: str, device: Any, revision: str | None) -> Any:
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError:
        raise EncoderError(
            f"encoder 'st:{model_id}' needs sentence-transformers: {install_extra_hint('st')}"
        ) from None
    reason = cache_only_reason(model_id)  # then only the local HF cache is used, without retries
    options: dict[str, Any] = {"local_files_only": True} if reason is not None else {}
    try:
        return SentenceTransformer(model_id, device=str(device), revision=revision, **options)
    except Exception as err:  # OSError, ValueError, ... from the Hub or a malformed folder
        if reason is not None and not _cached(model_id):
            raise EncoderError(not_cached_message(f"st:{model_id}", reason)) from None
        raise EncoderError(f"could not load sentence-transformers model {model_id!r}"
                           f"{load_failure_hint(model_id, reason)}: {first_line(err)}") from None


def _cached(model_id: str) -> bool:
    """sentence-transformers also looks a bare name up under ``sentence-transformers/``."""
    names = [model_id] if "/" in model_id else [model_id, f"sentence-transformers/{model_id}"]
    return any(in_hub_cache(name, ("modules.json", "config.json")) for name in names)


def embedding_dimension(model: Any) -> int:
    """sentence-transformers 6 renamed get_sentence_embedding_dimension to get_embedding_dimension."""
    method = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(method() or 0)


def handles_images(model: Any) -> bool:
    """sentence-transformers >= 6 lists the model's modalities; earlier versions signal
    image support by a CLIPModel first module."""
    modalities = getattr(model, "modalities", None)
    if modalities is not None:
        return "image" in modalities
    try:
        return type(model[0]).__name__ == "CLIPModel"
    except (IndexError, TypeError):
        return False


class SentenceTransformerImageTower:
    """The image side of a sentence-transformers CLIP model, as an encoder."""

    def __init__(self, model: Any, model_id: str, batch_size: int, progress: bool, revision: str | None):
        self.model, self.batch_size, self.progress = model, batch_size, progress
        self.meta = EncoderMeta(
            name=model_id, spec=f"st:{model_id}", revision=model_revision(model_id, revision),
            embedding_dim=embedding_dimension(model), parameters=count_parameters(model),
            modalities=("text", "image"),
        )

    def encode_image(self, images: Sequence[Any]) -> np.ndarray:
        images = [image.convert("RGB") for image in check_images(images, self.meta.spec)]
        if not images:
            return np.zeros((0, self.meta.embedding_dim or 0), dtype=np.float32)
        vectors = self.model.encode(
            images, batch_size=self.batch_size, show_progress_bar=self.progress, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


class SentenceTransformerEncoder:
    """Text through one sentence-transformers model; images through it or a paired one."""

    def __init__(
        self,
        argument: str,
        *,
        device: str | None = None,
        batch_size: int = 32,
        progress: bool = False,
        revision: str | None = None,
    ):
        text_id, image_id = split_pair(argument, "st")
        self.name = f"st:{argument}"
        require_torch(self.name)
        self.batch_size = check_batch_size(batch_size, self.name)
        self.progress = progress
        torch_device = resolve_device(device, self.name)
        self.model = load_sentence_transformer(text_id, torch_device, revision)
        self.dim = embedding_dimension(self.model)
        image_id = image_id or KNOWN_IMAGE_MODELS.get(text_id)
        self.image: Any = None
        if image_id is not None:
            self.image = self._image_tower(image_id, torch_device, device)
            check_same_size(self.dim, self.image, self.name)
        elif handles_images(self.model):
            self.image = SentenceTransformerImageTower(self.model, text_id, batch_size, progress, revision)
        if self.image is not None:
            self.encode_image = self.image.encode_image
        own_parameters = count_parameters(self.model)
        paired = self.image is not None and image_id is not None
        self.meta = EncoderMeta(
            name=text_id if not paired else f"{text_id} + {image_id}",
            spec=self.name,
            revision=(model_revision(text_id, revision) or "unknown")
            + (f"+{self.image.meta.revision}" if paired else ""),
            embedding_dim=self.dim,
            parameters=own_parameters + ((self.image.meta.parameters or 0) if paired else 0),
            modalities=("text", "image") if self.image is not None else ("text",),
            extra={"text_model": text_id, "image_model": image_id if paired else None, "device": str(torch_device)},
        )

    def _image_tower(self, image_id: str, torch_device: Any, device: str | None) -> Any:
        """``hf:``/``open_clip:``/... specs go through the registry; a bare id is a
        sentence-transformers model, as in the sentence-transformers model cards."""
        if ":" in image_id and not Path(image_id).exists():
            return build_image_tower(image_id, device=device, batch_size=self.batch_size, progress=self.progress)
        model = load_sentence_transformer(image_id, torch_device, None)
        if not handles_images(model):
            raise EncoderError(f"encoder {self.name!r}: image model {image_id!r} does not encode images")
        return SentenceTransformerImageTower(model, image_id, self.batch_size, self.progress, None)

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        texts = check_texts(texts, self.name)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, show_progress_bar=self.progress, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


@register(
    "st",
    "sentence-transformers models; multilingual CLIP text models paired with their image model: st:<text>[+<image>]",
    requires={"torch": "torch", "sentence_transformers": "sentence-transformers"},
    extra="st",
)
def build_st(
    argument: str,
    *,
    device: str | None = None,
    batch_size: int = 32,
    progress: bool = False,
    revision: str | None = None,
) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(
        argument, device=device, batch_size=batch_size, progress=progress, revision=revision
    )
