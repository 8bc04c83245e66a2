"""Finding the images of a dataset: the 1000 COCO images of XTD10 (and XTD200), or the
1000 Flickr30k test images of Flickr30k-200.

Images can come from a local COCO 2014 root (``train2014/``, ``val2014/``), a flat folder
holding the files, or HTTP (the public COCO URLs by default). Downloads are concurrent,
retried with backoff, resumable and cached; every file — local or downloaded — must
decode. An unreachable image server (offline machine) is one error at once, not a
thousand retried downloads. Missing or corrupt files are reported all together in one error: silently
dropping images (as some tools do) changes the gallery and makes scores incomparable.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from PIL import Image
from tqdm.auto import tqdm

from xtd10.cache import cache_root
from xtd10.data.http import DEFAULT_RETRY, RetryPolicy, download
from xtd10.data.table import parse_coco_name
from xtd10.data.upstream import COCO_IMAGE_URL
from xtd10.errors import (
    DownloadError,
    HostUnreachableError,
    ImageServerUnreachableError,
    ImagesUnavailableError,
    XTD10Error,
)

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


FLICKR_FOLDER = "flickr30k-images"  # the folder Flickr30k's own archive unpacks to


def _local_candidates(root: Path, file_name: str) -> list[Path]:
    """Where a file may sit below ``root``: COCO's split folders or Flickr30k's image
    folder, else flat."""
    try:
        split, _ = parse_coco_name(file_name)
    except XTD10Error:
        return [root / file_name, root / FLICKR_FOLDER / file_name]
    return [root / split / file_name, root / file_name]


def _not_downloadable(source: object | None) -> str:
    """Why a dataset's images cannot be fetched over HTTP, or "" when they can (COCO)."""
    dataset = getattr(source, "dataset", None)
    if dataset is None or dataset.image_kind == "coco2014":
        return ""
    return (f"the {dataset.title} images ({dataset.image_source}) cannot be downloaded by the toolkit: "
            f"pass images=DIR, a folder holding the {dataset.n_images} files (flat or in {FLICKR_FOLDER}/)")


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
    ``XTD10_IMAGE_URL`` / the COCO server. ``source`` says which dataset the names belong
    to: COCO images (XTD10, XTD200) can be downloaded, Flickr30k's only read from a folder.
    """
    refused = _not_downloadable(source)
    if images is True:
        images = None if refused else (os.environ.get("XTD10_IMAGES") or None)
    if images in (None, True):
        if refused:
            raise XTD10Error(refused)
        return _download_all(file_names, url_template(), workers, retry, progress)
    text = str(images)
    if text.startswith(("http://", "https://")):
        template = text if "{file_name}" in text else text.rstrip("/") + "/{split}/{file_name}"
        return _download_all(file_names, template, workers, retry, progress)
    return _from_directory(file_names, Path(text).expanduser(), workers, progress)


def _from_directory(file_names: Sequence[str], root: Path, workers: int, progress: bool) -> dict[str, Path]:
    if root.is_file():
        raise XTD10Error(f"images: {root} is a file; pass the folder holding the images (a COCO 2014 root "
                         "with train2014/ and val2014/, or a flat folder of the 1000 files)")
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
        with tqdm(results, total=len(found), desc=label, disable=not progress, leave=False) as bar:
            for bad in bar:
                if bad is not None:
                    corrupt.append(bad)
    return sorted(corrupt)


# Consecutive connection failures, with no answer from the server in between, after which
# the image server is taken to be gone (the network dropped mid-run).
BREAKER_THRESHOLD = 24
HOW_TO_FIX = (
    "to use local images pass images=DIR (a COCO 2014 root with train2014/ and val2014/, or a flat "
    "folder of the 1000 images) or set XTD10_IMAGES=DIR; or set XTD10_IMAGE_URL to a reachable mirror"
)


class _Tally:
    """What the downloads gave: files, missing and corrupt names, the first failure (for the
    summary) and the current run of connection failures (for the circuit breaker)."""

    def __init__(self, found: dict[str, Path]):
        self.found = found
        self.missing: list[str] = []
        self.corrupt: list[str] = []
        self.first_error: str | None = None
        self.unreachable_run = 0
        self.last_unreachable: HostUnreachableError | None = None

    def take(self, name: str, result: Callable[[], Path]) -> None:
        """Record the outcome of ``result()``; per-file failures are logged at DEBUG only,
        since the final error lists them all."""
        try:
            self.found[name] = result()
        except HostUnreachableError as err:
            self._failed(self.missing, name, str(err))
            self.unreachable_run += 1
            self.last_unreachable = err
            return
        except DownloadError as err:
            self._failed(self.missing, name, str(err))
        except Exception as err:  # did not decode
            self._failed(self.corrupt, name, f"{name}: {err}")
        self.unreachable_run = 0  # the server answered

    def _failed(self, bucket: list[str], name: str, message: str) -> None:
        log.debug("%s", message)
        bucket.append(name)
        self.first_error = self.first_error or message


def _download_all(
    file_names: Sequence[str], template: str, workers: int, retry: RetryPolicy | None, progress: bool
) -> dict[str, Path]:
    """Download what the cache lacks. One image goes first, alone: if its server cannot be
    reached, one clear error comes at once instead of a thousand failed downloads; after
    that, a run of connection failures stops the pool (what arrived stays cached)."""
    cache = image_cache_dir()
    found: dict[str, Path] = {}
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
        return download(url, cache / name, validate=check_decodes, retry_log_level=logging.DEBUG,
                        retry=retry or DEFAULT_RETRY)

    tally = _Tally(found)
    if todo:
        tally.take(todo[0], lambda: fetch(todo[0]))
        if tally.last_unreachable is not None:
            raise ImageServerUnreachableError(
                f"cannot download the XTD10 images: {tally.last_unreachable}; {HOW_TO_FIX}",
                sorted(todo), tally.last_unreachable.host,
            )
        _download_rest(todo[1:], fetch, tally, workers, progress, len(file_names), cache)
    _raise_if_unavailable(sorted(tally.missing), sorted(tally.corrupt), f"from {template}", tally.first_error)
    return found


def _download_rest(
    names: list[str], fetch: Callable[[str], Path], tally: _Tally, workers: int, progress: bool, total: int,
    cache: Path,
) -> None:
    if not names:
        return
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(fetch, name): name for name in names}
        # a context manager: the bar ends its line before any error (or ^C) is printed
        with tqdm(as_completed(futures), total=len(futures), desc="downloading XTD10 images",
                  disable=not progress) as bar:
            for future in bar:
                tally.take(futures[future], future.result)
                if tally.unreachable_run >= BREAKER_THRESHOLD and tally.last_unreachable is not None:
                    bar.close()
                    have = len(tally.found)
                    raise ImageServerUnreachableError(
                        f"stopped downloading the XTD10 images after {tally.unreachable_run} connection failures "
                        f"in a row ({tally.last_unreachable}); {have} of {total} images are in the cache {cache} "
                        f"and a rerun resumes from there; {HOW_TO_FIX}",
                        sorted(set(futures.values()) - set(tally.found)), tally.last_unreachable.host,
                    )
    finally:
        # Normally every future is done by now; after the breaker (or ^C) the pending ones are
        # cancelled and the few in flight are not waited for (they fail fast or land in the cache).
        pool.shutdown(wait=False, cancel_futures=True)


def _raise_if_unavailable(missing: list[str], corrupt: list[str], where: str, first_error: str | None = None) -> None:
    if not missing and not corrupt:
        return
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing: {_preview(missing)}")
    if corrupt:
        parts.append(f"{len(corrupt)} corrupt (do not decode): {_preview(corrupt)}")
    if first_error:
        parts.append(f"first failure: {first_error}")
    raise ImagesUnavailableError(f"XTD10 images unavailable {where}: " + "; ".join(parts), missing, corrupt)


def _preview(names: list[str], limit: int = 20) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... and {len(names) - limit} more" if len(names) > limit else "")
