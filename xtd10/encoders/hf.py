"""``hf:<model id or local dir>``: transformers models, image-text or text-only.

Image-text models (CLIP, SigLIP, AltCLIP, Chinese-CLIP, ...) are anything ``AutoModel``
loads with ``get_text_features`` and ``get_image_features``; both go through the model's own
processor, so each family gets its own tokenisation and image preprocessing. A model with no
image tower is used as a text encoder: mean of the last hidden states over real tokens.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.batching import encode_by_length, encode_in_batches
from xtd10.encoders.checks import check_batch_size, check_images, check_texts
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register
from xtd10.encoders.revisions import model_revision
from xtd10.encoders.torch_runtime import (
    DEFAULT_PRECISION,
    batch_runner,
    count_parameters,
    inference,
    require_torch,
    resolve_device,
    resolve_precision,
    text_token_budget,
    worker_batch_size,
)
from xtd10.errors import first_line, install_extra_hint
from xtd10.hub_access import cache_only_reason, in_hub_cache, load_failure_hint, not_cached_message

log = logging.getLogger(__name__)

# SigLIP was trained on texts padded to a fixed length; padding to the longest text in the
# batch changes its embeddings, so those families pad to max_length.
FIXED_LENGTH_PADDING = ("siglip", "siglip2")
DEFAULT_MAX_LENGTH = 512
LOCAL_PREFIXES = ("/", "./", "../", "~", ".\\", "..\\")


def local_model_dir(model_id: str, spec: str) -> str | None:
    """The directory a path-like model id names (``/abs``, ``./rel``, ``../rel``, ``~/...``),
    checked to be a directory; None for a Hub id. A path spelled this way is never looked
    up on the Hub, so a missing folder is an error here rather than a confusing Hub lookup
    (a bare ``org/name`` that happens to exist as a folder also loads, as transformers does)."""
    if not model_id.startswith(LOCAL_PREFIXES) and not (len(model_id) > 2 and model_id[1] == ":"):
        return None
    path = Path(model_id).expanduser()
    if not path.is_dir():
        what = "is a file, not a model directory" if path.exists() else "does not exist"
        raise EncoderError(f"encoder spec {spec!r}: local model directory {model_id!r} {what}")
    return str(path)


def load_pretrained(
    loader: Callable[..., Any], model_id: str, what: str, *, spec: str | None = None, **kwargs: Any
) -> Any:
    """``loader(model_id, **kwargs)`` with any failure turned into one clear EncoderError.

    With the Hub out of reach the loader gets ``local_files_only=True``: a cached model
    loads as usual, one that is not cached is a one-line error naming ``spec`` (the
    encoder spec the user typed, ``hf:<model_id>`` by default) and the way out.
    """
    reason = cache_only_reason(model_id)
    if reason is not None:
        kwargs["local_files_only"] = True
    try:
        return loader(model_id, **kwargs)
    except Exception as err:  # transformers raises OSError, ValueError, KeyError, ... here
        if reason is not None and not in_hub_cache(model_id):
            subject = "the model" if spec is None or spec.endswith(model_id) else f"the {what} {model_id!r}"
            raise EncoderError(not_cached_message(spec or f"hf:{model_id}", reason, subject)) from None
        hint = load_failure_hint(model_id, reason)
        raise EncoderError(f"could not load the {what} of {model_id!r}{hint}: {first_line(err)}") from None


def output_tensor(output: Any) -> Any:
    """Features from ``get_*_features``: a tensor in transformers 4, a model output whose
    ``pooler_output`` holds the projected features in transformers 5."""
    import torch

    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if isinstance(pooled, torch.Tensor):
        return pooled
    if isinstance(output, (tuple, list)) and output and isinstance(output[0], torch.Tensor):
        return output[0]
    raise EncoderError(f"unexpected output type from a features method: {type(output).__name__}")


def accepted_inputs(method: Callable[..., Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The processor outputs that ``method`` names as parameters (CLIP's text features take
    no token_type_ids; Chinese-CLIP's do; SigLIP 2's image features take extra masks)."""
    names = {
        name
        for name, p in inspect.signature(method).parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    }
    return {key: value for key, value in inputs.items() if key in names}


