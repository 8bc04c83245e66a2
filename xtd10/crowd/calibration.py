"""The semantic and refusal rules' calibration: the packaged ``semantic.yaml`` (thresholds per
encoder, refusal phrases), the thresholds a language's settings pick from it, and unit
vectors of texts.

Both rules read these, and the calibration script writes them; keeping them here lets
:mod:`xtd10.crowd.semantic` (which picks encoders) and :mod:`xtd10.crowd.refusals` (which
matches phrases) each import this module instead of each other.
"""

from __future__ import annotations

import copy
import functools
from importlib import resources
from pathlib import Path

import numpy as np

from xtd10.crowd.language_settings import LanguageSettings
from xtd10.encoders.protocol import Encoder

DATA_FILE = "semantic.yaml"


def packaged_data() -> dict:
    """``xtd10/crowd/semantic.yaml``: calibrated thresholds per encoder, refusal phrases.

    Parsed once per process (the rules ask for it per language and per encoder; parsing
    it per row made the refusal rule take seconds per thousand rows); each caller gets
    its own copy, so changing one cannot change what the next caller reads.
    """
    return copy.deepcopy(_parsed_packaged_data())


@functools.cache
def _parsed_packaged_data() -> dict:
    from xtd10.crowd.errors import SettingsError
    from xtd10.userfiles import parse_yaml

    text = resources.files("xtd10.crowd").joinpath(DATA_FILE).read_text(encoding="utf-8")
    return parse_yaml(text, f"xtd10/crowd/{DATA_FILE}", SettingsError) or {}


def update_packaged_thresholds(values: dict[str, float]) -> Path:
    """Store calibrated thresholds in the packaged data file (calibration script)."""
    import yaml

    from xtd10.files import atomic_write_text

    path = Path(str(resources.files("xtd10.crowd").joinpath(DATA_FILE)))
    data = packaged_data()
    data["thresholds"] = {**(data.get("thresholds") or {}), **{k: round(float(v), 2) for k, v in values.items()}}
    atomic_write_text(path, yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    _parsed_packaged_data.cache_clear()  # the next reader sees the new thresholds
    return path


def threshold(settings: LanguageSettings, spec: str) -> float:
    """The similarity under which a text is flagged, for ``spec`` in ``settings``' language."""
    own = dict(settings.semantic_thresholds)
    if spec in own:
        return float(own[spec])
    packaged = packaged_data().get("thresholds") or {}
    if spec in packaged:
        return float(packaged[spec])
    return float(settings.min_similarity)


def refusal_phrases() -> list[str]:
    """The English refusal phrases every language's texts are compared with."""
    return [str(p) for p in packaged_data().get("refusal_phrases") or []]


def refusal_threshold(spec: str) -> float | None:
    """Cosine at or over which a text counts as a refusal with encoder ``spec``; None
    when the encoder was never calibrated (the cross-lingual check is then off)."""
    value = (packaged_data().get("refusal_thresholds") or {}).get(spec)
    return None if value is None else float(value)


def unit_vectors(encoder: Encoder, texts: list[str], language: str, batch_size: int) -> np.ndarray:
    """``texts`` encoded in batches and L2-normalised, so a dot product is a cosine."""
    parts = [encoder.encode_text(texts[i:i + batch_size], language=language)
             for i in range(0, len(texts), batch_size)]
    x = np.asarray(np.concatenate(parts, axis=0), dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
