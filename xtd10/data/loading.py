"""``xtd10.load``: XTD10, XTD200 and Flickr30k-200 as Hugging Face ``datasets`` objects in one line."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import datasets
import pandas as pd

from xtd10.data.flagged import flagged_for, flagged_lists
from xtd10.data.sources import Source, resolve_source
from xtd10.data.table import descriptor_named, load_frame
from xtd10.languages import ENGLISH
from xtd10.schema import XTD10, DatasetDescriptor

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


ExcludeFlagged = bool | Sequence[str] | Mapping[str, Iterable[int]]


def _without_flagged(frame: pd.DataFrame, src: Source, exclude: ExcludeFlagged) -> pd.DataFrame:
    """``frame`` without the flagged captions: those given (a mapping language -> image
    indices), or those the crowd audit recorded for this revision of the source."""
    codes = [c for c in frame["language"].unique() if c != ENGLISH]
    if isinstance(exclude, Mapping):
        flagged = {code: {int(i) for i in exclude.get(code, ())} for code in codes}
    else:
        rules = None if exclude is True else list(exclude)  # type: ignore[arg-type]
        lists = flagged_lists(src.dataset, source_revision(src, codes))
        flagged = {code: flagged_for(lists, code, rules) for code in codes}
    keep = pd.Series(True, index=frame.index)
    for code in codes:
        keep &= ~((frame["language"] == code) & frame["index"].isin(flagged[code]))
    return frame[keep].reset_index(drop=True)


def source_revision(src: Source, codes: Iterable[str]) -> str:
    """The revision of the caption files that flags are recorded for (the image list, the
    languages' caption files and English, the audit's reference)."""
    return src.revision(src.relpaths([ENGLISH, *codes]))


def _single_language(languages: str | Iterable[str] | None) -> bool:
    return (isinstance(languages, str) and languages.strip().lower() != "all" and "," not in languages
            and not languages.strip().lower().startswith("script:"))


def dataset_info(dataset: DatasetDescriptor, revision: str) -> datasets.DatasetInfo:
    """What travels with every loaded split: licence, citation, where the data comes from."""
    release = dataset.release
    homepage = release.web_url if release is not None else ""
    return datasets.DatasetInfo(
        description=f"{dataset.title} (revision {revision}). {dataset.provenance}".strip(),
        citation=dataset.citation, homepage=homepage, license=dataset.licence, features=FEATURES,
    )


def load(
    languages: str | Iterable[str] | None = None,
    *,
    dataset: str | DatasetDescriptor = XTD10,
    source: str | Source | None = None,
    images: bool | str | None = False,
    subset: str | None = None,
    exclude_flagged: ExcludeFlagged = False,
) -> datasets.Dataset | datasets.DatasetDict:
    """Load XTD10 (or ``dataset="xtd200"``, ``"flickr30k-200"``).

    ``load("es")`` gives a ``Dataset`` (split ``test``) in upstream order; ``load()`` or a
    list of languages gives a ``DatasetDict`` keyed by language code. ``images=True``
    adds an ``image`` column (see :func:`xtd10.data.images.resolve_images` for where images
    come from; a path or URL may be passed instead of ``True``). ``subset="val2014"``
    keeps the 200 images that are not in COCO train2014. ``exclude_flagged=True`` drops
    captions that the crowd audit flagged with reject severity (or, given rule ids, those
    rules) — the audit records its flags (``xtd10 crowd audit``), loading reads them — and
    a mapping ``{language: [image index, ...]}`` drops exactly those; English is the
    audit's reference and is never filtered. For XTD200 and Flickr30k-200 the toolkit's
    own audit of the machine translations is used where no audit of your own was recorded.

    Languages are named by XTD10 code, BCP 47 tag or Flores-200 code (``"de"``,
    ``"deu_Latn"``, ``"zh-Hans"``), or ``"script:Arab"`` for every language in a script.
    ``info`` of every split carries the licence and the citation.
    """
    descriptor = descriptor_named(dataset)
    src = resolve_source(source, descriptor)
    frame = load_frame(languages, source=src, subset=subset, dataset=descriptor)
    if exclude_flagged:
        frame = _without_flagged(frame, src, exclude_flagged)
    image_paths = None
    if images:
        from xtd10.data.images import resolve_images

        names = list(dict.fromkeys(frame["file_name"]))
        image_paths = resolve_images(names, images, source=src)
    info = dataset_info(src.descriptor, source_revision(src, frame["language"].unique()))
    out = {}
    for code, part in frame.groupby("language", sort=False):
        ds = datasets.Dataset.from_pandas(part.reset_index(drop=True), features=FEATURES, info=info.copy(),
                                          split=datasets.Split.TEST, preserve_index=False)
        if image_paths is not None:
            ds = ds.add_column("image", [str(image_paths[n]) for n in part["file_name"]])
            ds = ds.cast_column("image", datasets.Image())
        out[code] = ds
    if _single_language(languages):
        return next(iter(out.values()))
    return datasets.DatasetDict(out)