def mean_pool(hidden: Any, attention_mask: Any) -> Any:
    """Average of token vectors over real (non-padding) tokens."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)


def text_max_length(tokenizer: Any, config: Any) -> int:
    """The tokenizer's limit if it states a real one, else the text tower's positions."""
    limits = []
    model_max = getattr(tokenizer, "model_max_length", None)
    if isinstance(model_max, int) and 0 < model_max < 100_000:
        limits.append(model_max)
    text_config = getattr(config, "text_config", None) or config
    positions = getattr(text_config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    return min(limits) if limits else DEFAULT_MAX_LENGTH


class HFEncoder:
    """A transformers model as an encoder (image-text when the model has both towers)."""

    def __init__(
        self,
        model_id: str,
        *,
        device: str | None = None,
        precision: str | None = DEFAULT_PRECISION,
        batch_size: int = 32,
        progress: bool = False,
        revision: str | None = None,
        trust_remote_code: bool = False,
        max_length: int | None = None,
    ):
        self.name = f"hf:{model_id}"
        model_id = local_model_dir(model_id, self.name) or model_id
        require_torch(self.name)
        try:
            import transformers
        except ImportError:
            raise EncoderError(f"encoder {self.name!r} needs transformers: {install_extra_hint('hf')}") from None
        self.batch_size = check_batch_size(batch_size, self.name)
        self.device = resolve_device(device, self.name)
        self.precision = resolve_precision(precision, self.device, self.name)
        # on a CPU two batches run side by side, each worker in one autocast context for all its batches
        self.runner = batch_runner(self.device, self.precision)
        self.progress = progress
        self._tokenizer_lock = threading.Lock()
        options: dict[str, Any] = {"revision": revision, "trust_remote_code": trust_remote_code}

        self.model = load_pretrained(transformers.AutoModel.from_pretrained, model_id, "model", **options)
        self.model.eval().to(self.device)  # parameters keep requires_grad: see torch_runtime.inference
        self.has_images = callable(getattr(self.model, "get_image_features", None)) and callable(
            getattr(self.model, "get_text_features", None)
        )
        self.tokenizer, self.image_processor = self._load_preprocessors(transformers, model_id, options)
        self.max_length = max_length or text_max_length(self.tokenizer, self.model.config)
        model_type = getattr(self.model.config, "model_type", "")
        self.padding: str | bool = "max_length" if model_type in FIXED_LENGTH_PADDING else True

        probe = self._encode_text_batch(["a photo"])
        self.embedding_dim = int(probe.shape[1])
        self.meta = EncoderMeta(
            name=model_id,
            spec=self.name,
            revision=model_revision(model_id, revision),
            embedding_dim=self.embedding_dim,
            parameters=count_parameters(self.model),
            license=getattr(self.model.config, "license", None),
            modalities=("text", "image") if self.has_images else ("text",),
            extra={
                "architecture": type(self.model).__name__,
                "model_type": model_type,
                "text_pooling": "model" if self.has_images else "mean",
                "device": str(self.device),
                "precision": self.precision,
                "max_length": self.max_length,
                "text_padding": "fixed" if self.padding == "max_length" else "trimmed",
                "transformers": transformers.__version__,
            },
        )
        if self.has_images:
            self.encode_image = self._encode_image  # only image-text models expose encode_image

    def _load_preprocessors(self, transformers: Any, model_id: str, options: dict[str, Any]) -> tuple[Any, Any]:
        if not self.has_images:
            return load_pretrained(transformers.AutoTokenizer.from_pretrained, model_id, "tokenizer", **options), None
        processor = load_pretrained(transformers.AutoProcessor.from_pretrained, model_id, "processor", **options)
        tokenizer = getattr(processor, "tokenizer", None)
        image_processor = getattr(processor, "image_processor", None)
        if tokenizer is None or image_processor is None:
            raise EncoderError(
                f"encoder {self.name!r}: its processor ({type(processor).__name__}) lacks a tokenizer or an "
                "image processor"
            )
        return tokenizer, image_processor

    def _encode_text_batch(self, texts: Sequence[str]) -> np.ndarray:
        with self._tokenizer_lock:  # a fast tokenizer called by two threads at once fails ("Already borrowed")
            inputs = self.tokenizer(
                list(texts), padding=self.padding, truncation=True, max_length=self.max_length, return_tensors="pt"
            )
        inputs = {key: value.to(self.device) for key, value in inputs.items()}
        with inference(self.device, self.precision):
            if self.has_images:
                features = output_tensor(
                    self.model.get_text_features(**accepted_inputs(self.model.get_text_features, inputs))
                )
            else:
                hidden = self.model(**accepted_inputs(self.model.forward, inputs)).last_hidden_state
                features = mean_pool(hidden.float(), inputs["attention_mask"])
        return features.float().cpu().numpy()

    def _encode_image_batch(self, images: Sequence[Any]) -> np.ndarray:
        pixels = self.image_processor(images=[image.convert("RGB") for image in images], return_tensors="pt")
        pixels = {key: value.to(self.device) for key, value in pixels.items()}
        with inference(self.device, self.precision):
            features = output_tensor(
                self.model.get_image_features(**accepted_inputs(self.model.get_image_features, pixels))
            )
        return features.float().cpu().numpy()

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        texts = check_texts(texts, self.name)
        if self.padding != "max_length" and len(texts) > 1:
            # each batch is padded to its longest text: batch texts of similar length together
            lengths = [len(ids) for ids in
                       self.tokenizer(texts, truncation=True, max_length=self.max_length)["input_ids"]]
            return encode_by_length(
                texts, lengths, self._encode_text_batch, batch_size=self.batch_size, dim=self.embedding_dim,
                max_tokens=text_token_budget(self.device, self.precision), runner=self.runner, progress=self.progress,
                description=f"{self.name} texts",
            )
        return encode_in_batches(
            texts, self._encode_text_batch, batch_size=self.batch_size, dim=self.embedding_dim, runner=self.runner,
            progress=self.progress, description=f"{self.name} texts",
        )

    def _encode_image(self, images: Sequence[Any]) -> np.ndarray:
        return encode_in_batches(
            check_images(images, self.name), self._encode_image_batch,
            batch_size=worker_batch_size(self.batch_size, self.device), dim=self.embedding_dim, runner=self.runner,
            progress=self.progress, description=f"{self.name} images",
        )


# The class itself is the factory: its keyword arguments are the spec's options.
register(
    "hf",
    "transformers image-text models (CLIP, SigLIP, AltCLIP, Chinese-CLIP, ...) or mean-pooled text models",
    requires={"torch": "torch", "transformers": "transformers"},
    extra="hf",
)(HFEncoder)
