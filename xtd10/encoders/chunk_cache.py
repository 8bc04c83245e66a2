"""The on-disk format of cached embeddings: one ``.npy`` chunk per run of inputs, with a manifest.

Kept below ``benchmark`` and ``crowd`` so that both read and write the same cache: a caption
the benchmark encoded is never encoded again by the crowd audit, and the other way round.
The layout (``<root>/<encoder key>/text/<language>-<fingerprint>.npy``, chunks of
:data:`CHUNK_SIZE` inputs in file order) is what makes a cached chunk findable, so every
writer goes through :func:`cached_text_vectors` or :class:`xtd10.benchmark.embeddings.EmbeddingStore`,
which share these helpers.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from xtd10.encoders.checks import validate_embeddings
from xtd10.encoders.protocol import EncoderMeta
from xtd10.files import atomic_write_bytes, atomic_write_text

CHUNK_SIZE = 512  # inputs per cache file: the most work an interruption can lose

def l2_normalise(values: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(values, axis=1, keepdims=True)
    return (values / np.maximum(norms, 1e-12)).astype(np.float32)


def encoder_key(meta: EncoderMeta, code: str = "") -> str:
    """A directory name unique to the encoder's identity: readable prefix + hash.

    The identity includes ``meta.extra`` because adapters record there what changes the
    vectors without changing the spec (precision, device, seed, maximum length): fp16 GPU
    vectors must not be served to a later fp32 CPU run, nor seed 0's to seed 1. ``code``
    is :func:`user_code_fingerprint` of the encoder object.
    """
    extra = json.dumps(meta.extra, sort_keys=True, default=str)
    identity = f"{meta.spec}\n{meta.revision}\n{meta.name}\n{extra}" + (f"\n{code}" if code else "")
    readable = re.sub(r"[^A-Za-z0-9._-]+", "-", meta.spec).strip("-")[:48] or "encoder"
    return f"{readable}-{hashlib.sha256(identity.encode()).hexdigest()[:16]}"


def user_code_fingerprint(encoder: object) -> str:
    """A hash of the source file that defines the encoder's class, unless it is one of the
    toolkit's own adapters (those carry a revision).

    Someone iterating on their own encoder (``py:module:factory`` or an object passed to
    ``evaluate``) edits the code and re-runs without touching ``meta``: keyed on ``meta``
    alone, the cache would silently serve the previous version's vectors.
    """
    module = sys.modules.get(type(encoder).__module__)
    path = getattr(module, "__file__", None)
    if not path or type(encoder).__module__.partition(".")[0] == "xtd10":
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return ""


def text_fingerprint(texts: Sequence[str], language: str) -> str:
    digest = hashlib.sha256(f"text\0{language}\0{len(texts)}\0".encode())
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def image_fingerprint(paths: Sequence[Path]) -> str:
    digest = hashlib.sha256(f"image\0{len(paths)}\0".encode())
    for path in paths:
        digest.update(Path(path).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:32]


CHUNK_FORMAT = "xtd10.embeddings.chunk"
_NORM_TOLERANCE = 1e-3  # float32 unit vectors; damage is far larger


def manifest_path(chunk: Path) -> Path:
    return chunk.with_suffix(".json")


def write_chunk(path: Path, vectors: np.ndarray) -> None:
    """The chunk, then its manifest: a chunk whose manifest exists was written completely."""
    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    data = buffer.getvalue()
    atomic_write_bytes(path, data)
    manifest = {"format": CHUNK_FORMAT, "version": 1, "shape": list(vectors.shape), "dtype": str(vectors.dtype),
                "sha256": hashlib.sha256(data).hexdigest()}
    atomic_write_text(manifest_path(path), json.dumps(manifest, sort_keys=True) + "\n")


def _header_problem(data: bytes, n: int, dim: int | None) -> str | None:
    """What is wrong with the ``.npy`` header in ``data`` for an (n, dim) float32 chunk whose
    bytes all follow it, or None: checked before anything is allocated for the shape."""
    buffer = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(buffer)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) \
            else np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(buffer)
    except (OSError, ValueError) as err:
        return f"unreadable header ({err})"
    if dtype != np.float32 or len(shape) != 2 or shape[0] != n or (dim is not None and shape[1] != dim) \
            or len(data) - buffer.tell() != shape[0] * shape[1] * dtype.itemsize:
        return f"unexpected shape {tuple(shape)} or dtype {dtype} for {len(data)} bytes"
    return None


def read_chunk(path: Path, n: int, dim: int | None) -> tuple[np.ndarray | None, str | None]:
    """``(vectors, None)`` for a sound chunk of ``n`` rows, else ``(None, what is wrong)``."""
    try:
        manifest = json.loads(manifest_path(path).read_text(encoding="utf-8"))
        expected = manifest["sha256"] if isinstance(manifest, dict) else None
    except (OSError, ValueError, KeyError, RecursionError) as err:
        return None, f"no readable manifest ({type(err).__name__})"
    try:
        data = path.read_bytes()
    except OSError as err:
        return None, f"unreadable ({err})"
    if hashlib.sha256(data).hexdigest() != expected:
        return None, "contents do not match the checksum in its manifest (damaged or edited)"
    problem = _header_problem(data, n, dim)
    if problem is not None:  # np.load would allocate whatever shape the header claims
        return None, problem
    try:
        values = np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError) as err:
        return None, f"unreadable ({err})"
    if values.dtype != np.float32 or values.ndim != 2 or values.shape[0] != n \
            or (dim is not None and values.shape[1] != dim) or list(values.shape) != manifest.get("shape"):
        return None, f"unexpected shape {values.shape} or dtype {values.dtype}"
    if not np.isfinite(values).all():
        return None, "holds NaN or infinite values"
    norms = np.linalg.norm(values, axis=1)
    if not (np.isclose(norms, 1.0, atol=_NORM_TOLERANCE) | (norms == 0)).all():
        return None, "holds vectors that are not unit length"
    return values, None


def text_chunk_path(root: Path, texts: Sequence[str], language: str) -> Path:
    """Where the chunk holding exactly ``texts`` (in this order, in ``language``) is cached."""
    return root / "text" / f"{language}-{text_fingerprint(texts, language)}.npy"


def encoder_root(encoder: object, root: Path) -> Path:
    """The cache folder of ``encoder`` under an embeddings root (``<cache>/embeddings``)."""
    meta: EncoderMeta = encoder.meta  # type: ignore[attr-defined]
    return root / encoder_key(meta, user_code_fingerprint(encoder))


def cached_text_vectors(encoder: object, texts: Sequence[str], language: str, *, root: Path,
                        write: bool = True, chunk_size: int = CHUNK_SIZE) -> tuple[np.ndarray, int]:
    """Unit vectors of ``texts`` and how many chunks had to be encoded: sound cached chunks are
    read, the others encoded (and written when ``write``). Chunks are cut as the benchmark cuts
    them (``chunk_size`` inputs in the given order), so the same caption file hits the same files."""
    folder = encoder_root(encoder, root)
    parts, computed = [], 0
    for start in range(0, len(texts), chunk_size):
        chunk = list(texts[start:start + chunk_size])
        path = text_chunk_path(folder, chunk, language)
        values = read_chunk(path, len(chunk), None)[0] if path.is_file() else None
        if values is None:
            raw = encoder.encode_text(chunk, language=language)  # type: ignore[attr-defined]
            values = l2_normalise(validate_embeddings(raw, len(chunk), folder.name))
            computed += 1
            if write:
                write_chunk(path, values)
        parts.append(values)
    if not parts:
        return np.zeros((0, 0), dtype=np.float32), 0
    return np.concatenate(parts), computed
