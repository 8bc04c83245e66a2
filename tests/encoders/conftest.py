"""Shared fixtures for the encoder tests: real photos that ship inside scikit-image."""

from __future__ import annotations

import pytest

from tests.installed import need


@pytest.fixture(autouse=True)
def hub_offline(monkeypatch):
    """huggingface_hub reads HF_HUB_OFFLINE once, at import; the root conftest sets the
    variable per test, which is too late once anything imported the hub. Without this, a
    Hub id in a test tries the network and waits on retries instead of failing at once."""
    try:
        import huggingface_hub.constants as hub_constants
    except ImportError:
        return
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)


@pytest.fixture(scope="session")
def sample_photos():
    """{"cat": chelsea, "coffee": coffee, "astronaut": astronaut} as PIL RGB images."""
    data = need("skimage.data")
    from PIL import Image

    return {
        "cat": Image.fromarray(data.chelsea()).convert("RGB"),
        "coffee": Image.fromarray(data.coffee()).convert("RGB"),
        "astronaut": Image.fromarray(data.astronaut()).convert("RGB"),
    }


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory):
    """Directories of tiny random models: {"clip", "clip16", "xlmr", "mclip", "siglip"} (built once)."""
    need("transformers")
    from tests.encoders import tiny_models

    root = tmp_path_factory.mktemp("tiny-models")
    xlmr = tiny_models.save_tiny_xlmr(root / "xlmr")
    return {
        "clip": tiny_models.save_tiny_clip(root / "clip"),
        "clip16": tiny_models.save_tiny_clip(root / "clip16", projection_dim=16, seed=5),
        "xlmr": xlmr,
        "mclip": tiny_models.save_tiny_mclip(root / "mclip", xlmr),
        "siglip": tiny_models.save_tiny_siglip(root / "siglip"),
    }


@pytest.fixture(scope="session")
def tiny_st_models(tiny_models, tmp_path_factory):
    """sentence-transformers folders {"st-clip", "st-text"} built from the tiny models."""
    need("sentence_transformers")
    from tests.encoders import tiny_models as builders

    return builders.save_tiny_st_models(tmp_path_factory.mktemp("tiny-st"), tiny_models["clip"], tiny_models["xlmr"])
