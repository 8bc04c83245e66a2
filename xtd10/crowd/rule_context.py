"""What a rule may read besides the rows of its batch.

Its own module so that rules defined outside :mod:`xtd10.crowd.rules` (the refusal rule in
:mod:`xtd10.crowd.refusals`) take the same typed context without importing the rule table.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from xtd10.crowd.language_settings import LanguageSettings


@dataclass
class Context:
    """What rules may use besides the rows: settings, identified languages, similarities."""

    settings: LanguageSettings
    langid: pd.DataFrame | None = None  # columns label, prob; aligned to the frame
    similarity: pd.Series | None = None  # cosine(text, english); aligned to the frame
    refusal: pd.Series | None = None  # best cosine to a refusal phrase; aligned to the frame
    encoder: pd.Series | None = None  # spec of the encoder behind both ("" where skipped)
