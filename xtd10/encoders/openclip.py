"""``open_clip:<arch>/<pretrained>``: OpenCLIP models (optional extra ``xtd10[clip]``).

``open_clip:xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k`` names an architecture and a
pretrained tag exactly as ``open_clip.create_model_and_transforms`` takes them. The package
is imported only when such an encoder is built; without it the error says how to install it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from xtd10.encoders.base import EncoderError, EncoderMeta, register
from xtd10.encoders.batching import check_batch_size, check_images, check_texts, encode_in_batches
from xtd10.encoders.torch_runtime import (
    autocast,
    count_parameters,
    require_torch,
    resolve_device,
    resolve_precision,
)
from xtd10.encoders.weights import is_local_weights, weights_identity


def parse_open_clip_argument(argument: str) -> tuple[str, str]:
    """``"ViT-B-32/laion2b_s34b_b79k"`` -> ("ViT-B-32", "laion2b_s34b_b79k"). The pretrained tag
    follows the first slash (architectures have none; ``hf-hub:org/name`` has exactly one), so
    it may be a path to a local checkpoint file: ``ViT-B-32/runs/epoch_5.pt``."""
    if argument.startswith("hf-hub:"):
        return argument, ""
    architecture, sep, pretrained = argument.partition("/")
    if not sep or not architecture or not pretrained:
        raise EncoderError(
            f"encoder spec 'open_clip:{argument}': expected open_clip:<architecture>/<pretrained>, "
            "e.g. open_clip:ViT-B-32/laion2b_s34b_b79k, or open_clip:hf-hub:<org>/<name>"
        )
    return architecture, pretrained


class OpenCLIPEncoder:
    def __init__(
        self,
        argument: str,
        *,
        device: str | None = None,
        precision: str | None = "auto",
        batch_size: int = 32,
        progress: bool = False,
    ):
        self.name = f"open_clip:{argument}"
        architecture, pretrained = parse_open_clip_argument(argument)
        require_torch(self.name)
        try:
            import open_clip
        except ImportError:
            raise EncoderError(
                f"encoder {self.name!r} needs the optional package open_clip_torch: pip install 'xtd10[clip]'"
            ) from None
        self.batch_size = check_batch_size(batch_size, self.name)
        self.progress = progress
        self.device = resolve_device(device, self.name)
        self.precision = resolve_precision(precision, self.device, self.name)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                architecture, pretrained=pretrained or None, device=self.device
            )
            tokenizer = open_clip.get_tokenizer(architecture)
        except Exception as err:
            raise EncoderError(f"could not load {self.name!r}: {err}") from None
        self.model, self.preprocess, self.tokenizer = model.eval(), preprocess, tokenizer
        self.model.requires_grad_(False)
        self.dim = int(self._encode_text_batch(["a photo"]).shape[1])
        self.meta = EncoderMeta(
            name=argument,
            spec=self.name,
            revision=f"open_clip=={getattr(open_clip, '__version__', 'unknown')}:"
                     + (weights_identity(pretrained) if is_local_weights(pretrained) else pretrained or architecture),
            embedding_dim=self.dim,
            parameters=count_parameters(self.model),
            modalities=("text", "image"),
            extra={"architecture": architecture, "pretrained": pretrained, "device": str(self.device),
                   "precision": self.precision},
        )

    def _encode_text_batch(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        tokens = self.tokenizer(list(texts)).to(self.device)
        with torch.inference_mode(), autocast(self.device, self.precision):
            return self.model.encode_text(tokens).float().cpu().numpy()

    def _encode_image_batch(self, images: Sequence[Any]) -> np.ndarray:
        import torch

        pixels = torch.stack([self.preprocess(image.convert("RGB")) for image in images]).to(self.device)
        with torch.inference_mode(), autocast(self.device, self.precision):
            return self.model.encode_image(pixels).float().cpu().numpy()

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        return encode_in_batches(
            check_texts(texts, self.name), self._encode_text_batch, batch_size=self.batch_size, dim=self.dim,
            progress=self.progress, description=f"{self.name} texts",
        )

    def encode_image(self, images: Sequence[Any]) -> np.ndarray:
        return encode_in_batches(
            check_images(images, self.name), self._encode_image_batch, batch_size=self.batch_size, dim=self.dim,
            progress=self.progress, description=f"{self.name} images",
        )


# The class itself is the factory: its keyword arguments are the spec's options.
register(
    "open_clip",
    "OpenCLIP models: open_clip:<architecture>/<pretrained> (optional extra xtd10[clip])",
    requires={"torch": "torch", "open_clip": "open_clip_torch"},
)(OpenCLIPEncoder)
