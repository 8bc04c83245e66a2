"""Fixtures for the benchmark tests (the fake encoders live in ``fakes.py``)."""

from __future__ import annotations

import pytest

from tests.benchmark.fakes import CountingEncoder, pixel_key


@pytest.fixture(scope="session")
def demo_truth() -> tuple[dict[str, str], dict[str, str]]:
    from PIL import Image

    from xtd10.data import demo

    frame = demo.demo_frame()
    images = demo.demo_images()
    truth = {row.caption: images[row.index].key for row in frame.itertuples()}
    sizes = {}
    for image in images:
        with Image.open(demo.demo_image_paths()[image.file_name]) as img:
            sizes[pixel_key(img.convert("RGB"))] = image.key
    assert len(sizes) == len(images)
    return truth, sizes


@pytest.fixture
def counting_encoder(demo_truth) -> CountingEncoder:
    return CountingEncoder(*demo_truth)
