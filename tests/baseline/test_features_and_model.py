"""Feature cache (computed once, keyed, float16, atomic) and checkpoint round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from xtd10.baseline.errors import CheckpointError
from xtd10.baseline.features import cached_features
from xtd10.baseline.model import DualHead, HeadConfig, load_checkpoint, save_checkpoint


def test_cache_computes_once_and_reloads(tmp_path):
    calls = []

    def encode(batch):
        calls.append(len(batch))
        return np.array([[len(x), x.count("a"), 0.5] for x in batch], dtype=np.float32)

    items = ["a", "bb", "aaa", "abcd", "e"]
    first = cached_features(tmp_path, {"name": "len"}, items, encode, batch_size=2)
    assert calls == [2, 2, 1]
    second = cached_features(tmp_path, {"name": "len"}, items, encode, batch_size=2)
    assert calls == [2, 2, 1]  # no new encoding
    assert isinstance(second, np.memmap) and second.dtype == np.float16
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(second, encode(items), rtol=1e-3)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    index = json.loads(next(tmp_path.glob("*.json")).read_text())
    assert index["shape"] == [5, 3] and index["encoder"] == {"name": "len"}


def test_cache_key_depends_on_encoder_and_data(tmp_path):
    calls = []

    def encode(batch):
        calls.append(1)
        return np.ones((len(batch), 2))

    cached_features(tmp_path, {"name": "x"}, ["a", "b"], encode)
    cached_features(tmp_path, {"name": "y"}, ["a", "b"], encode)
    cached_features(tmp_path, {"name": "x"}, ["a", "c"], encode)
    assert len(calls) == 3
    assert len(list(tmp_path.glob("*.f16"))) == 3


def test_truncated_cache_entry_is_recomputed(tmp_path):
    def encode(batch):
        return np.full((len(batch), 4), 2.0)

    cached_features(tmp_path, {"name": "x"}, ["a", "b", "c"], encode)
    data = next(tmp_path.glob("*.f16"))
    data.write_bytes(data.read_bytes()[:10])
    again = cached_features(tmp_path, {"name": "x"}, ["a", "b", "c"], encode)
    np.testing.assert_array_equal(again, np.full((3, 4), 2.0))


@pytest.mark.parametrize("index", ["[" * 100_000 + "]" * 100_000, '{"shape": "12"}', '{"shape": [3, -4]}', "{}"])
def test_a_damaged_cache_index_is_recomputed(tmp_path, index):
    def encode(batch):
        return np.full((len(batch), 4), 2.0)

    cached_features(tmp_path, {"name": "x"}, ["a", "b", "c"], encode)
    next(tmp_path.glob("*.json")).write_text(index)
    again = cached_features(tmp_path, {"name": "x"}, ["a", "b", "c"], encode)
    np.testing.assert_array_equal(again, np.full((3, 4), 2.0))


def test_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    model = DualHead(6, 9, 4, HeadConfig(hidden_dim=7, layers=3, dropout=0.0)).eval()
    save_checkpoint(model, tmp_path / "ck", {"note": "hello"})
    loaded, config = load_checkpoint(tmp_path / "ck")
    x, y = torch.randn(3, 6), torch.randn(2, 9)
    torch.testing.assert_close(loaded.embed_text(x), model.embed_text(x))
    torch.testing.assert_close(loaded.embed_image(y), model.embed_image(y))
    assert torch.allclose(loaded.embed_text(x).norm(dim=1), torch.ones(3))
    assert config["note"] == "hello" and config["model"]["head"]["layers"] == 3


def test_broken_checkpoints_are_reported(tmp_path):
    with pytest.raises(CheckpointError, match="not a baseline checkpoint"):
        load_checkpoint(tmp_path)
    save_checkpoint(DualHead(4, 4, 2, HeadConfig(hidden_dim=3)), tmp_path, {})
    config = json.loads((tmp_path / "config.json").read_text())
    config["model"]["text_dim"] = 5
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(tmp_path)
