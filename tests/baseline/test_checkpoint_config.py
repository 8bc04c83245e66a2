"""A checkpoint's ``config.json`` is checked for types and bounds before anything is built
from it: a hostile or damaged one is one line naming the field, never a traceback or a
model that grows until memory runs out."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.installed import need
from xtd10.baseline.errors import CheckpointError
from xtd10.cli import cli

torch = need("torch")


def _checkpoint(tmp_path: Path) -> Path:
    from xtd10.baseline.model import DualHead, HeadConfig, save_checkpoint

    return save_checkpoint(DualHead(512, 16, 4, HeadConfig(hidden_dim=5)), tmp_path / "ck",
                           {"text_encoder": {"spec": "random"}, "image_backbone": {"spec": "random"}})


def _set(*keys: str, value: object) -> Callable[[dict], None]:
    def change(config: dict) -> None:
        node = config
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


@pytest.mark.parametrize(("change", "message"), [
    (_set("model", "head", "layers", value=1_000_000_000),
     "model.head.layers must be a whole number from 1 to 64, got 1000000000"),
    (_set("model", "embed_dim", value=-5), "model.embed_dim must be a whole number from 1 to 65536, got -5"),
    (_set("model", "text_dim", value="512"), "model.text_dim must be a whole number from 1 to 65536, got '512'"),
    (_set("model", "head", "dropout", value=[0.1]), "model.head.dropout must be a number in [0, 1), got a list"),
    (_set("model", "head", "width", value=3), "model.head: unknown field 'width'"),
    (_set("model", value=[1, 2]), "model: expected a mapping of the heads' shape, got a list"),
    (_set("model", "head", "hidden_dim", value=60_000),
     "model.safetensors: weights do not match config.json (its model describes heads of 32280008 parameters, "
     "the file holds 2698)"),
    (_set("text_encoder", "spec", value=["py:evil:text", "random"]),
     "text_encoder.spec must be an encoder spec (text), got a list of 2 items"),
    (_set("image_backbone", value="random"), "image_backbone must be a mapping with a 'spec', got 'random'"),
    (_set("train", value=[1]), "train: expected a mapping, got a list"),
], ids=["layers", "negative-width", "width-text", "dropout-list", "unknown-head-field", "model-list",
        "parameters-beyond-the-weights", "spec-list", "section-text", "train-list"])
def test_a_hostile_checkpoint_config_is_one_line_naming_the_field(tmp_path, change, message):
    checkpoint = _checkpoint(tmp_path)
    config_path = checkpoint / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8"))
    change(config)
    config_path.write_text(json.dumps(config), encoding="utf-8")
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["bench", "run", "--model", f"baseline:{checkpoint}", "--dataset", "demo",
                                      "--bootstrap", "0", "--no-cache", "--out", str(tmp_path / "r.json")])
    assert time.perf_counter() - started < 20
    assert isinstance(result.exception, CheckpointError), result.output
    text = str(result.exception)
    assert text.startswith(str(checkpoint)) and message in text and "\n" not in text
    assert not (tmp_path / "r.json").exists()


def test_a_deeply_nested_checkpoint_config_is_one_line(tmp_path):
    checkpoint = _checkpoint(tmp_path)
    (checkpoint / "config.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    result = CliRunner().invoke(cli, ["bench", "run", "--model", f"baseline:{checkpoint}", "--dataset", "demo",
                                      "--bootstrap", "0", "--no-cache"])
    assert isinstance(result.exception, CheckpointError), result.output
    assert "nested too deeply" in str(result.exception)


@pytest.mark.parametrize(("train", "message"), [
    ({"head": {"layers": 1_000_000_000}}, "c.yaml: head.layers must be at most 64, got 1000000000"),
    ({"head": {"hidden_dim": 10**7}}, "c.yaml: head.hidden_dim must be at most 65536, got 10000000"),
    ({"embed_dim": 10**9}, "c.yaml: train.embed_dim must be from 1 to 65536, got 1000000000"),
])
def test_a_training_config_cannot_ask_for_heads_beyond_the_bounds(tmp_path, train, message):
    import yaml

    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"data": {"kind": "pairs", "file": "pairs.jsonl"}, "train": train}),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["baseline", "train", "--config", str(path)])
    assert "ConfigError" in type(result.exception).__name__, result.output
    assert message in str(result.exception)
