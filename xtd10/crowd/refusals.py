"""Refusals and placeholders in any language ("ich kann das nicht übersetzen", "पता नहीं").

Two checks, either of which flags a text:

- the language's own list (settings ``refusals``): phrases matched case-insensitively
  anywhere in a short text, for languages someone wrote them for;
- cross-lingually: cosine between the text and a few refusal phrases (packaged
  ``semantic.yaml``), with the multilingual encoder the semantic rule chose for the
  language, at or over a per-encoder threshold. This catches refusals in languages
  nobody wrote a list for, as long as an encoder covers the language.

Only short texts count (refusals are short; a long caption that mentions "no
translation" on a sign is a caption).
"""

from __future__ import annotations

import pandas as pd

from xtd10.crowd.calibration import refusal_phrases, refusal_threshold, unit_vectors
from xtd10.crowd.rule_context import Context
from xtd10.encoders.protocol import Encoder

MAX_CHARS = 80

# (id, spec) -> (encoder, vectors); the encoder is kept so that a reused id never
# returns another encoder's vectors
_vectors: dict[tuple[int, str], tuple[Encoder, object]] = {}


def phrase_vectors(encoder: Encoder, spec: str):
    """Unit vectors of the refusal phrases with ``encoder`` (encoded once per encoder)."""
    key = (id(encoder), spec)
    if key not in _vectors or _vectors[key][0] is not encoder:
        _vectors[key] = (encoder, unit_vectors(encoder, refusal_phrases(), "en", 64))
    return _vectors[key][1]


def listed(texts: pd.Series, refusals: tuple[str, ...]) -> pd.Series:
    """Whether each text contains one of the language's refusal phrases."""
    if not refusals:
        return pd.Series(False, index=texts.index)
    lowered = texts.fillna("").str.casefold()
    needles = [r.casefold() for r in refusals if r.strip()]
    return lowered.map(lambda t: any(n in t for n in needles)).astype(bool)


def check_refusal(df: pd.DataFrame, ctx: Context) -> pd.Series:
    """The ``refusal`` rule: listed phrase, or close to a refusal phrase cross-lingually."""
    text = df["text"].fillna("")
    short = text.str.strip().str.len().between(1, MAX_CHARS)
    by_list = listed(text, ctx.settings.refusals) & short
    detail = pd.Series("", index=df.index, dtype=object)
    scores, encoders = ctx.refusal, ctx.encoder
    if scores is not None and encoders is not None:
        # one lookup per encoder of the batch, not per row
        limits = encoders.map({s: refusal_threshold(s) if s else None for s in encoders.unique()})
        close = short & limits.notna() & scores.ge(limits.astype(float))
        detail = detail.mask(close, "close to a refusal (similarity " + scores.round(2).astype(str) + ", "
                             + encoders.astype(str) + ")")
    return detail.mask(by_list, "refusal phrase of the language's list")
