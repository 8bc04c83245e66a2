"""``xtd10.load``: XTD10 as Hugging Face ``datasets`` objects in one line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import datasets
import pandas as pd

from xtd10.data.sources import Source, resolve_source
from xtd10.data.table import load_frame
from xtd10.languages import ENGLISH

FEATURES = datasets.Features(
    {
        "index": datasets.Value("int32"),
        "image_id": datasets.Value("int64"),
        "file_name": datasets.Value("string"),
        "coco_split": datasets.Value("string"),
        "language": datasets.Value("string"),
        "caption_index": datasets.Value("int32"),
        "caption": datasets.Value("string"),
    }
)


def _without_flagged(frame: pd.DataFrame, src: Source, rules: list[str] | None) -> pd.DataFrame:
    from xtd10.crowd.audit import flagged_indices

    keep = pd.Series(True, index=frame.index)
    for code in frame["language"].unique():
        if code == ENGLISH:
            continue
        flagged = flagged_indices(code, src, rules=rules)
        keep &= ~((frame["language"] == code) & frame["index"].isin(flagged))
    return frame[keep].reset_index(drop=True)


def _single_language(languages: str | Iterable[str] | None) -> bool:
    return isinstance(languages, str) and languages.strip().lower() != "all" and "," not in languages


def load(
    languages: str | Iterable[str] | None = None,
    *,
    source: str | Source | None = None,
    images: bool | str | None = False,
    subset: str | None = None,
    exclude_flagged: bool | Sequence[str] = False,
) -> datasets.Dataset | datasets.DatasetDict:
    """Load XTD10.

    ``load("es")`` gives a ``Dataset`` (split ``test``) in upstream order; ``load()`` or a
    list of languages gives a ``DatasetDict`` keyed by language code. ``images=True``
    adds an ``image`` column (see :func:`xtd10.data.images.resolve_images` for where images
    come from; a path or URL may be passed instead of ``True``). ``subset="val2014"``
    keeps the 200 images that are not in COCO train2014. ``exclude_flagged=True`` drops
    captions that the crowd audit flags with reject severity (or, given rule ids, those
    rules); English is the audit's reference and is never filtered.
    """
    src = resolve_source(source)
    frame = load_frame(languages, source=src, subset=subset)
    if exclude_flagged:
        frame = _without_flagged(frame, src, None if exclude_flagged is True else list(exclude_flagged))
    image_paths = None
    if images:
        from xtd10.data.images import resolve_images

        names = list(dict.fromkeys(frame["file_name"]))
        image_paths = resolve_images(names, images, source=src)
    out = {}
    for code, part in frame.groupby("language", sort=False):
        ds = datasets.Dataset.from_pandas(part.reset_index(drop=True), features=FEATURES,
                                          split=datasets.Split.TEST, preserve_index=False)
        if image_paths is not None:
            ds = ds.add_column("image", [str(image_paths[n]) for n in part["file_name"]])
            ds = ds.cast_column("image", datasets.Image())
        out[code] = ds
    if _single_language(languages):
        return next(iter(out.values()))
    return datasets.DatasetDict(out)
