"""Cross-lingual similarity between each text and its English source.

An encoder only means something for languages it was trained on: mUSE scores correct
Hindi translations as unrelated because it never saw Hindi. So each language of a batch
gets an encoder that covers it (``EncoderMeta.languages``, which the built-in adapters fill
from the model metadata, :mod:`xtd10.encoders.metadata`): by default the first of
:data:`DEFAULT_SPECS` that does (mUSE for its 16 languages, multilingual-e5-small for the
other ~100 XLM-R languages); a language none covers is skipped with one notice instead of
producing noise. Each language's threshold is per encoder (settings
``semantic.thresholds``, else the calibrated value packaged in ``semantic.yaml``, else
``semantic.min_similarity``), because cosines from different models are not comparable.

Encoders are injectable (tests use a cheap fake); an encoder that declares no languages
is trusted for every language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xtd10.crowd.calibration import unit_vectors
from xtd10.crowd.refusals import phrase_vectors
from xtd10.crowd.settings import canonical_code
from xtd10.encoders.protocol import Encoder

log = logging.getLogger(__name__)

AUTO = "auto"
DEFAULT_SPECS = ("muse", "e5-small")


def default_encoder(spec: str = "muse") -> Encoder:
    """Build one encoder by spec (``xtd10.encoders.get``)."""
    import xtd10.encoders as encoders

    return encoders.get(spec)


def encoder_languages(encoder: Encoder) -> tuple[str, ...] | None:
    """The languages ``encoder`` declares it was trained on (canonical codes), or None."""
    declared = getattr(getattr(encoder, "meta", None), "languages", None)
    return None if declared is None else tuple(canonical_code(c) for c in declared)


def covers(encoder: Encoder, code: str) -> bool | None:
    """Whether ``encoder`` was trained on ``code``; None when it declares no languages."""
    declared = encoder_languages(encoder)
    if declared is None:
        return None
    code = canonical_code(code)
    return code in declared or code.split("-")[0] in declared


def spec_of(encoder: Encoder) -> str:
    return str(getattr(encoder.meta, "spec", "") or encoder.meta.name)


@dataclass(frozen=True)
class Choice:
    """The encoder that scores one language, or why none does."""

    language: str
    encoder: Encoder | None
    spec: str = ""
    note: str = ""  # why the language is skipped, or why an uncovering encoder is used anyway


@dataclass
class Semantic:
    """Picks an encoder per language and remembers what it chose (for the report).

    ``explicit``: one encoder for every language (``--encoder``); languages it declares it
    does not cover are skipped with a warning unless ``force`` (``--force-encoder``).
    Without it, the first of ``specs`` that covers the language is built (once) and used.
    """

    explicit: Encoder | None = None
    force: bool = False
    specs: tuple[str, ...] = DEFAULT_SPECS
    build: Callable[[str], Encoder] = default_encoder
    choices: dict[str, Choice] = field(default_factory=dict)
    _built: dict[str, Encoder | Exception] = field(default_factory=dict, repr=False)

    def choose(self, code: str) -> Choice:
        code = canonical_code(code)
        if code not in self.choices:
            self.choices[code] = choice = self._choose(code)
            if choice.encoder is None or choice.note:
                log.warning("semantic rule, language %r: %s", code, choice.note)
        return self.choices[code]

    def _choose(self, code: str) -> Choice:
        if self.explicit is not None:
            spec = spec_of(self.explicit)
            if covers(self.explicit, code) is False:
                if self.force:
                    return Choice(code, self.explicit, spec, f"{spec} was not trained on {code!r}; used anyway "
                                  "(--force-encoder): expect low similarities for correct translations")
                return Choice(code, None, spec, f"skipped: {spec} was not trained on {code!r} (choose another "
                              "--encoder, leave it out to pick one automatically, or pass --force-encoder)")
            return Choice(code, self.explicit, spec)
        tried = []
        for spec in self.specs:
            encoder = self._get(spec)
            if isinstance(encoder, Exception):
                tried.append(f"{spec} unavailable ({encoder})")
                continue
            if covers(encoder, code) is not False:
                return Choice(code, encoder, spec)
            tried.append(f"{spec} not trained on it")
        return Choice(code, None, "", "skipped: no offline encoder covers this language ("
                      + "; ".join(tried) + "); pass --encoder SPEC --force-encoder to score it anyway")

    def _get(self, spec: str) -> Encoder | Exception:
        if spec not in self._built:
            from xtd10.errors import XTD10Error

            try:
                self._built[spec] = self.build(spec)
            except XTD10Error as err:
                self._built[spec] = err
        return self._built[spec]

    def summary(self) -> dict[str, dict]:
        """Per language: the encoder used (spec) and threshold, or the reason it was skipped."""
        return {code: {"encoder": c.spec if c.encoder is not None else "", "note": c.note}
                for code, c in sorted(self.choices.items())}


def as_semantic(encoder: Encoder | Semantic | None) -> Semantic | None:
    """``run_rules`` takes an encoder (used for the languages it covers) or a :class:`Semantic`."""
    if encoder is None or isinstance(encoder, Semantic):
        return encoder
    return Semantic(explicit=encoder)


def semantic_from_spec(spec: str | None, *, force: bool = False) -> Semantic:
    """``--encoder`` on the command line: ``auto``/None picks per language."""
    if spec in (None, "", AUTO):
        return Semantic(force=force)
    return Semantic(explicit=default_encoder(spec), force=force)


@dataclass
class Scores:
    """Aligned to a batch: cosine(text, English), the best cosine to a refusal phrase, and
    the encoder spec that produced them ("" where the language was skipped)."""

    similarity: pd.Series
    refusal: pd.Series
    encoder: pd.Series


def score(frame: pd.DataFrame, semantic: Semantic, *, refusals: bool = True, batch_size: int = 256) -> Scores:
    """Similarities per row, each language with its chosen encoder; each distinct string
    is encoded once, and the refusal score reuses the text's embedding."""
    sim = pd.Series(np.nan, index=frame.index, dtype=float)
    ref = pd.Series(np.nan, index=frame.index, dtype=float)
    used = pd.Series("", index=frame.index, dtype=object)
    for language, group in frame.groupby("language", sort=False):
        choice = semantic.choose(str(language))
        if choice.encoder is None:
            continue
        text_ok = group["text"].fillna("").str.strip().ne("")
        group = group[text_ok]
        if group.empty:
            continue
        texts = list(dict.fromkeys(group["text"]))
        t = unit_vectors(choice.encoder, texts, str(language), batch_size)
        ti = group["text"].map({v: i for i, v in enumerate(texts)}).to_numpy()
        used.loc[group.index] = choice.spec
        with_en = group[group["english"].fillna("").str.strip().ne("")]
        if not with_en.empty:
            sources = list(dict.fromkeys(with_en["english"]))
            s = unit_vectors(choice.encoder, sources, "en", batch_size)
            si = with_en["english"].map({v: i for i, v in enumerate(sources)}).to_numpy()
            wi = with_en["text"].map({v: i for i, v in enumerate(texts)}).to_numpy()
            sim.loc[with_en.index] = np.einsum("ij,ij->i", t[wi], s[si])
        if refusals:
            phrases = phrase_vectors(choice.encoder, choice.spec)
            ref.loc[group.index] = (t @ phrases.T).max(axis=1)[ti]
    return Scores(sim, ref, used)


def similarities(frame: pd.DataFrame, encoder: Encoder | Semantic, batch_size: int = 256) -> pd.Series:
    """cosine(text, english) per row; NaN where either side is empty or no encoder covers
    the language."""
    semantic = encoder if isinstance(encoder, Semantic) else Semantic(explicit=encoder)
    return score(frame, semantic, refusals=False, batch_size=batch_size).similarity
