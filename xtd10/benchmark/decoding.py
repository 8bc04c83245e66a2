"""Decoding images on worker threads while the encoder works on the previous batch.

JPEG decoding in Pillow releases the GIL, so a few threads decode the next images while
the model (torch, also GIL-free in its kernels) encodes the current batch. Only a bounded
window of images ahead of the current batch is ever decoded and held, so memory stays
flat however many images are scored.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any


def decode_image(path: Path) -> Any:
    """The image at ``path`` as a fully loaded RGB PIL image."""
    from PIL import Image

    with Image.open(path) as image:
        return image.convert("RGB")


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 1)))


class ImagePrefetcher:
    """Decoded images for consecutive batches of ``paths``, decoded ahead on threads.

    ``take(batch)`` returns the decoded images of ``batch`` (a run of ``paths``, asked for
    in order; runs may be skipped, e.g. chunks served from the embedding cache) and starts
    decoding up to ``ahead`` images after it. Images before the current batch are dropped,
    so at most ``len(batch) + ahead`` decoded images are held at any time.
    """

    def __init__(self, paths: Sequence[Path], *, ahead: int = 64, workers: int | None = None,
                 prepare: Callable[[Any], Any] | None = None):
        self.paths = list(paths)
        self.prepare = prepare  # e.g. an encoder's resize/crop/normalise, run on the threads too
        self.ahead = max(0, int(ahead))
        self.workers = workers or default_workers()
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[int, Future] = {}
        self._cursor = 0

    def __enter__(self) -> ImagePrefetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _submit(self, index: int) -> Future:
        future = self._futures.get(index)
        if future is None:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="xtd10-decode")
            future = self._pool.submit(self._load, self.paths[index])
            self._futures[index] = future
        return future

    def _load(self, path: Path) -> Any:
        image = decode_image(path)
        return image if self.prepare is None else self.prepare(image)

    def take(self, batch: Sequence[Path]) -> list[Any]:
        if not batch:
            return []
        start = self._locate(batch)
        stop = start + len(batch)
        for index in list(self._futures):
            if index < start:  # skipped (cached) images decoded ahead: drop them
                self._futures.pop(index).cancel()
        wanted = [self._submit(i) for i in range(start, stop)]
        for index in range(stop, min(len(self.paths), stop + self.ahead)):
            self._submit(index)
        images = [future.result() for future in wanted]  # re-raises a decode error of this batch
        for index in range(start, stop):
            self._futures.pop(index, None)
        self._cursor = stop
        return images

    def _locate(self, batch: Sequence[Path]) -> int:
        """Where ``batch`` starts in ``paths`` (batches come in order; a repeat path is fine)."""
        first = Path(batch[0])
        for start in range(self._cursor, len(self.paths) - len(batch) + 1):
            if self.paths[start] == first and self.paths[start : start + len(batch)] == [Path(p) for p in batch]:
                return start
        raise ValueError("batch is not a run of the prefetcher's paths after the previous batch")
