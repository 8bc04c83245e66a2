"""The captions of a dataset as plain records, independent of the ``datasets`` library.

This is the single place that turns a source into rows. ``xtd10.load`` wraps it in
``datasets`` objects; the benchmark, crowd tools and Hub build use it directly. Every
dataset gives the same columns: XTD200 rows name the XTD10 (COCO) images, Flickr30k-200
rows the Flickr30k test images (``coco_split`` is then ``test``, the split they come from).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from xtd10.data.reading import read_image_list, read_indexed_captions, read_line_captions
from xtd10.data.sources import Source, resolve_source
from xtd10.errors import SourceError
from xtd10.languages import Language
from xtd10.schema import XTD10, DatasetDescriptor, dataset_descriptor

COLUMNS = ("index", "image_id", "file_name", "coco_split", "language", "caption_index", "caption")
SUBSETS = XTD10.subsets
_COCO_NAME = re.compile(r"^COCO_(train2014|val2014)_(\d{12})\.jpg$")
_FLICKR_NAME = re.compile(r"^(\d{1,12})\.jpg$")
FLICKR_SPLIT = "test"  # the Flickr30k-200 images are Flickr30k's 1000 test images


@dataclass(frozen=True)
class ImageEntry:
    index: int
    file_name: str
    image_id: int
    coco_split: str


def parse_coco_name(file_name: str, where: str = "") -> tuple[str, int]:
    """(split, image id) from ``COCO_val2014_000000123456.jpg``."""
    match = _COCO_NAME.match(file_name)
    if not match:
        raise SourceError(f"{where or file_name}: {file_name!r} is not a COCO 2014 file name")
    return match.group(1), int(match.group(2))


def parse_flickr_name(file_name: str, where: str = "") -> tuple[str, int]:
    """(split, image id) from ``1007129816.jpg``."""
    match = _FLICKR_NAME.match(file_name)
    if not match:
        raise SourceError(f"{where or file_name}: {file_name!r} is not a Flickr30k file name")
    return FLICKR_SPLIT, int(match.group(1))


IMAGE_NAME_PARSERS = {"coco2014": parse_coco_name, "flickr30k": parse_flickr_name}


def read_images(source: Source) -> list[ImageEntry]:
    """The dataset's images in the order of its image list (row ``index`` refers to it)."""
    path = source.path(source.dataset.image_list)
    parse = IMAGE_NAME_PARSERS[source.dataset.image_kind]
    entries = []
    for i, name in enumerate(read_image_list(path)):
        split, image_id = parse(name, f"{path}:{i + 1}")
        entries.append(ImageEntry(i, name, image_id, split))
    return entries


def read_captions(source: Source, language: Language, images: list[ImageEntry]) -> pd.DataFrame:
    """One row per caption for ``language``, in upstream order."""
    path = source.path(language.upstream_path)
    if language.layout == "lines":
        pairs = list(enumerate(read_line_captions(path, len(images))))
    elif language.layout == "indexed":
        pairs = read_indexed_captions(path, [img.file_name for img in images])
    else:
        raise SourceError(f"language {language.code!r}: unknown caption layout {language.layout!r}")
    per_image: dict[int, int] = {}
    rows = []
    for image_index, caption in pairs:
        img = images[image_index]
        k = per_image.get(image_index, 0)
        per_image[image_index] = k + 1
        rows.append((img.index, img.image_id, img.file_name, img.coco_split, language.code, k, caption))
    frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS))
    return frame.astype({"index": "int32", "image_id": "int64", "caption_index": "int32"})


class UnknownSubsetError(SourceError, ValueError):
    """A subset the dataset does not have."""


def select_subset(frame: pd.DataFrame, subset: str | None, dataset: DatasetDescriptor = XTD10) -> pd.DataFrame:
    """XTD10 and XTD200: ``val2014``: the 200 images absent from COCO train2014 (leak-free
    for models trained on it); ``train2014``: the other 800; ``all``/``None``: everything."""
    if subset in (None, "all"):
        return frame
    if subset not in dataset.subsets:
        raise UnknownSubsetError(f"unknown subset {subset!r} of {dataset.title}; choose one of {', '.join(dataset.subsets)}")
    return frame[frame["coco_split"] == subset].reset_index(drop=True)


def descriptor_named(dataset: str | DatasetDescriptor) -> DatasetDescriptor:
    """The descriptor for a ``--dataset`` key (or the descriptor itself); a clear error otherwise."""
    if isinstance(dataset, DatasetDescriptor):
        return dataset
    found = dataset_descriptor(str(dataset))
    if found is None or found.release is None:
        from xtd10.schema import DATASETS

        choices = ", ".join(k for k, d in DATASETS.items() if d.release is not None)
        raise SourceError(f"unknown dataset {dataset!r}; choose one of {choices}")
    return found


def load_frame(
    languages: str | Iterable[str] | None = None,
    *,
    source: str | Source | None = None,
    subset: str | None = None,
    dataset: str | DatasetDescriptor = XTD10,
) -> pd.DataFrame:
    """All captions of the selected languages in long format (one row per caption)."""
    descriptor = descriptor_named(dataset)
    src = resolve_source(source, descriptor)
    codes = src.registry.resolve_many(languages)
    images = read_images(src)
    frames = [read_captions(src, src.registry.get(code), images) for code in codes]
    return select_subset(pd.concat(frames, ignore_index=True), subset, descriptor)
