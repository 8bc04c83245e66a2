"""The settings of one language as the rules, the task page and promotion read them.

A plain value: :mod:`xtd10.crowd.settings` reads and checks the files into it (and knows
the rules, to check ``outcomes``), while the rules only read it, so the value sits below
both.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LanguageSettings:
    code: str
    name: str
    script: str
    scripts: tuple[str, ...]
    min_script_fraction: float = 0.7
    langid_accept: tuple[str, ...] = ()  # empty: no language-identifier check
    langid_min_chars: int = 12
    langid_min_prob: float = 0.5
    length_unit: str = "words"
    length_min: float = 0.3
    length_max: float = 2.5
    length_min_source_words: int = 4
    min_similarity: float = 0.25  # for encoders without a calibrated threshold
    semantic_thresholds: tuple[tuple[str, float], ...] = ()  # (encoder spec, threshold)
    min_chars: int = 4
    min_words: int = 2  # languages measured in words; ``min_chars`` for the others
    max_chars: int = 1000  # longer answers are rejected, and the other rules read only this much
    outcomes: dict = field(default_factory=dict, compare=False)  # rule id -> "reject" / "review"
    min_work_seconds: float = 5.0
    max_chars_per_second: float = 6.0
    placeholders: tuple[str, ...] = ()
    refusals: tuple[str, ...] = ()  # phrases that make a short text a refusal (crowd.refusals)
    task_title: str = ""
    task_instructions: str = ""
    feedback: dict = field(default_factory=dict, compare=False)  # message id -> text for workers
    generic: bool = False  # no settings file: derived from the registry alone
    raw: dict = field(default_factory=dict, compare=False, repr=False)
