"""``open_clip:<arch>/<pretrained>``: OpenCLIP models (optional extra ``xtd10[clip]``).

``open_clip:xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k`` names an architecture and a
pretrained tag exactly as ``open_clip.create_model_and_transforms`` takes them;
``open_clip:ViT-B-32@/path/to/epoch_32.pt`` names an architecture and a local checkpoint
file (everything after the first ``@`` is the path, slashes included). The package is
imported only when such an encoder is built; without it the error says how to install it.

Captions are tokenised to the model's context length (77) but most XTD10 captions need
fewer than 25 tokens. For the causal text towers of CLIP-style models the padding after the
longest caption in a batch is cut off, captions are batched by length so that little is
left to cut, and standard blocks run a leaner forward (:mod:`xtd10.encoders.openclip_towers`);
a probe at load checks that the fast towers give the model's own embeddings. Towers that
see the whole sequence (SigLIP and other bidirectional or last-token-pooled towers) keep
the fixed length and open_clip's forward.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.batching import encode_by_length, encode_in_batches
from xtd10.encoders.checks import check_batch_size, check_images, check_texts
from xtd10.encoders.openclip_towers import PooledVisionTower, TrimmableTextTower, agrees_with_model
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register
from xtd10.encoders.torch_runtime import (
    DEFAULT_PRECISION,
    batch_runner,
    count_parameters,
    inference,
    require_torch,
    resolve_device,
    resolve_precision,
    return_freed_memory,
    text_token_budget,
    worker_batch_size,
)
from xtd10.encoders.weights import is_local_weights, weights_identity
from xtd10.errors import install_extra_hint


def parse_open_clip_argument(argument: str) -> tuple[str, str]:
    """``"ViT-B-32/laion2b_s34b_b79k"`` -> ("ViT-B-32", "laion2b_s34b_b79k"). The pretrained tag
    follows the first slash (architectures have none; ``hf-hub:org/name`` has exactly one), so
    it may be a relative path to a local checkpoint file: ``ViT-B-32/runs/epoch_5.pt``.
    ``"ViT-B-32@/ckpt/epoch_32.pt"`` -> ("ViT-B-32", "/ckpt/epoch_32.pt"): the explicit spelling
    of a local checkpoint (any path after the first ``@``); the file must exist."""
    if argument.startswith("hf-hub:"):
        return argument, ""
    if "@" in argument and "/" not in argument.partition("@")[0]:  # not a '/'-spelled path holding an '@'
        architecture, _, checkpoint = argument.partition("@")
        if not architecture or not checkpoint:
            raise EncoderError(
                f"encoder spec 'open_clip:{argument}': expected open_clip:<architecture>@<checkpoint file>, "
                "e.g. open_clip:ViT-B-32@/models/epoch_32.pt"
            )
        path = Path(checkpoint).expanduser()
        if not path.is_file():
            raise EncoderError(f"encoder spec 'open_clip:{argument}': checkpoint file {checkpoint!r} does not exist"
                               + (" (it is a directory)" if path.is_dir() else ""))
        return architecture, str(path)
    architecture, sep, pretrained = argument.partition("/")
    if not sep or not architecture or not pretrained:
        raise EncoderError(
            f"encoder spec 'open_clip:{argument}': expected open_clip:<architecture>/<pretrained>, "
            "e.g. open_clip:ViT-B-32/laion2b_s34b_b79k, open_clip:<architecture>@<checkpoint file>, "
            "or open_clip:hf-hub:<org>/<name>"
        )
    return architecture, pretrained


class OpenCLIPEncoder:
    def __init__(
        self,
        argument: str,
        *,
        device: str | None = None,
        precision: str | None = DEFAULT_PRECISION,
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
                f"encoder {self.name!r} needs the optional package open_clip_torch: {install_extra_hint('clip')}"
            ) from None
        self.batch_size = check_batch_size(batch_size, self.name)
        self.progress = progress
        self.device = resolve_device(device, self.name)
        self.precision = resolve_precision(precision, self.device, self.name)
        # on a CPU two batches run side by side, each worker in one autocast context for all its batches
        self.runner = batch_runner(self.device, self.precision)
        try:
            model, _, preprocess = open_clip.create_model_and_transforms(
                architecture, pretrained=pretrained or None, device=self.device
            )
            tokenizer = open_clip.get_tokenizer(architecture)
        except Exception as err:
            raise EncoderError(f"could not load {self.name!r}: {err}") from None
        # parameters keep requires_grad: see torch_runtime.inference
        self.model, self.preprocess, self.tokenizer = model.eval(), preprocess, tokenizer
        self.trimmable, self.pooled_vision = self._checked_fast_towers()
        self.dim = int(self._encode_text_batch(["a photo"]).shape[1])
        self._forget_weight_copies()  # made again by the first real encode, one tower at a time
        self.meta = EncoderMeta(
            name=argument,
            spec=self.name,
            revision=f"open_clip=={getattr(open_clip, '__version__', 'unknown')}:"
                     + (weights_identity(pretrained) if is_local_weights(pretrained) else pretrained or architecture),
            embedding_dim=self.dim,
            parameters=count_parameters(self.model),
            modalities=("text", "image"),
            extra={"architecture": architecture, "pretrained": pretrained, "device": str(self.device),
                   "precision": self.precision, "text_padding": "trimmed" if self.trimmable else "fixed"},
        )

    def _checked_fast_towers(self) -> tuple[TrimmableTextTower | None, PooledVisionTower | None]:
        """The fast towers this model allows, each kept only if it gives the model's own
        embeddings on a probe (two captions; two noise images at the model's input size)."""
        import torch

        text = TrimmableTextTower.of(self.model)
        probe = self.tokenizer(["a photo of two dogs on a beach", "東京の夜の街並み"]).to(self.device)
        if text is not None and not agrees_with_model(text.encode, self.model.encode_text, probe):
            logging.getLogger("xtd10.encoders").warning(
                "encoder %r: trimmed text forward disagrees with the model's; using the model's own", self.name)
            text = None
        self._forget_weight_copies(text)  # one tower's copies at a time
        vision = PooledVisionTower.of(self.model)
        size = getattr(getattr(self.model, "visual", None), "image_size", None)
        if vision is None or size is None:
            return text, None
        height, width = (size, size) if isinstance(size, int) else tuple(size)
        pixels = torch.randn(2, 3, height, width, generator=torch.Generator().manual_seed(0)).to(self.device)
        if not agrees_with_model(vision.encode, self.model.encode_image, pixels):
            logging.getLogger("xtd10.encoders").warning(
                "encoder %r: pooled image forward disagrees with the model's; using the model's own", self.name)
            vision = None
        return text, vision

    def _encode_text_batch(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode_tokens(self.tokenizer(list(texts)))

    def _encode_tokens(self, tokens: Any) -> np.ndarray:
        tokens = tokens.to(self.device)
        with inference(self.device, self.precision):
            features = self.trimmable.encode(tokens) if self.trimmable else self.model.encode_text(tokens)
            return features.float().cpu().numpy()

    def _encode_image_batch(self, images: Sequence[Any]) -> np.ndarray:
        return self._encode_pixels([self.prepare_image(image) for image in images])

    def prepare_image(self, image: Any) -> Any:
        """One PIL image -> the model's input tensor (the harness runs this on its decoding
        threads, overlapping the model's work on the previous batch)."""
        return self.preprocess(image.convert("RGB"))

    def _encode_pixels(self, pixels: Sequence[Any]) -> np.ndarray:
        import torch

        batch = torch.stack(list(pixels)).to(self.device)
        with inference(self.device, self.precision):
            features = self.pooled_vision.encode(batch) if self.pooled_vision else self.model.encode_image(batch)
            return features.float().cpu().numpy()

    def encode_prepared(self, pixels: Sequence[Any]) -> np.ndarray:
        """Embeddings of images already passed through :meth:`prepare_image`."""
        self._drop_copies_of_other_tower("image")
        return encode_in_batches(list(pixels), self._encode_pixels,
                                 batch_size=worker_batch_size(self.batch_size, self.device), dim=self.dim,
                                 runner=self.runner, progress=self.progress, description=f"{self.name} images")

    def _drop_copies_of_other_tower(self, tower_in_use: str) -> None:
        """Free the other tower's weight copies (cast and packed: see lean_blocks).

        A run encodes its images in one pass and then its captions language after
        language, so the image tower's copies (its blocks' size at fp32, half of it at bf16)
        would otherwise sit unused through the whole text track; making them again when
        images come back is one pass over the weights."""
        self._forget_weight_copies(self.trimmable if tower_in_use == "image" else self.pooled_vision)

    def _forget_weight_copies(self, *towers: Any) -> None:
        """Free the weight copies of ``towers`` (of both when none is named) and give the
        memory back: the load-time checks would otherwise leave both towers' copies."""
        for tower in towers or (self.trimmable, self.pooled_vision):
            lean = getattr(tower, "lean", None)
            if lean is not None:
                lean.forget_copies()
        return_freed_memory()

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        texts = check_texts(texts, self.name)
        self._drop_copies_of_other_tower("text")
        if not self.trimmable or not texts:
            return encode_in_batches(texts, self._encode_text_batch, batch_size=self.batch_size, dim=self.dim,
                                     runner=self.runner, progress=self.progress, description=f"{self.name} texts")
        tokens = self.tokenizer(texts)
        return encode_by_length(
            range(len(texts)), self.trimmable.needed_lengths(tokens).tolist(),
            lambda rows: self._encode_tokens(tokens[list(rows)]), batch_size=self.batch_size, dim=self.dim,
            max_tokens=text_token_budget(self.device, self.precision), runner=self.runner, progress=self.progress,
            description=f"{self.name} texts",
        )

    def encode_image(self, images: Sequence[Any]) -> np.ndarray:
        self._drop_copies_of_other_tower("image")
        return encode_in_batches(
            check_images(images, self.name), self._encode_image_batch,
            batch_size=worker_batch_size(self.batch_size, self.device), dim=self.dim, runner=self.runner,
            progress=self.progress, description=f"{self.name} images",
        )


# The class itself is the factory: its keyword arguments are the spec's options.
register(
    "open_clip",
    "OpenCLIP models: open_clip:<architecture>/<pretrained> or <architecture>@<checkpoint file> "
    "(optional extra xtd10[clip])",
    requires={"torch": "torch", "open_clip": "open_clip_torch"},
    extra="clip",
)(OpenCLIPEncoder)
