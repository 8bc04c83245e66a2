"""Encoding with an on-disk cache, so that no text or image is ever encoded twice.

Embeddings are stored per chunk of inputs under
``cache_root()/embeddings/<encoder key>/<kind>/<fingerprint>.npy``:

* the encoder key is derived from the spec and the model revision (a new checkpoint
  gets new entries);
* the fingerprint is a hash of what was encoded (the exact caption strings and their
  language; the bytes of the image files), so edited captions or images never reuse
  stale vectors;
* every chunk is written atomically as soon as it is done, so an interrupted run resumes
  from the last finished chunk and a finished run re-runs without encoding anything;
* every chunk has a manifest beside it (``<fingerprint>.json``: shape, dtype, sha256 of the
  ``.npy`` file), written after the chunk. A chunk is served only when its bytes match the
  manifest and its rows are finite unit vectors (or all-zero rows the encoder returned);
  anything else (a truncated or edited file, zeroed or NaN rows, a chunk without manifest)
  is encoded again, with a warning, and rewritten.

Stored vectors are validated and L2-normalised: scoring is then a plain dot product.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from xtd10.benchmark.progress import RunProgress, open_bar
from xtd10.cache import cache_root
from xtd10.encoders.checks import validate_embeddings
from xtd10.encoders.chunk_cache import (  # noqa: F401  (the cache format, shared with the crowd audit)
    CHUNK_FORMAT,
    CHUNK_SIZE,
    encoder_key,
    image_fingerprint,
    l2_normalise,
    manifest_path,
    read_chunk,
    text_fingerprint,
    user_code_fingerprint,
    write_chunk,
)
from xtd10.encoders.protocol import EncoderMeta

log = logging.getLogger(__name__)

@dataclass
class EncodeStats:
    """What encoding cost: seconds inside the encoder, calls made, cache use."""

    text_s: float = 0.0
    image_s: float = 0.0
    harness_s: float = 0.0  # everything around the encoder: I/O, hashing, validation
    text_calls: int = 0
    image_calls: int = 0
    texts_encoded: int = 0
    images_encoded: int = 0
    chunks_cached: int = 0
    chunks_computed: int = 0
    dims: set[int] = field(default_factory=set)


class EmbeddingStore:
    """Chunked, cached encoding for one encoder."""

    def __init__(
        self,
        encoder: object,
        *,
        batch_size: int = 64,
        cache: bool = True,
        root: Path | None = None,
        progress: bool | RunProgress = True,
        chunk_size: int = CHUNK_SIZE,
    ):
        self.encoder = encoder
        self.meta: EncoderMeta = encoder.meta  # type: ignore[attr-defined]
        self.batch_size = max(1, int(batch_size))
        self.cache = cache
        self.root = (root or cache_root() / "embeddings") / encoder_key(self.meta, user_code_fingerprint(encoder))
        self.progress = progress
        self.chunk_size = chunk_size
        self.stats = EncodeStats()
        self.dim: int | None = self.meta.embedding_dim
        self.cache_writable = True  # until a write fails

    @property
    def name(self) -> str:
        return self.meta.spec or self.meta.name

    def _check(self, array: object, n: int) -> np.ndarray:
        values = validate_embeddings(array, n, self.name, dim=self.dim)
        # The harness keeps these rows while the encoder runs on: an encoder that returns
        # views of one buffer it reuses would otherwise overwrite them with later batches.
        if values is array or not values.flags.owndata:
            values = values.copy()
        if self.dim is None:
            self.dim = int(values.shape[1])
        return values

    def _chunked(
        self,
        kind: str,
        items: Sequence,
        fingerprint: Callable[[Sequence], str],
        encode_batch: Callable[[Sequence], tuple[object, float]],
        label: str,
        per_call: int | None = None,
    ) -> np.ndarray:
        started = time.perf_counter()
        inside = 0.0
        parts: list[np.ndarray] = []
        bar = open_bar(self.progress, label, len(items), kind)
        for start in range(0, len(items), self.chunk_size):
            chunk = items[start : start + self.chunk_size]
            path = self.root / kind / f"{fingerprint(chunk)}.npy"
            cached = self._load(path, len(chunk)) if self.cache else None
            if cached is not None:
                self.stats.chunks_cached += 1
                parts.append(cached)
                bar.skip(len(chunk))
                continue
            pieces = []
            step = per_call or self.batch_size
            for b in range(0, len(chunk), step):
                batch = chunk[b : b + step]
                raw, seconds = encode_batch(batch)
                inside += seconds
                pieces.append(self._check(raw, len(batch)))
                bar.update(len(batch))
            vectors = l2_normalise(np.concatenate(pieces))
            if self.cache and self.cache_writable:
                self._store(path, vectors)
            self.stats.chunks_computed += 1
            parts.append(vectors)
        bar.close()
        if kind == "text":
            self.stats.text_s += inside
        else:
            self.stats.image_s += inside
        self.stats.harness_s += time.perf_counter() - started - inside
        if not parts:
            return np.zeros((0, self.dim or 0), dtype=np.float32)
        return np.concatenate(parts)

    def _store(self, path: Path, vectors: np.ndarray) -> None:
        """Cache one chunk; a failed write (a full disk, a read-only cache) costs only the
        cache: one warning, then the run goes on without writing to it."""
        try:
            write_chunk(path, vectors)
        except OSError as err:
            self.cache_writable = False
            with contextlib.suppress(OSError):
                if not manifest_path(path).exists():
                    path.unlink(missing_ok=True)  # a chunk without its manifest would only be re-encoded
            log.warning("embedding cache: cannot write to %s (%s); continuing without caching this run",
                        self.root, err.strerror or err)

    def _load(self, path: Path, n: int) -> np.ndarray | None:
        if not path.is_file():
            return None
        values, problem = read_chunk(path, n, self.dim)
        if values is None:
            log.warning("embedding cache: %s: %s; encoding this chunk again", path, problem)
            return None
        if self.dim is None:
            self.dim = int(values.shape[1])
        return values

    def texts(self, texts: Sequence[str], language: str) -> np.ndarray:
        """L2-normalised embeddings of ``texts`` (cached per chunk)."""

        def encode(batch: Sequence[str]) -> tuple[object, float]:
            self.stats.text_calls += 1
            self.stats.texts_encoded += len(batch)
            t0 = time.perf_counter()
            raw = self.encoder.encode_text(list(batch), language=language)  # type: ignore[attr-defined]
            return raw, time.perf_counter() - t0

        # An encoder that batches by itself (the built-in adapters: a ``batch_size`` attribute)
        # gets a whole chunk per call, so it can group captions of similar length.
        per_call = self.chunk_size if isinstance(getattr(self.encoder, "batch_size", None), int) else None
        return self._chunked("text", list(texts), lambda c: f"{language}-{text_fingerprint(c, language)}", encode,
                             f"encode text [{language}]", per_call)

    def images(self, paths: Sequence[Path]) -> np.ndarray:
        """L2-normalised embeddings of the image files (cached per chunk); the next images
        are decoded on threads while the encoder works (:mod:`xtd10.benchmark.decoding`)."""
        from xtd10.benchmark.decoding import ImagePrefetcher

        paths = [Path(p) for p in paths]
        # An encoder may split its image work in two: ``prepare_image`` (one PIL image -> model
        # input, run on the decoding threads) and ``encode_prepared`` (a batch of those).
        prepare = getattr(self.encoder, "prepare_image", None)
        encode_prepared = getattr(self.encoder, "encode_prepared", None)
        split = callable(prepare) and callable(encode_prepared)
        with ImagePrefetcher(paths, ahead=max(self.batch_size, 16), prepare=prepare if split else None) as prefetcher:

            def encode(batch: Sequence[Path]) -> tuple[object, float]:
                pictures = prefetcher.take(batch)
                self.stats.image_calls += 1
                self.stats.images_encoded += len(batch)
                t0 = time.perf_counter()
                raw = encode_prepared(pictures) if split else self.encoder.encode_image(pictures)  # type: ignore
                return raw, time.perf_counter() - t0

            return self._chunked("image", paths, image_fingerprint, encode, "encode images")
