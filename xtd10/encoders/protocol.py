"""The encoder interface shared by the benchmark, the crowd tools and the baseline.

An encoder maps captions (given their language) and, optionally, images to vectors in one
space. Keeping the interface this small is what lets any model — a Hub checkpoint, an
offline package, the project's own baseline, third-party code — be scored identically.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from xtd10.errors import XTD10Error


class EncoderError(XTD10Error):
    """An encoder could not be built or returned unusable output."""


@dataclass
class EncoderMeta:
    """What a result file records about the model that produced it."""

    name: str
    spec: str
    revision: str | None = None
    embedding_dim: int | None = None
    parameters: int | None = None
    license: str | None = None
    modalities: tuple[str, ...] = ("text",)
    extra: dict[str, Any] = field(default_factory=dict)
    # Languages the text side was trained on (toolkit codes); None: not declared. A fact
    # of the model, not of a run, so result files leave it out (see ``encoders/metadata.py``).
    languages: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["modalities"] = list(self.modalities)
        data.pop("languages")
        return data


@runtime_checkable
class Encoder(Protocol):
    """Anything with ``meta`` and ``encode_text``; ``encode_image`` is optional.

    Outputs are float arrays of shape (n, d); the harness L2-normalises them, so
    encoders need not. An optional ``device`` attribute says where the model really runs;
    result files record it rather than the device that was asked for.
    """

    meta: EncoderMeta

    def encode_text(self, texts: Sequence[str], *, language: str) -> np.ndarray: ...


def supports_images(encoder: object) -> bool:
    return callable(getattr(encoder, "encode_image", None))
