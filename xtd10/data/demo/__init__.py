"""The embedded demo set: about a dozen real photos that ship inside scikit-image,
scikit-learn and matplotlib, with one caption per image in every XTD10 language.

Why it exists: the COCO images of XTD10 cannot be fetched everywhere, yet the image track
of the benchmark must run for real — offline, in CI and in ``xtd10 demo``. The captions
(``captions.json``) were written for this project; the images are read in place from the
installed packages, never copied.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from xtd10.errors import XTD10Error
from xtd10.files import sha256_file
from xtd10.languages import REGISTRY
from xtd10.schema import DEMO

CAPTIONS_FILE = "captions.json"
DATASET_NAME = DEMO.name
COCO_SPLIT = "demo"  # the demo images are not from COCO: no val2014/train2014 subsets
PACKAGE_NAMES = {"skimage": "scikit-image", "sklearn": "scikit-learn", "matplotlib": "matplotlib"}


class DemoDataError(XTD10Error):
    """The demo captions are malformed or a demo image's package is not installed."""


@dataclass(frozen=True)
class DemoImage:
    index: int
    key: str
    package: str
    relpath: str  # inside the installed package
    credit: str
    license: str

    @property
    def file_name(self) -> str:
        return f"{self.key}{Path(self.relpath).suffix}"


def captions_path() -> Path:
    return Path(str(resources.files(__name__).joinpath(CAPTIONS_FILE)))


@functools.lru_cache(maxsize=1)
def _raw() -> dict:
    path = captions_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DemoDataError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
    for number, entry in enumerate(data.get("images", [])):
        for field_name in ("id", "package", "path", "captions"):
            if field_name not in entry:
                raise DemoDataError(f"{path}: images[{number}] lacks the field {field_name!r}")
        if entry["package"] not in PACKAGE_NAMES:
            raise DemoDataError(f"{path}: images[{number}].package {entry['package']!r} is not one of "
                                f"{', '.join(PACKAGE_NAMES)}")
    return data


def demo_images() -> list[DemoImage]:
    return [
        DemoImage(i, e["id"], e["package"], e["path"], e.get("credit", ""), e.get("license", ""))
        for i, e in enumerate(_raw()["images"])
    ]


def demo_languages() -> list[str]:
    """Languages captioned for every demo image, in registry order."""
    entries = _raw()["images"]
    common = set.intersection(*(set(e["captions"]) for e in entries))
    return [code for code in REGISTRY.codes if code in common]


def demo_frame(languages: str | Iterable[str] | None = None) -> pd.DataFrame:
    """Demo captions in the long format of :func:`xtd10.data.load_frame`."""
    codes = REGISTRY.resolve_many(languages)
    entries = _raw()["images"]
    rows = []
    for code in codes:
        for image, entry in zip(demo_images(), entries, strict=True):
            caption = entry["captions"].get(code)
            if not caption or not caption.strip():
                raise DemoDataError(f"{captions_path()}: image {image.key!r} has no {code!r} caption")
            rows.append((image.index, image.index, image.file_name, COCO_SPLIT, code, 0, caption))
    return pd.DataFrame.from_records(
        rows, columns=["index", "image_id", "file_name", "coco_split", "language", "caption_index", "caption"]
    )


def _package_root(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DemoDataError(
            f"the demo images need the package {PACKAGE_NAMES[package]!r}: pip install {PACKAGE_NAMES[package]}"
        )
    return Path(next(iter(spec.submodule_search_locations)))


def demo_image_paths() -> dict[str, Path]:
    """``{file_name: path}`` of every demo image inside its installed package."""
    paths = {}
    for image in demo_images():
        path = _package_root(image.package) / image.relpath
        if not path.is_file():
            raise DemoDataError(
                f"demo image {image.key!r}: {path} is missing from the installed {PACKAGE_NAMES[image.package]}"
            )
        paths[image.file_name] = path
    return paths


def demo_file_hashes() -> dict[str, str]:
    """sha256 of the caption file and of every image (what the demo revision is made of)."""
    hashes = {f"demo/{CAPTIONS_FILE}": sha256_file(captions_path())}
    for name, path in demo_image_paths().items():
        hashes[f"demo/images/{name}"] = sha256_file(path)
    return hashes


def demo_revision(hashes: dict[str, str] | None = None) -> str:
    hashes = hashes if hashes is not None else demo_file_hashes()
    joined = "\n".join(f"{rel} {digest}" for rel, digest in sorted(hashes.items()))
    return "demo-" + hashlib.sha256(joined.encode()).hexdigest()[:16]


__all__ = ["COCO_SPLIT", "DATASET_NAME", "DemoDataError", "DemoImage", "demo_file_hashes", "demo_frame",
           "demo_image_paths", "demo_images", "demo_languages", "demo_revision"]
