"""Zero-shot multilingual image tagging (the papers' downstream task).

A vocabulary of tags in any language is embedded with the text side of the model and
ranked by cosine similarity to the image embedding: training used English only, so any
other language is zero-shot.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from xtd10.baseline.errors import BaselineError
from xtd10.userfiles import read_text


@dataclass(frozen=True)
class Tag:
    tag: str
    score: float


def read_vocabulary(path: str | Path) -> list[str]:
    """One tag per line; blank lines and ``#`` comments ignored; duplicates are errors."""
    path = Path(path)
    tags: list[str] = []
    seen: dict[str, int] = {}
    for line_no, line in enumerate(read_text(path, BaselineError, "vocabulary file").splitlines(), start=1):
        tag = line.strip()
        if not tag or tag.startswith("#"):
            continue
        if tag in seen:
            raise BaselineError(f"{path}:{line_no}: duplicate tag {tag!r} (first on line {seen[tag]})")
        seen[tag] = line_no
        tags.append(tag)
    if not tags:
        raise BaselineError(f"{path}: vocabulary is empty")
    return tags


def rank_tags(encoder, image: Image.Image, vocabulary: list[str], *, language: str, top: int = 10) -> list[Tag]:
    """The ``top`` tags of ``vocabulary`` for ``image``, best first."""
    if top < 1:
        raise BaselineError(f"top must be >= 1, got {top}")
    if not vocabulary:
        raise BaselineError("vocabulary is empty")
    tags = encoder.encode_text(vocabulary, language=language)
    picture = encoder.encode_image([image.convert("RGB")])[0]
    tags = tags / np.linalg.norm(tags, axis=1, keepdims=True).clip(min=1e-12)
    picture = picture / max(float(np.linalg.norm(picture)), 1e-12)
    scores = tags @ picture
    order = np.argsort(-scores, kind="stable")[:top]
    return [Tag(vocabulary[k], float(scores[k])) for k in order]
