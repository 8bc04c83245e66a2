"""What the runner scores: images, captions per language and the data's identity.

Every dataset with a pinned release (XTD10, XTD200, Flickr30k-200: captions from a source,
images from a folder or the web) and the embedded demo set look the same from here, so the
runner has one code path and the result file records the same kind of provenance
(revision, file hashes) for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from xtd10.errors import XTD10Error
from xtd10.languages import REGISTRY, LanguageRegistry
from xtd10.schema import DATASETS, DEMO, SUBSET_ALL, DatasetDescriptor, dataset_descriptor

if TYPE_CHECKING:
    from xtd10.data.images import ImagesArg
    from xtd10.data.sources import SourceArg


class BenchmarkError(XTD10Error):
    """A benchmark run was asked for something it cannot do (bad track, subset, data...)."""


@dataclass
class BenchData:
    """Captions (long format, like :func:`xtd10.data.load_frame`) and images of one dataset."""

    name: str  # as written to the result file: "xtd10", "xtd200", "xtd10-demo", ...
    frame: pd.DataFrame  # index, file_name, coco_split, language, caption_index, caption
    image_files: list[str]  # file name of image i (the ``index`` column refers to it)
    image_splits: list[str]
    source: dict
    revision: str
    file_sha256: dict[str, str]
    registry: LanguageRegistry = field(repr=False, default=REGISTRY)  # resolves the user's language codes
    _image_paths: Callable[[], dict[str, Path]] = field(repr=False, default=dict)
    _by_language: dict[str, pd.DataFrame] = field(repr=False, default_factory=dict)

    @property
    def languages(self) -> list[str]:
        return list(dict.fromkeys(self.frame["language"]))

    def image_paths(self) -> dict[str, Path]:
        """``{file_name: local path}``; only called when the image track runs."""
        return self._image_paths()

    def subset_images(self, subset: str) -> np.ndarray:
        """Indices of the images in ``subset`` (``all`` or a COCO split)."""
        splits = np.asarray(self.image_splits)
        if subset == SUBSET_ALL:
            return np.arange(len(splits))
        chosen = np.flatnonzero(splits == subset)
        if len(chosen) == 0:
            raise BenchmarkError(
                f"subset {subset!r} has no images in dataset {self.name!r}; "
                f"choose one of: {', '.join(['all', *sorted(set(self.image_splits))])}"
            )
        return chosen

    def captions(self, language: str) -> pd.DataFrame:
        """Captions of ``language`` in image order, so that with one caption per image,
        query i is image i in every language (what paired resampling relies on)."""
        if language not in self._by_language:
            rows = self.frame[self.frame["language"] == language]
            if rows.empty:
                raise BenchmarkError(f"dataset {self.name!r} has no captions in language {language!r}")
            self._by_language[language] = rows.sort_values(["index", "caption_index"], kind="stable").reset_index(
                drop=True)
        return self._by_language[language]


def load_release(descriptor: DatasetDescriptor, languages: str | Iterable[str] | None, source: SourceArg,
                 images: ImagesArg) -> BenchData:
    """A dataset read from its pinned release (or a local copy): XTD10, XTD200, Flickr30k-200."""
    from xtd10.data import load_frame, read_images, resolve_source

    src = resolve_source(source, descriptor)
    codes = src.registry.resolve_many(languages)
    frame = load_frame(codes, source=src, dataset=descriptor)
    entries = read_images(src)
    relpaths = src.relpaths(codes)
    hashes = src.file_hashes(relpaths)
    file_names = [e.file_name for e in entries]

    def image_paths() -> dict[str, Path]:
        from xtd10.data.images import resolve_images

        return resolve_images(file_names, True if images is None else images, source=src)

    return BenchData(
        name=descriptor.name,
        frame=frame,
        image_files=file_names,
        image_splits=[e.coco_split for e in entries],
        source=src.describe(),
        revision=src.revision(relpaths),
        file_sha256=hashes,
        registry=src.registry,
        _image_paths=image_paths,
    )


def load_demo(languages: str | Iterable[str] | None) -> BenchData:
    from xtd10.data import demo

    frame = demo.demo_frame(languages)
    images = demo.demo_images()
    hashes = demo.demo_file_hashes()
    return BenchData(
        name=DEMO.name,
        frame=frame,
        image_files=[img.file_name for img in images],
        image_splits=[demo.COCO_SPLIT] * len(images),
        source={"kind": "embedded", "location": "xtd10.data.demo"},
        revision=demo.demo_revision(hashes),
        file_sha256=hashes,
        _image_paths=demo.demo_image_paths,
    )


def load_bench_data(
    dataset: str, languages: str | Iterable[str] | None, source: SourceArg = None, images: ImagesArg = None
) -> BenchData:
    """The data of the dataset named ``dataset`` (its descriptor's key, see :mod:`xtd10.schema`)."""
    descriptor = dataset_descriptor(dataset)
    if descriptor is None:
        raise BenchmarkError(f"unknown dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
    if source is not None and not descriptor.takes_source:
        raise BenchmarkError(f"a caption source (source= / --source) does not apply to the {descriptor.title}: "
                             "it ships its own captions")
    if images is not None and not descriptor.takes_images:
        raise BenchmarkError(f"images= / --images does not apply to the {descriptor.title}: it ships its own images")
    if descriptor.release is not None:
        return load_release(descriptor, languages, source, images)
    if descriptor.key != DEMO.key:
        raise BenchmarkError(f"the {descriptor.title} has neither a release nor embedded data")
    return load_demo(languages)
