"""``mclip:<id>[+<image tower>]``: Multilingual-CLIP (M-CLIP) text towers.

An M-CLIP text tower is a multilingual transformer (XLM-R or LaBSE) whose token vectors are
mean-pooled over the attention mask and mapped by one linear layer into the space of a CLIP
image encoder (Carlsson et al., LREC 2022). The Hub repos keep a ``config.json`` with
``modelBase`` (the transformer's name or path), ``transformerDimensions`` and ``numDims``,
and a single state dict with ``transformer.*`` and ``LinearTransformation.*`` weights. This
module rebuilds that architecture with plain transformers so no M-CLIP package is needed;
the image side is the matching CLIP image encoder, loaded through ``hf:``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.batching import encode_in_batches
from xtd10.encoders.checks import check_batch_size, check_texts
from xtd10.encoders.hf import load_pretrained, mean_pool
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register
from xtd10.encoders.revisions import local_revision, model_revision
from xtd10.encoders.torch_runtime import (
    DEFAULT_PRECISION,
    count_parameters,
    inference,
    require_torch,
    resolve_device,
    resolve_precision,
)
from xtd10.encoders.towers import build_image_tower, check_same_size, split_pair
from xtd10.errors import first_line, install_extra_hint
from xtd10.hub_access import cache_only_reason, not_cached_message

log = logging.getLogger(__name__)

# The CLIP image encoder each published M-CLIP text tower was distilled towards
# (from the M-CLIP model cards).
KNOWN_IMAGE_TOWERS = {
    "M-CLIP/XLM-Roberta-Large-Vit-B-32": "openai/clip-vit-base-patch32",
    "M-CLIP/XLM-Roberta-Large-Vit-L-14": "openai/clip-vit-large-patch14",
    "M-CLIP/LABSE-Vit-L-14": "openai/clip-vit-large-patch14",
    "M-CLIP/XLM-Roberta-Large-Vit-B-16Plus": "open_clip:ViT-B-16-plus-240/laion400m_e32",
}
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def _resolve_file(model_id: str, filename: str, revision: str | None, local_only: bool = False) -> str | None:
    """A local path to ``filename`` of the repo or directory, or None when it has none."""
    from transformers.utils import cached_file

    try:
        return cached_file(
            model_id, filename, revision=revision, local_files_only=local_only,
            _raise_exceptions_for_missing_entries=False, _raise_exceptions_for_connection_errors=False,
        )
    except Exception as err:
        raise EncoderError(f"mclip:{model_id}: could not fetch {filename}: {first_line(err)}") from None


def _load_state_dict(path: str) -> dict[str, Any]:
    import torch

    if path.endswith(".safetensors"):
        from safetensors.torch import load_file

        return load_file(path)
    return torch.load(path, map_location="cpu", weights_only=True)


class MCLIPTextTower:
    """XLM-R/LaBSE + mean pooling + linear projection, loaded from an M-CLIP repo or dir."""

    def __init__(self, model_id: str, *, device: Any, precision: str, revision: str | None = None):
        import torch
        import transformers

        self.name = f"mclip:{model_id}"
        self.offline = cache_only_reason(model_id)  # then only the local HF cache is used
        config_path = _resolve_file(model_id, "config.json", revision, self.offline is not None)
        if config_path is None and self.offline is not None:
            raise EncoderError(not_cached_message(self.name, self.offline))
        if config_path is None:
            raise EncoderError(f"{self.name}: no config.json (is it an M-CLIP model, and reachable?)")
        with open(config_path, encoding="utf-8") as handle:
            config = json.load(handle)
        missing = [key for key in ("modelBase", "transformerDimensions", "numDims") if key not in config]
        if missing:
            raise EncoderError(f"{self.name}: {config_path} lacks M-CLIP field(s) {', '.join(missing)}")
        self.config = config
        # the transformer is built from modelBase's config: a local base folder is part of
        # the model's identity (a Hub id is pinned by the tower's own revision)
        base = str(config["modelBase"])
        self.base_revision = local_revision(base) if Path(base).expanduser().is_dir() else None
        base_config = load_pretrained(
            transformers.AutoConfig.from_pretrained, config["modelBase"], "transformer config (modelBase)",
            spec=self.name,
        )
        self.transformer = transformers.AutoModel.from_config(base_config)
        self.projection = torch.nn.Linear(int(config["transformerDimensions"]), int(config["numDims"]))
        self._load_weights(model_id, revision)
        self.tokenizer = load_pretrained(
            transformers.AutoTokenizer.from_pretrained, model_id, "tokenizer", spec=self.name, revision=revision
        )
        for module in (self.transformer, self.projection):
            module.eval().to(device)  # parameters keep requires_grad: see torch_runtime.inference
        self.device, self.precision = device, precision
        self.dim = int(config["numDims"])

    def _load_weights(self, model_id: str, revision: str | None) -> None:
        path = next(
            (p for p in (_resolve_file(model_id, name, revision, self.offline is not None) for name in WEIGHT_FILES)
             if p),
            None,
        )
        if path is None:
            where = f" in the local cache ({self.offline})" if self.offline else ""
            raise EncoderError(f"{self.name}: no weights ({' or '.join(WEIGHT_FILES)}){where}")
        state = _load_state_dict(path)
        transformer_state = {k[len("transformer."):]: v for k, v in state.items() if k.startswith("transformer.")}
        projection_state = {
            k[len("LinearTransformation."):]: v for k, v in state.items() if k.startswith("LinearTransformation.")
        }
        stray = [k for k in state if not k.startswith(("transformer.", "LinearTransformation."))]
        if stray or not projection_state:
            raise EncoderError(
                f"{self.name}: {path} is not an M-CLIP state dict (unexpected keys {stray[:3]}, "
                f"projection weights {'found' if projection_state else 'missing'})"
            )
        try:
            self.projection.load_state_dict(projection_state)
        except RuntimeError as err:
            raise EncoderError(f"{self.name}: projection weights do not fit: {err}") from None
        result = self.transformer.load_state_dict(transformer_state, strict=False)
        # older checkpoints carry position_ids buffers; a base built with a pooler may lack its
        # weights in the checkpoint (M-CLIP never uses the pooler)
        missing = [k for k in result.missing_keys if not k.startswith("pooler.")]
        unexpected = [k for k in result.unexpected_keys if not k.endswith("position_ids")]
        if missing or unexpected:
            raise EncoderError(
                f"{self.name}: transformer weights do not match {self.config['modelBase']!r}: "
                f"missing {missing[:3]}, unexpected {unexpected[:3]}"
            )

    def encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        tokens = self.tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        tokens = {key: value.to(self.device) for key, value in tokens.items()}
        with inference(self.device, self.precision):
            hidden = self.transformer(
                input_ids=tokens["input_ids"], attention_mask=tokens["attention_mask"]
            ).last_hidden_state
            pooled = mean_pool(hidden.float(), tokens["attention_mask"])
            features = self.projection(pooled)
        return features.float().cpu().numpy()


class MCLIPEncoder:
    """M-CLIP text tower + the CLIP image tower it was trained against."""

    def __init__(
        self,
        argument: str,
        *,
        device: str | None = None,
        precision: str | None = DEFAULT_PRECISION,
        batch_size: int = 32,
        progress: bool = False,
        revision: str | None = None,
    ):
        text_id, image_id = split_pair(argument, "mclip")
        self.name = f"mclip:{argument}"
        require_torch(self.name)
        try:
            import transformers  # noqa: F401
        except ImportError:
            raise EncoderError(f"encoder {self.name!r} needs transformers: {install_extra_hint('hf')}") from None
        self.batch_size = check_batch_size(batch_size, self.name)
        self.progress = progress
        torch_device = resolve_device(device, self.name)
        chosen_precision = resolve_precision(precision, torch_device, self.name)
        self.text = MCLIPTextTower(text_id, device=torch_device, precision=chosen_precision, revision=revision)
        image_id = image_id or KNOWN_IMAGE_TOWERS.get(text_id)
        self.image = None
        if image_id is not None:
            self.image = build_image_tower(
                image_id, device=device, precision=precision, batch_size=batch_size, progress=progress
            )
            check_same_size(self.text.dim, self.image, self.name)
            self.encode_image = self.image.encode_image
        else:
            log.warning("%s: no known image tower; text only (name one as mclip:<text>+<image>)", self.name)
        parameters = count_parameters(self.text.transformer, self.text.projection)
        self.meta = EncoderMeta(
            name=text_id if image_id is None else f"{text_id} + {image_id}",
            spec=self.name,
            revision=(model_revision(text_id, revision) or "")
            + (f"(base {self.text.base_revision})" if self.text.base_revision else "")
            + ("" if self.image is None else f"+{self.image.meta.revision}"),
            embedding_dim=self.text.dim,
            parameters=parameters + ((self.image.meta.parameters or 0) if self.image is not None else 0),
            modalities=("text", "image") if self.image is not None else ("text",),
            extra={
                "text_tower": text_id,
                "image_tower": image_id,
                "model_base": self.text.config["modelBase"],
                "device": str(torch_device),
                "precision": chosen_precision,
            },
        )

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        return encode_in_batches(
            check_texts(texts, self.name), self.text.encode_batch, batch_size=self.batch_size,
            dim=self.text.dim, progress=self.progress, description=f"{self.name} texts",
        )


# The class itself is the factory: its keyword arguments are the spec's options.
register(
    "mclip",
    "Multilingual-CLIP text tower (XLM-R/LaBSE + linear) with its CLIP image tower: mclip:<id>[+<image model>]",
    requires={"torch": "torch", "transformers": "transformers"},
    extra="hf",
)(MCLIPEncoder)
