"""The offline language identifier used by the wrong-language and untranslated rules.

py3langid was chosen over lingua-language-detector after comparing both on the real
XTD10 captions (numbers in docs/crowdsourcing.md): similar accuracy on short captions
once close relatives (ru/bg/mk, es/gl/an, zh/wuu) are accepted as the same language,
and about 10x faster with no 20-second model load. Its model ships inside its wheel.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from xtd10.crowd.errors import CrowdError
from xtd10.errors import install_extra_hint


@functools.lru_cache(maxsize=1)
def _identifier():
    try:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier
    except ImportError:
        raise CrowdError(f"the language identifier needs py3langid: {install_extra_hint('crowd')}") from None
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify(texts: Iterable[str]) -> list[tuple[str, float]]:
    """(ISO 639 label, probability) per text; each distinct text is classified once."""
    ident = _identifier()
    cache: dict[str, tuple[str, float]] = {}
    out = []
    for text in texts:
        result = cache.get(text)
        if result is None:
            label, prob = ident.classify(text)
            result = cache[text] = (str(label), float(prob))
        out.append(result)
    return out


def labels() -> frozenset[str] | None:
    """Every label the identifier can output, or None without py3langid."""
    try:
        return frozenset(str(label) for label in _identifier().nb_classes)
    except CrowdError:
        return None


def available() -> bool:
    try:
        _identifier()
    except CrowdError:
        return False
    return True
