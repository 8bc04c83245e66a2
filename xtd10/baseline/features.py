"""Feature cache: frozen encoder outputs computed once, stored as float16 memmaps.

The heads train for many epochs over the same frozen features, and with COCO that is
~414k captions and ~83k images: encoding them once and streaming from a memmap is what
makes training fast. An entry is keyed by the encoder's identity plus a fingerprint of
the data it encoded, so a changed encoder or data set can never reuse stale vectors.
Both files are written atomically and the data file before the index, so an entry whose
index exists is complete.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from xtd10.baseline.errors import BaselineError
from xtd10.files import atomic_open, atomic_write_text

log = logging.getLogger(__name__)
CACHE_FORMAT = "xtd10.baseline.features"


def fingerprint(items: Sequence[Any]) -> str:
    """A stable sha256 over a sequence of JSON-able items (texts, paths, scene specs)."""
    digest = hashlib.sha256()
    for item in items:
        digest.update(json.dumps(item, sort_keys=True, ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def cache_key(identity: dict[str, Any], data_fingerprint: str) -> str:
    text = json.dumps({"encoder": identity, "data": data_fingerprint}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def cached_features(
    cache_dir: str | Path,
    identity: dict[str, Any],
    items: Sequence[Any],
    encode_batch: Callable[[Sequence[Any]], np.ndarray],
    *,
    batch_size: int = 64,
    description: str = "encoding",
    fingerprint_items: Sequence[Any] | None = None,
) -> np.ndarray:
    """(len(items), dim) float16 memmap of ``encode_batch`` over ``items``, from cache if present.

    ``fingerprint_items`` (default ``items``) is what identifies the data; pass something
    cheaper or more stable than the items themselves (e.g. paths instead of images).
    """
    cache_dir = Path(cache_dir)
    key = cache_key(identity, fingerprint(fingerprint_items if fingerprint_items is not None else items))
    data_path, index_path = cache_dir / f"{key}.f16", cache_dir / f"{key}.json"
    if index_path.is_file() and data_path.is_file():
        try:  # a damaged index is a cache miss, as an inconsistent one is
            index = json.loads(index_path.read_text(encoding="utf-8"))
            shape = tuple(int(side) for side in index["shape"])
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            shape = ()
        if len(shape) == 2 and min(shape) >= 0 and data_path.stat().st_size == shape[0] * shape[1] * 2 \
                and shape[0] == len(items):
            log.info("feature cache hit %s (%s)", key, description)
            return np.memmap(data_path, dtype=np.float16, mode="r", shape=shape)
        log.warning("feature cache entry %s is inconsistent; recomputing", key)
    dim = None
    with atomic_open(data_path, "wb") as handle:
        for start in tqdm(range(0, len(items), batch_size), desc=description, unit="batch",
                          disable=len(items) <= batch_size):
            batch = items[start:start + batch_size]
            vectors = np.asarray(encode_batch(batch), dtype=np.float32)
            if vectors.ndim != 2 or vectors.shape[0] != len(batch):
                raise BaselineError(f"{description}: encoder returned shape {vectors.shape} for {len(batch)} items")
            if dim is None:
                dim = vectors.shape[1]
            elif vectors.shape[1] != dim:
                raise BaselineError(f"{description}: encoder changed its output dimension mid-run")
            handle.write(vectors.astype(np.float16).tobytes())
    if dim is None:
        raise BaselineError(f"{description}: nothing to encode")
    index = {"format": CACHE_FORMAT, "version": 1, "shape": [len(items), dim], "dtype": "float16",
             "encoder": identity, "description": description}
    atomic_write_text(index_path, json.dumps(index, indent=2, sort_keys=True) + "\n")
    return np.memmap(data_path, dtype=np.float16, mode="r", shape=(len(items), dim))
