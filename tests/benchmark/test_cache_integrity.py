"""The embedding cache is verified when read, and encoder output is copied at the boundary.

Damage is done to the files the public ``evaluate`` wrote; the next ``evaluate`` must score
exactly what an uncached run scores, say which chunk it re-encoded, repair that chunk, and
leave every other cache file as it was.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from xtd10.benchmark.runner import evaluate
from xtd10.encoders.protocol import EncoderMeta

ARGS = {"dataset": "demo", "languages": ["en", "es"], "tracks": "image", "bootstrap": 0, "progress": False}


def _metric_values(result) -> dict:
    return {(m["direction"], m["language"], m["subset"], m["metric"]): m["value"] for m in result.metrics}


def _snapshot(root: Path) -> dict[Path, tuple[bytes, int]]:
    return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def _zero_rows(path: Path) -> None:
    values = np.load(path)
    values[:5] = 0.0
    np.save(path, values)


def _nan_rows(path: Path) -> None:
    values = np.load(path)
    values[2:4] = np.nan
    np.save(path, values)


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def _drop_manifest(path: Path) -> None:
    path.with_suffix(".json").unlink()


def _forged_huge_shape(path: Path) -> None:
    """A chunk whose header claims 2**33 columns (400 GB), with a manifest that vouches for it."""
    import hashlib
    import io
    import json

    rows = np.load(path).shape[0]
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (rows, 2**33)})
    data = buffer.getvalue() + b"\0" * 64
    path.write_bytes(data)
    path.with_suffix(".json").write_text(json.dumps({
        "format": "xtd10.embeddings.chunk", "version": 1, "shape": [rows, 2**33], "dtype": "float32",
        "sha256": hashlib.sha256(data).hexdigest()}))


def _deeply_nested_manifest(path: Path) -> None:
    path.with_suffix(".json").write_text("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize("damage", [_zero_rows, _nan_rows, _truncate, _drop_manifest, _forged_huge_shape,
                                    _deeply_nested_manifest])
def test_a_damaged_chunk_is_encoded_again_with_a_warning(counting_encoder, isolated_cache, caplog, damage):
    uncached = _metric_values(evaluate(counting_encoder, cache=False, **ARGS))
    first = evaluate(counting_encoder, **ARGS)
    assert _metric_values(first) == uncached
    root = isolated_cache / "embeddings"
    chunks = sorted(root.rglob("*.npy"))
    assert len(chunks) == 3  # the images, the English and the Spanish captions
    spanish = next(p for p in chunks if p.name.startswith("es-"))
    before = _snapshot(root)
    damage(spanish)

    calls = counting_encoder.text_calls
    with caplog.at_level(logging.WARNING, logger="xtd10.benchmark.embeddings"):
        again = evaluate(counting_encoder, **ARGS)
    assert _metric_values(again) == uncached  # not the damaged vectors' scores
    assert again.extra["encoding"]["chunks_cached"] == 2 and again.extra["encoding"]["chunks_computed"] == 1
    assert counting_encoder.text_calls > calls
    assert any(str(spanish) in r.getMessage() and "encoding this chunk again" in r.getMessage()
               for r in caplog.records)
    # the chunk and its manifest are repaired; nothing else in the cache was touched
    after = _snapshot(root)
    assert set(after) == set(before)
    for path, (data, mtime) in before.items():
        assert after[path][0] == data, path
        if path.stem != spanish.stem:
            assert after[path][1] == mtime, path
    caplog.clear()
    third = evaluate(counting_encoder, **ARGS)
    assert third.extra["encoding"]["chunks_cached"] == 3 and not caplog.records


def test_undamaged_chunks_are_served_without_encoding(counting_encoder, isolated_cache):
    evaluate(counting_encoder, **ARGS)
    calls = (counting_encoder.text_calls, counting_encoder.image_calls)
    again = evaluate(counting_encoder, **ARGS)
    assert (counting_encoder.text_calls, counting_encoder.image_calls) == calls
    assert again.extra["encoding"]["chunks_computed"] == 0


class BufferReusingEncoder:
    """Returns views of one output buffer that it overwrites on every call, as encoders
    that preallocate their output do."""

    def __init__(self, honest):
        self.honest = honest
        self.meta = EncoderMeta(name="buffer reuser", spec="fake:buffer", revision="v1",
                                embedding_dim=honest.dim, modalities=("text", "image"))
        self.buffer = np.empty((64, honest.dim), dtype=np.float32)

    def encode_text(self, texts, *, language):
        self.buffer[:len(texts)] = self.honest.encode_text(texts, language=language)
        return self.buffer[:len(texts)]

    def encode_image(self, images):
        self.buffer[:len(images)] = self.honest.encode_image(images)
        return self.buffer[:len(images)]


def test_outputs_that_share_one_buffer_are_copied(counting_encoder, isolated_cache):
    expected = _metric_values(evaluate(counting_encoder, cache=False, batch_size=3, **ARGS))
    reusing = BufferReusingEncoder(counting_encoder)
    result = evaluate(reusing, batch_size=3, **ARGS)
    assert _metric_values(result) == expected
    for chunk in (isolated_cache / "embeddings").rglob("*.npy"):
        values = np.load(chunk)
        assert len(np.unique(values, axis=0)) == len(values), chunk  # 12 distinct demo items, not 3
