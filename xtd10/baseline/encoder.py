"""A trained checkpoint as an xtd10 encoder: ``baseline:PATH``.

Text goes through the frozen text encoder named in the checkpoint, then the text head;
images through the frozen backbone, then the image head. Importing this module registers
the ``baseline`` prefix with the encoder registry, which imports it by import path the first
time ``baseline:`` is used; it imports only the registry at module level (torch and the
frozen encoders load when an encoder is built).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.baseline.errors import CheckpointError
from xtd10.encoders.protocol import Encoder, EncoderMeta
from xtd10.encoders.registry import register, require_trusted
from xtd10.encoders.weights import weights_identity
from xtd10.userfiles import brief


class BaselineEncoder:
    """Frozen encoders + trained heads; ``text``/``image`` override the frozen encoders
    named in the checkpoint (an object or a spec), e.g. to reuse one already loaded."""

    def __init__(self, path: str | Path, *, text: Any = None, image: Any = None, device: str | None = None,
                 trust_code: bool = False):
        from xtd10.baseline.model import CONFIG_FILE, WEIGHTS_FILE, load_checkpoint
        from xtd10.encoders.torch_runtime import resolve_device

        self.path = Path(path)
        if (self.path / "checkpoint").is_dir() and not (self.path / WEIGHTS_FILE).is_file():
            self.path = self.path / "checkpoint"  # a training run's out dir
        self.model, self.config = load_checkpoint(self.path)
        self.device = resolve_device(device, f"baseline:{path}")
        self.model.to(self.device)
        # The frozen encoders' specs come from config.json, a file the user may have been
        # sent: one naming Python code is refused here, before anything is imported.
        self.trust_code = trust_code
        self._text_spec = text if text is not None else self._frozen_spec("text_encoder")
        self._image_spec = image if image is not None else self._frozen_spec("image_backbone")
        for spec in (self._text_spec, self._image_spec):
            if isinstance(spec, str):
                require_trusted(spec, trust_code=trust_code, origin=f"checkpoint {self.path / CONFIG_FILE}")
        self._text: Encoder | None = None
        self._image: Any = None  # an image backbone: anything with encode_image (baseline.backbones)
        self.meta = EncoderMeta(
            name=f"xtd10-baseline ({self._loss_name()})",
            spec=f"baseline:{path}",
            revision=weights_identity(self.path),
            embedding_dim=self.model.embed_dim,
            parameters=sum(p.numel() for p in self.model.parameters()),
            license=None,
            modalities=("text", "image"),
            extra={"text_encoder": self.config.get("text_encoder"), "image_backbone": self.config.get("image_backbone"),
                   "epoch": self.config.get("epoch")},
        )

    def _loss_name(self) -> str:
        loss = (self.config.get("train") or {}).get("loss")
        name = loss.get("name") if isinstance(loss, dict) else None
        return name[:40] if isinstance(name, str) else "?"

    def _frozen_spec(self, key: str) -> str:
        section = self.config.get(key)
        where = self.path / "config.json"
        if section is None or (isinstance(section, dict) and section.get("spec") in (None, "")):
            raise CheckpointError(f"{where}: no {key}.spec; pass the frozen encoder explicitly")
        if not isinstance(section, dict):
            raise CheckpointError(f"{where}: {key} must be a mapping with a 'spec', got {brief(section)}")
        spec = section["spec"]
        if not isinstance(spec, str) or not spec.strip():
            raise CheckpointError(f"{where}: {key}.spec must be an encoder spec (text), got {brief(spec)}")
        return spec

    def _project(self, head, features: np.ndarray, width: int, side: str) -> np.ndarray:
        import torch

        if np.ndim(features) != 2 or np.shape(features)[1] != width:
            raise CheckpointError(f"{self.path}: the {side} head takes {width}-d features, but its frozen encoder "
                                  f"returned shape {np.shape(features)} (a checkpoint for another frozen encoder?)")
        with torch.no_grad():
            tensor = torch.as_tensor(np.asarray(features, dtype=np.float32), device=self.device)
            return head(tensor).cpu().numpy()

    def encode_text(self, texts: Sequence[str], *, language: str) -> np.ndarray:
        if self._text is None:
            from xtd10.baseline.backbones import text_encoder

            self._text = text_encoder(self._text_spec, trust_code=self.trust_code)
        return self._project(self.model.embed_text, self._text.encode_text(list(texts), language=language),
                             self.model.text_dim, "text")

    def encode_image(self, images) -> np.ndarray:
        if self._image is None:
            from xtd10.baseline.backbones import image_backbone

            self._image = image_backbone(self._image_spec, trust_code=self.trust_code)
        return self._project(self.model.embed_image, self._image.encode_image(list(images)),
                             self.model.image_dim, "image")


@register("baseline", "the project's trained baseline: baseline:PATH (checkpoint or training out dir)")
def _baseline(argument: str, *, device: str | None = None, batch_size: int | None = None, text: Any = None,
              image: Any = None, trust_code: bool = False) -> BaselineEncoder:
    """``batch_size`` is accepted for the harness's sake; the frozen encoders batch themselves.
    ``trust_code`` lets the checkpoint's config name ``py:`` encoders (see ``build``)."""
    return BaselineEncoder(argument, text=text, image=image, device=device, trust_code=trust_code)
