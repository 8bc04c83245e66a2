"""``open_clip:<arch>/<pretrained>``: OpenCLIP models (optional extra ``xtd10[clip]``).

``open_clip:xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k`` names an architecture and a
pretrained tag exactly as ``open_clip.create_model_and_transforms`` takes them;
``open_clip:ViT-B-32@/path/to/epoch_32.pt`` names an architecture and a local checkpoint
file (everything after the first ``@`` is the path, slashes included). The package is
imported only when such an encoder is built; without it the error says how to install it.

Captions are tokenised to the model's context length (77) but most XTD10 captions need
fewer than 25 tokens. For the causal text towers of CLIP-style models (the embedding is read
at the end-of-text token, and no position attends to later ones) everything after the
longest caption's end-of-text token in a batch cannot change any embedding, so it is cut
off, and captions are batched by length so that little is left to cut. Towers that see the
whole sequence (SigLIP and other bidirectional or last-token-pooled towers, Hugging Face
text towers) keep the fixed length.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.base import EncoderError, EncoderMeta, register
from xtd10.encoders.batching import (
    check_batch_size,
    check_images,
    check_texts,
    encode_by_length,
    encode_in_batches,
)
from xtd10.encoders.torch_runtime import (
    DEFAULT_PRECISION,
    count_parameters,
    inference,
    require_torch,
    resolve_device,
    resolve_precision,
)
from xtd10.encoders.weights import is_local_weights, weights_identity


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


class TrimmableTextTower:
    """The parts of an open_clip text tower whose padding can be cut without changing any
    embedding: a causal attention mask, learned absolute positions, and pooling at the
    end-of-text token (``argmax``/``eos``) or the first token. ``of(model)`` returns None for
    every other tower (SigLIP's bidirectional one, appended class tokens, pad masks, HF towers)."""

    def __init__(self, owner: Any):
        self.owner = owner
        self.pool_type = owner.pool_type if hasattr(owner, "pool_type") else owner.text_pool_type
        self.eos_id = getattr(owner, "eos_id", getattr(owner, "text_eos_id", None))

    @classmethod
    def of(cls, model: Any) -> TrimmableTextTower | None:
        owner = model if hasattr(model, "token_embedding") else getattr(model, "text", None)
        needed = ("token_embedding", "positional_embedding", "transformer", "ln_final", "attn_mask")
        if owner is None or not all(hasattr(owner, name) for name in needed):
            return None
        mask = owner.attn_mask
        if mask is None or getattr(mask, "ndim", 0) != 2 or getattr(owner, "cls_emb", None) is not None \
                or getattr(owner, "use_pad_mask", False) or getattr(owner, "output_tokens", False):
            return None
        import torch

        causal = torch.triu(torch.ones_like(mask, dtype=torch.bool), diagonal=1)
        if not bool(torch.all(torch.isneginf(mask[causal]))) or bool(torch.any(mask[~causal] != 0)):
            return None
        tower = cls(owner)
        if tower.pool_type not in ("argmax", "eos", "first") or (tower.pool_type == "eos" and tower.eos_id is None):
            return None
        return tower

    def needed_lengths(self, tokens: Any) -> Any:
        """Per caption, how many leading tokens its embedding depends on (up to the pooled one)."""
        if self.pool_type == "argmax":
            return tokens.argmax(dim=-1) + 1
        if self.pool_type == "eos":
            return (tokens == self.eos_id).int().argmax(dim=-1) + 1
        return tokens.new_ones(tokens.shape[0])

    def encode(self, tokens: Any) -> Any:
        """The tower's forward on ``tokens`` cut after the longest needed length."""
        from open_clip.transformer import text_global_pool

        owner = self.owner
        length = int(self.needed_lengths(tokens).max())
        tokens = tokens[:, :length]
        cast_dtype = owner.transformer.get_cast_dtype()
        x = owner.token_embedding(tokens).to(cast_dtype) + owner.positional_embedding[:length].to(cast_dtype)
        x = owner.transformer(x, attn_mask=owner.attn_mask[:length, :length])
        x = owner.ln_final(x)
        pooled = text_global_pool(x, tokens, self.pool_type, eos_token_id=self.eos_id)
        projection = owner.text_projection
        if projection is None:
            return pooled
        return projection(pooled) if callable(projection) else pooled @ projection  # nn.Linear or a matrix


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
        # parameters keep requires_grad: see torch_runtime.inference
        self.model, self.preprocess, self.tokenizer = model.eval(), preprocess, tokenizer
        self.trimmable = TrimmableTextTower.of(self.model)
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
                   "precision": self.precision, "text_padding": "trimmed" if self.trimmable else "fixed"},
        )

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
            return self.model.encode_image(batch).float().cpu().numpy()

    def encode_prepared(self, pixels: Sequence[Any]) -> np.ndarray:
        """Embeddings of images already passed through :meth:`prepare_image`."""
        return encode_in_batches(list(pixels), self._encode_pixels, batch_size=self.batch_size, dim=self.dim,
                                 progress=self.progress, description=f"{self.name} images")

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        texts = check_texts(texts, self.name)
        if not self.trimmable or not texts:
            return encode_in_batches(texts, self._encode_text_batch, batch_size=self.batch_size, dim=self.dim,
                                     progress=self.progress, description=f"{self.name} texts")
        tokens = self.tokenizer(texts)
        return encode_by_length(
            range(len(texts)), self.trimmable.needed_lengths(tokens).tolist(),
            lambda rows: self._encode_tokens(tokens[list(rows)]), batch_size=self.batch_size, dim=self.dim,
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
    "OpenCLIP models: open_clip:<architecture>/<pretrained> or <architecture>@<checkpoint file> "
    "(optional extra xtd10[clip])",
    requires={"torch": "torch", "open_clip": "open_clip_torch"},
)(OpenCLIPEncoder)
