"""One vocabulary: the words of a result (metric names, directions, subsets, aggregates) are
written out in the schema's words module only, and the XTD10 language codes in the language
registry only; every other module imports them.

The check reads the source (ast), not the running code, so a copy is found wherever it
sits: a string constant that *is* one of the words, a key-like constant built around one
(``"t2i_"``, ``"stored R@"``, the start of ``f"R@{k}"``), or a tuple, list or set that
spells out the eleven XTD10 codes or the default k values ``(1, 5, 10)``. Prose (docstrings, help text, messages that mention
``R@10`` in a sentence) is left alone: it talks about the words, it does not define them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import xtd10
from xtd10.languages import XTD10_CODES
from xtd10.schema import (
    AGGREGATES,
    CONSISTENCY,
    DATASETS,
    DEFAULT_KS,
    DIRECTION_DESCRIPTIONS,
    DIRECTION_PLAIN_WORDS,
    DIRECTIONS,
    METRIC_ORDER,
)

PACKAGE = Path(xtd10.__file__).resolve().parent
# where each kind of word is written out
WORDS_HOME = PACKAGE / "schema" / "words.py"
CODES_HOME = PACKAGE / "languages.py"

_RECALL = re.compile(r"R@[0-9]*")
_KEY_LIKE = re.compile(r"[A-Za-z0-9@_ ]+")


def vocabulary() -> set[str]:
    """Every word of a result that must not be spelled out twice. ``all`` (a subset, and the
    CLI's word for many things) and the track names ``image``/``text`` are too common in
    other senses to police; the rest are unmistakable."""
    subsets = {s for d in DATASETS.values() for s in d.subsets} - {"all"}
    return {*DIRECTIONS, *DIRECTION_DESCRIPTIONS.values(), *DIRECTION_PLAIN_WORDS.values(), *METRIC_ORDER,
            CONSISTENCY, *subsets, *AGGREGATES}


def _not_values(tree: ast.AST) -> set[int]:
    """Constants that are not values: docstrings, and the names listed in ``__all__``."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            found.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _is_word_literal(text: str, words: set[str]) -> bool:
    if text in words:
        return True
    if not _KEY_LIKE.fullmatch(text):
        return False  # prose or a pattern: it mentions the words, it does not define them
    parts = re.split(r"[_ ]", text)
    if any(part in words for part in parts) and len(parts) > 1 and " " not in text:
        return True  # "t2i_", "t2i_R@10", "_val2014_": a key built around a word
    return bool(_RECALL.fullmatch(parts[-1])) and len(parts) <= 2  # "R@", "stored R@": building R@k by hand


def literals_outside_home(path: Path, words: set[str], source: str | None = None) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source, str(path))
    skip = _not_values(tree)
    where = path.relative_to(PACKAGE.parent)
    codes = set(XTD10_CODES)
    for node in ast.walk(tree):
        if path != WORDS_HOME and isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and id(node) not in skip and _is_word_literal(node.value, words):
            yield f"{where}:{node.lineno}: {node.value!r}"
        if path != CODES_HOME and isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if items == codes:
                yield f"{where}:{node.lineno}: the eleven XTD10 language codes"
            numbers = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, int)]
            if path != WORDS_HOME and len(numbers) == len(node.elts) and tuple(numbers) == DEFAULT_KS:
                yield f"{where}:{node.lineno}: the default ks {DEFAULT_KS}"


def test_no_vocabulary_literal_outside_its_home() -> None:
    words = vocabulary()
    found = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in literals_outside_home(path, words)]
    assert found == [], "import these from xtd10.schema / xtd10.languages instead:\n" + "\n".join(found)


def test_the_check_finds_each_kind_of_copy() -> None:
    source = ('"""R@10 in a docstring is fine."""\n__all__ = ["MRR"]\n'
              'A = "R@1"\nB = f"R@{k}"\nC = {"t2i_" + "x": 1}\n'
              'D = ("en", "de", "es", "fr", "it", "ja", "ko", "pl", "ru", "tr", "zh")\n'
              'E = "a sentence about R@10 is prose"\nK = (1, 5, 10)\nF = "text → image"\nG = "consistency"\n')
    hits = {hit.split(": ", 1)[1] for hit in literals_outside_home(PACKAGE / "sample.py", vocabulary(), source)}
    assert hits == {"'R@1'", "'R@'", "'t2i_'", "the eleven XTD10 language codes", "'text → image'", "'consistency'",
                    "the default ks (1, 5, 10)"}
