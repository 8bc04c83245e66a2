"""Finding the 1000 COCO images of XTD10.

Images can come from a local COCO 2014 root (``train2014/``, ``val2014/``), a flat folder
holding the files, or HTTP (the public COCO URLs by default). Downloads are concurrent,
retried with backoff, resumable and cached; every file — local or downloaded — must
decode. Missing or corrupt files are reported all together in one error: silently
dropping images (as some tools do) changes the gallery and makes scores incomparable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from PIL import Image
from tqdm.auto import tqdm

from xtd10.data.cache import cache_root
from xtd10.data.http import RetryPolicy, download
from xtd10.data.table import parse_coco_name
from xtd10.data.upstream import COCO_IMAGE_URL
from xtd10.errors import DownloadError, ImagesUnavailableError, XTD10Error

log = logging.getLogger(__name__)

ImagesArg = bool | str | os.PathLike | None


def check_decodes(path: Path) -> None:
    """Raise if ``path`` is not a complete, decodable image (truncated JPEGs included)."""
    with Image.open(path) as img:
        img.load()


def image_cache_dir() -> Path:
    return cache_root() / "images"


def url_template() -> str:
    """``XTD10_IMAGE_URL`` (a base URL or a template with ``{split}``/``{file_name}``),
    else the public COCO server."""
    custom = os.environ.get("XTD10_IMAGE_URL")
    if not custom:
        return COCO_IMAGE_URL
    return custom if "{file_name}" in custom else custom.rstrip("/") + "/{split}/{file_name}"


def _local_candidates(root: Path, file_name: str) -> list[Path]:
    split, _ = parse_coco_name(file_name)
    return [root / split / file_name, root / file_name]


def resolve_images(
    file_names: Sequence[str],
    images: ImagesArg = True,
    *,
    source: object | None = None,
    workers: int = 16,
    retry: RetryPolicy | None = None,
    progress: bool = True,
) -> dict[str, Path]:
    """Map each file name to a verified local image file.

    ``images`` may be a directory (COCO root or flat folder), an ``http(s)://`` base URL
    or template, or ``True``: then ``XTD10_IMAGES`` if set, else the cache filled from
    ``XTD10_IMAGE_URL`` / the COCO server. ``source`` is accepted for symmetry with the
    caption loaders (images do not depend on it).
    """
    del source
    if images is True:
        images = os.environ.get("XTD10_IMAGES") or None
    if images in (None, True):
        return _download_all(file_names, url_template(), workers, retry, progress)
    text = str(images)
    if text.startswith(("http://", "https://")):
        template = text if "{file_name}" in text else text.rstrip("/") + "/{split}/{file_name}"
        return _download_all(file_names, template, workers, retry, progress)
    return _from_directory(file_names, Path(text).expanduser(), workers, progress)


def _from_directory(file_names: Sequence[str], root: Path, workers: int, progress: bool) -> dict[str, Path]:
    if not root.is_dir():
        raise XTD10Error(f"image directory {root} does not exist")
    found: dict[str, Path] = {}
    missing: list[str] = []
    for name in file_names:
        path = next((p for p in _local_candidates(root, name) if p.is_file()), None)
        if path is None:
            missing.append(name)
        else:
            found[name] = path
    corrupt = _verify(found, workers, progress, f"checking images in {root}")
    _raise_if_unavailable(missing, corrupt, f"in {root}")
    return found


def _verify(found: dict[str, Path], workers: int, progress: bool, label: str) -> list[str]:
    corrupt: list[str] = []

    def check(item: tuple[str, Path]) -> str | None:
        try:
            check_decodes(item[1])
        except Exception:
            return item[0]
        return None

    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = pool.map(check, found.items())
        for bad in tqdm(results, total=len(found), desc=label, disable=not progress, leave=False):
            if bad is not None:
                corrupt.append(bad)
    return sorted(corrupt)


def _download_all(
    file_names: Sequence[str], template: str, workers: int, retry: RetryPolicy | None, progress: bool
) -> dict[str, Path]:
    cache = image_cache_dir()
    found: dict[str, Path] = {}
    missing: list[str] = []
    corrupt: list[str] = []
    todo = []
    for name in file_names:
        dest = cache / name
        if dest.is_file():
            found[name] = dest  # only verified files are ever renamed into the cache
        else:
            todo.append(name)

    def fetch(name: str) -> Path:
        split, _ = parse_coco_name(name)
        url = template.format(split=split, file_name=name)
        kwargs = {"retry": retry} if retry else {}
        return download(url, cache / name, validate=check_decodes, **kwargs)

    if todo:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(fetch, name): name for name in todo}
            bar = tqdm(as_completed(futures), total=len(futures), desc="downloading XTD10 images",
                       disable=not progress)
            for future in bar:
                name = futures[future]
                try:
                    found[name] = future.result()
                except DownloadError as err:
                    log.warning("%s", err)
                    missing.append(name)
                except Exception as err:  # did not decode
                    log.warning("%s: %s", name, err)
                    corrupt.append(name)
    _raise_if_unavailable(sorted(missing), sorted(corrupt), f"from {template}")
    return found


def _raise_if_unavailable(missing: list[str], corrupt: list[str], where: str) -> None:
    if not missing and not corrupt:
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing: {_preview(missing)}")
    if corrupt:
        parts.append(f"{len(corrupt)} corrupt (do not decode): {_preview(corrupt)}")
    raise ImagesUnavailableError(f"XTD10 images unavailable {where}: " + "; ".join(parts), missing, corrupt)


def _preview(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... and {len(names) - limit} more" if len(names) > limit else "")
