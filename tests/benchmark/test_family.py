"""Scoring XTD200 and Flickr30k-200: the runner's one code path, images encoded once per
content (shared with XTD10), languages selected by any spelling or by script."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from tests.benchmark.fakes import pixel_key
from tests.data.conftest import IMAGE_NAMES, jpeg_bytes, write_tiny_source
from tests.data.test_family import write_nllb_checkout
from xtd10.benchmark.runner import evaluate
from xtd10.encoders import EncoderMeta


class PixelEncoder:
    """Images -> a vector from their pixels; captions -> a vector from their image number
    (``<code> caption i``), so every caption finds its image. Counts what it encodes."""

    def __init__(self) -> None:
        self.meta = EncoderMeta(name="pixel fake", spec="fake:pixels", revision="v1", embedding_dim=8,
                                modalities=("text", "image"))
        self.images_seen = 0
        self.texts_seen = 0
        self.by_pixels: dict[str, int] = {}

    def _vector(self, number: int) -> np.ndarray:
        return np.random.default_rng(number).normal(size=8)

    def encode_text(self, texts: Sequence[str], *, language: str) -> np.ndarray:
        self.texts_seen += len(texts)
        return np.stack([self._vector(int(t.rsplit(" ", 1)[1])) for t in texts])

    def encode_image(self, images) -> np.ndarray:
        self.images_seen += len(images)
        return np.stack([self._vector(self.by_pixels[pixel_key(img)]) for img in images])


@pytest.fixture
def sources(tmp_path):
    image_dir = tmp_path / "images"
    image_dir.mkdir()
    for number, name in enumerate(IMAGE_NAMES):
        (image_dir / name).write_bytes(jpeg_bytes(number))
    return write_tiny_source(tmp_path / "xtd10"), write_nllb_checkout(tmp_path / "nllb"), image_dir


def _pixel_numbers(encoder: PixelEncoder, image_dir) -> None:
    from PIL import Image

    for number, name in enumerate(IMAGE_NAMES):
        with Image.open(image_dir / name) as img:
            encoder.by_pixels[pixel_key(img.convert("RGB"))] = number


def test_images_are_encoded_once_for_xtd10_and_xtd200(sources):
    xtd10_dir, nllb_dir, image_dir = sources
    encoder = PixelEncoder()
    _pixel_numbers(encoder, image_dir)
    first = evaluate(encoder, languages="de", tracks="image", source=xtd10_dir, images=image_dir, bootstrap=0,
                     progress=False)
    assert encoder.images_seen == 4
    second = evaluate(encoder, languages="deu_Latn,ar", tracks="image", dataset="xtd200", source=nllb_dir,
                      images=image_dir, bootstrap=0, progress=False)
    assert encoder.images_seen == 4  # same image bytes: the cached vectors serve XTD200 too
    assert second.dataset["name"] == "xtd200" and second.dataset["languages"] == ["de", "ar"]
    assert first.value("image", "t2i", "de", "all", "R@1") == second.value("image", "t2i", "de", "all", "R@1") == 1.0


def test_text_track_over_a_script_and_a_flores_code(tmp_path):
    from xtd10.languages import language_table

    arabic = [row for row in language_table() if row.script == "Arab"]
    nllb_dir = write_nllb_checkout(tmp_path / "nllb", codes=("eng_Latn", "zho_Hans", *(r.flores for r in arabic)))
    result = evaluate(PixelEncoder(), languages="script:Arab,zho_Hans", tracks="text", dataset="xtd200",
                      source=nllb_dir, bootstrap=0, progress=False)
    assert result.dataset["languages"] == [*(r.tag for r in arabic), "zh-Hans"]
    assert {row["language"] for row in result.metrics if row["metric"] == "R@1"} >= {"ar", "zh-Hans", "ckb"}
    assert result.value("text", "x2en", "zh-Hans", "all", "R@1") == 1.0
    assert result.dataset["revision"].startswith("local-")  # a generated checkout is not the pinned release
