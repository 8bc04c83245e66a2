"""Shared fixtures for the encoder tests: real photos that ship inside scikit-image."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def sample_photos():
    """{"cat": chelsea, "coffee": coffee, "astronaut": astronaut} as PIL RGB images."""
    data = pytest.importorskip("skimage.data")
    from PIL import Image

    return {
        "cat": Image.fromarray(data.chelsea()).convert("RGB"),
        "coffee": Image.fromarray(data.coffee()).convert("RGB"),
        "astronaut": Image.fromarray(data.astronaut()).convert("RGB"),
    }
