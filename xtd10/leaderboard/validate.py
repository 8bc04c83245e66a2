"""Small field checkers for the reported-numbers reader (:mod:`xtd10.leaderboard.reported`;
result files are checked by :mod:`xtd10.schema`).

They raise the reader's own error class with ``<file>: <field>: <problem>`` so that every
message points at the exact place to fix.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, overload

from xtd10.errors import UnknownLanguageError
from xtd10.languages import normalize_language
from xtd10.schema import AGGREGATES, ALL_LANGUAGES, LANGUAGE_CODE
from xtd10.userfiles import brief

AGGREGATE_LANGUAGES = (*AGGREGATES, ALL_LANGUAGES)


class Checker:
    """Binds a file name and an error class so each check is one short call."""

    def __init__(self, where: str, error: type[Exception]):
        self.where = where
        self.error = error

    def fail(self, field: str, problem: str) -> Exception:
        return self.error(f"{self.where}: {field}: {problem}")

    def mapping(self, value: Any, field: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(field, f"expected a mapping, got {type(value).__name__}")
        return value

    def text(self, value: Any, field: str, *, optional: bool = False) -> str:
        if value is None and optional:
            return ""
        if not isinstance(value, str) or (not value.strip() and not optional):
            raise self.fail(field, f"expected a non-empty string, got {brief(value, 80)}")
        return value

    @overload
    def number(self, value: Any, field: str, *, optional: Literal[False] = False) -> float: ...
    @overload
    def number(self, value: Any, field: str, *, optional: bool) -> float | None: ...
    def number(self, value: Any, field: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(field, f"expected a finite number, got {brief(value, 80)}")
        return float(value)

    def language(self, value: Any, field: str) -> str:
        code = self.text(value, field).strip()
        if code in AGGREGATE_LANGUAGES:
            return code
        try:
            return normalize_language(code)
        except UnknownLanguageError:
            # Languages added with the crowd tools are not in the built-in registry.
            if LANGUAGE_CODE.match(code):
                return code
            raise self.fail(field, f"not a language code: {brief(code, 40)}") from None
