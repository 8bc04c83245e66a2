"""Run folders and checkpoints from someone else: nothing in them runs code, damage is a
one-line error naming the file, and ``--overwrite`` loses nothing when the new run fails.

Each test does the attack or the damage through the CLI and checks the outcome on disk.
"""

from __future__ import annotations

import json
import pathlib
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from click.testing import CliRunner
from PIL import Image

from xtd10.baseline.errors import CheckpointError, ConfigError
from xtd10.baseline.model import DualHead, HeadConfig, save_checkpoint
from xtd10.cli import cli
from xtd10.encoders import UntrustedCodeError
from xtd10.errors import XTD10Error

COLOURS = [(210, 30, 30), (30, 190, 30), (30, 30, 210)]


class _Payload:
    """Unpickling this writes ``marker``: the stand-in for any code a pickle can run."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.write_text, (pathlib.Path(self.marker), "code ran"))


def crafted_pickle(marker: Path) -> bytes:
    data = pickle.dumps(_Payload(marker))
    probe = marker.with_name(marker.name + ".probe")
    pickle.loads(pickle.dumps(_Payload(probe)))  # the payload is live: loading it runs code
    assert probe.read_text() == "code ran"
    probe.unlink()
    return data


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_config(tmp_path: Path, name: str = "c.yaml", **train) -> Path:
    lines = []
    for k in range(24):
        Image.new("RGB", (8, 8), COLOURS[k % 3]).save(tmp_path / f"{k}.png")
        lines.append(json.dumps({"image": f"{k}.png", "caption": ["red", "green", "blue"][k % 3] + f" {k}"}))
    (tmp_path / "pairs.jsonl").write_text("\n".join(lines) + "\n")
    config = {"data": {"kind": "pairs", "file": "pairs.jsonl", "holdout_images": 3},
              "encoders": {"text": "hash-text", "image": "colour-stats"},
              "train": {"epochs": 2, "batch_size": 4, "warmup_steps": 1, "embed_dim": 8, "device": "cpu",
                        "head": {"hidden_dim": 16, "dropout": 0.0}, **train},
              "out": "run", "cache_dir": "cache"}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


def train(config: Path, *extra: str):
    return CliRunner().invoke(cli, ["baseline", "train", "--config", str(config), *extra])


@pytest.fixture
def run(tmp_path, fake_encoders) -> Path:
    config = write_config(tmp_path)
    result = train(config)
    assert result.exit_code == 0, result.output
    return tmp_path / "run"


# --- 1. no unpickling -------------------------------------------------------------------


def test_resume_does_not_unpickle_a_legacy_trainer_state(run, tmp_path):
    marker = tmp_path / "marker"
    (run / "trainer_state.json").unlink()
    (run / "trainer_state.safetensors").unlink()
    torch.save(_Payload(marker), run / "trainer_state.pt")  # what earlier versions loaded with torch.load
    crafted_pickle(marker)
    before = snapshot(run)
    result = train(tmp_path / "c.yaml", "--resume", "--epochs", "3")
    assert isinstance(result.exception, CheckpointError), result.output
    assert "trainer_state.pt: trainer state in the old pickle format, which is not loaded" in str(result.exception)
    assert not marker.exists()
    assert snapshot(run) == before


def test_a_trainer_state_nested_too_deeply_is_a_one_line_error(run, tmp_path):
    (run / "trainer_state.json").write_text("[" * 100_000 + "]" * 100_000)
    result = train(tmp_path / "c.yaml", "--resume", "--epochs", "3")
    assert isinstance(result.exception, CheckpointError), result.output
    assert "trainer_state.json: unreadable trainer state" in str(result.exception)


def test_resume_does_not_unpickle_a_crafted_tensor_file(run, tmp_path):
    marker = tmp_path / "marker"
    data = crafted_pickle(marker)
    (run / "trainer_state.safetensors").write_bytes(data)
    state = json.loads((run / "trainer_state.json").read_text())
    import hashlib

    state["tensors_sha256"] = hashlib.sha256(data).hexdigest()  # the sender controls both files
    (run / "trainer_state.json").write_text(json.dumps(state))
    before = snapshot(run)
    result = train(tmp_path / "c.yaml", "--resume", "--epochs", "3")
    assert isinstance(result.exception, CheckpointError), result.output
    assert "trainer_state.safetensors: unreadable" in str(result.exception)
    assert not marker.exists()
    assert snapshot(run) == before


def test_resume_state_is_plain_tensors_and_json(run):
    from safetensors.torch import load_file

    state = json.loads((run / "trainer_state.json").read_text())
    assert state["epoch"] == 2 and len(state["history"]) == 2
    tensors = load_file(str(run / "trainer_state.safetensors"))
    assert "torch_rng" in tensors and any(k.endswith(".exp_avg") for k in tensors)
    assert not (run / "trainer_state.pt").exists()


def test_no_unsafe_deserialisation_in_the_code():
    """Every loader of files in the package and the benchmark scripts: no pickle, no
    torch.load without weights_only=True, no allow_pickle=True, no joblib."""
    import re

    root = Path(__file__).resolve().parents[2]
    offences = []
    for path in [*root.joinpath("xtd10").rglob("*.py"), *root.joinpath("benchmark").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        for pattern in (r"^\s*(import|from)\s+(c?pickle|joblib|dill|cloudpickle)\b", r"allow_pickle\s*=\s*True",
                        r"weights_only\s*=\s*False", r"pickle\.loads?\(", r"\.load_state_dict\(torch\.load"):
            offences += [f"{path}: {m.group(0).strip()}" for m in re.finditer(pattern, text, re.M)]
        for call in re.finditer(r"torch\.load\(([^()]|\([^()]*\))*\)", text):
            if "weights_only=True" not in call.group(0):
                offences.append(f"{path}: {call.group(0)}")
    assert not offences, offences


# --- 2. a checkpoint never imports code on its own --------------------------------------

EVIL_MODULE = """
from pathlib import Path
import numpy as np
from xtd10.encoders import EncoderMeta

Path({marker!r}).write_text("imported")


class Text:
    meta = EncoderMeta(name="t", spec="py:evilmod:text", embedding_dim=6)

    def encode_text(self, texts, *, language):
        return np.array([[len(t), t.count("e"), 1, 0, 0, 1] for t in texts], dtype=np.float32)


class Image:
    meta = EncoderMeta(name="i", spec="py:evilmod:image", embedding_dim=3, modalities=("image",))

    def encode_text(self, texts, *, language):
        raise NotImplementedError

    def encode_image(self, images):
        return np.array([np.asarray(im.resize((4, 4)), dtype=np.float32).mean(axis=(0, 1)) for im in images])


def text():
    return Text()


def image():
    return Image()
"""


@pytest.fixture
def evil_checkpoint(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A checkpoint whose config names ``py:evilmod:...`` with evilmod.py in the current folder."""
    marker = tmp_path / "imported.txt"
    (tmp_path / "evilmod.py").write_text(EVIL_MODULE.format(marker=str(marker)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "evilmod", raising=False)
    torch.manual_seed(0)
    save_checkpoint(DualHead(6, 3, 4, HeadConfig(hidden_dim=5)), tmp_path / "ck",
                    {"text_encoder": {"spec": "py:evilmod:text"}, "image_backbone": {"spec": "py:evilmod:image"}})
    return tmp_path / "ck", marker


@pytest.mark.parametrize("command", [
    ["bench", "run", "--model", "baseline:{ck}", "--dataset", "demo", "--bootstrap", "0", "--no-cache",
     "--out", "r.json"],
    ["baseline", "tag", "img.png", "--model", "{ck}", "--language", "es", "--vocabulary", "v.txt"],
])
def test_a_checkpoint_naming_python_code_needs_trust(evil_checkpoint, tmp_path, command):
    ck, marker = evil_checkpoint
    Image.new("RGB", (8, 8), (200, 20, 20)).save(tmp_path / "img.png")
    (tmp_path / "v.txt").write_text("rojo\nverde\n")
    args = [word.format(ck=ck) for word in command]
    before = snapshot(tmp_path)
    refused = CliRunner().invoke(cli, args)
    assert isinstance(refused.exception, UntrustedCodeError), refused.output
    message = str(refused.exception)
    assert f"checkpoint {ck / 'config.json'} names Python code to import ('py:evilmod:text')" in message
    assert "--trust-code" in message
    assert not marker.exists() and "evilmod" not in sys.modules
    assert snapshot(tmp_path) == before

    trusted = CliRunner().invoke(cli, [*args, "--trust-code"])
    assert trusted.exit_code == 0, trusted.output
    assert marker.read_text() == "imported"


def test_a_training_config_naming_python_code_needs_trust(evil_checkpoint, tmp_path, fake_encoders):
    _, marker = evil_checkpoint
    config = write_config(tmp_path, name="evil.yaml")
    data = yaml.safe_load(config.read_text())
    data["encoders"] = {"text": "py:evilmod:text", "image": "colour-stats"}
    config.write_text(yaml.safe_dump(data))
    before = snapshot(tmp_path)
    refused = train(config)
    assert isinstance(refused.exception, UntrustedCodeError), refused.output
    assert f"training config {config}: encoders.text names Python code to import ('py:evilmod:text')" \
        in str(refused.exception)
    assert not marker.exists() and "evilmod" not in sys.modules and snapshot(tmp_path) == before

    trusted = train(config, "--trust-code", "--epochs", "1")
    assert trusted.exit_code == 0, trusted.output
    assert marker.read_text() == "imported"


def test_trust_code_in_the_api(evil_checkpoint):
    from xtd10.encoders import build

    ck, marker = evil_checkpoint
    with pytest.raises(UntrustedCodeError, match="trust_code=True"):
        build(f"baseline:{ck}").encode_text(["hola"], language="es")
    assert not marker.exists()
    vectors = build(f"baseline:{ck}", trust_code=True).encode_text(["hola", "adios"], language="es")
    assert vectors.shape == (2, 4) and marker.exists()


def test_registered_specs_in_a_checkpoint_need_no_trust(tmp_path):
    from xtd10.encoders import build

    save_checkpoint(DualHead(512, 16, 4, HeadConfig(hidden_dim=5)), tmp_path / "ck",
                    {"text_encoder": {"spec": "random"}, "image_backbone": {"spec": "random"}})
    encoder = build(f"baseline:{tmp_path / 'ck'}")
    assert encoder.meta.embedding_dim == 4


# --- 6. damaged checkpoints and configs --------------------------------------------------


@pytest.mark.parametrize("damage", ["truncated", "foreign", "pickle"])
def test_a_damaged_checkpoint_is_a_one_line_error(tmp_path, damage):
    from safetensors.torch import save_file

    save_checkpoint(DualHead(512, 16, 4, HeadConfig(hidden_dim=5)), tmp_path / "ck",
                    {"text_encoder": {"spec": "random"}, "image_backbone": {"spec": "random"}})
    weights = tmp_path / "ck" / "model.safetensors"
    marker = tmp_path / "marker"
    if damage == "truncated":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
        expected = "model.safetensors: not a readable safetensors file"
    elif damage == "foreign":
        save_file({"embeddings.weight": torch.zeros(3, 3)}, str(weights))
        expected = "model.safetensors: weights do not match config.json"
    else:
        weights.write_bytes(crafted_pickle(marker))
        expected = "model.safetensors: not a readable safetensors file"
    before = snapshot(tmp_path)
    result = CliRunner().invoke(cli, ["bench", "run", "--model", f"baseline:{tmp_path / 'ck'}", "--dataset", "demo",
                                      "--bootstrap", "0", "--out", str(tmp_path / "r.json")])
    assert isinstance(result.exception, CheckpointError), result.output
    assert expected in str(result.exception) and "\n" not in str(result.exception)
    assert not marker.exists() and snapshot(tmp_path) == before


@pytest.mark.parametrize(("section", "field", "value", "message"), [
    ("train", "lr", float("nan"), "train.lr must be a finite number, got nan"),
    ("train", "lr", float("inf"), "train.lr must be a finite number, got inf"),
    ("train", "weight_decay", -0.1, "train.weight_decay must be >= 0, got -0.1"),
    ("data", "holdout_images", -5, "data.holdout_images must be >= 0, got -5"),
    ("train.loss", "temperature", float("nan"), "train.loss.temperature must be a finite number, got nan"),
])
def test_invalid_numbers_in_the_config_name_file_and_field(tmp_path, fake_encoders, section, field, value, message):
    config = yaml.safe_load(write_config(tmp_path).read_text())
    node = config
    for part in section.split("."):
        node = node.setdefault(part, {})
    node[field] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))  # YAML writes .nan / .inf
    before = snapshot(tmp_path)
    result = train(path)
    assert isinstance(result.exception, ConfigError), result.output
    assert str(result.exception) == f"{path}: {message}"
    assert snapshot(tmp_path) == before


# --- 7. --overwrite keeps the old run until the new one has a checkpoint -----------------


def test_overwrite_keeps_the_old_run_when_the_new_one_fails_early(run, tmp_path, fake_encoders):
    before = snapshot(run)
    parent = sorted(p.name for p in tmp_path.iterdir())

    def broken(images):
        raise XTD10Error("the image backbone failed")

    fake_encoders["image"].encode_image = broken
    (tmp_path / "cache").rename(tmp_path / "cache-old")  # make the new run encode (and fail)
    failed = train(tmp_path / "c.yaml", "--overwrite", "--epochs", "1", "--loss", "patr")
    assert isinstance(failed.exception, XTD10Error) and "image backbone failed" in str(failed.exception)
    assert snapshot(run) == before
    shutil.rmtree(tmp_path / "cache")  # the text features the failed run encoded
    (tmp_path / "cache-old").rename(tmp_path / "cache")
    assert sorted(p.name for p in tmp_path.iterdir()) == parent  # no staging folder left behind


def test_overwrite_keeps_the_old_run_when_training_fails_before_the_first_checkpoint(run, tmp_path, monkeypatch):
    from xtd10.baseline import trainer

    before = snapshot(run)

    def failing_epoch(*args, **kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")

    monkeypatch.setattr(trainer, "_run_epoch", failing_epoch)
    failed = train(tmp_path / "c.yaml", "--overwrite", "--epochs", "1")
    assert isinstance(failed.exception, RuntimeError)
    assert snapshot(run) == before
    assert not (tmp_path / ".run.overwrite").exists()


def test_overwrite_replaces_the_run_once_the_new_one_has_a_checkpoint(run, tmp_path):
    (run / "notes.txt").write_text("mine")  # not a run file: stays
    result = train(tmp_path / "c.yaml", "--overwrite", "--epochs", "3", "--loss", "patr")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["objective"]) for r in records] == [(1, "patr"), (2, "patr"), (3, "patr")]
    assert json.loads((run / "checkpoint" / "config.json").read_text())["epoch"] == 3
    assert (run / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_overwrite_gives_the_same_model_as_a_fresh_run(run, tmp_path, fake_encoders):
    """Training into the side folder and resuming in place is the uninterrupted schedule."""
    from xtd10.baseline.model import load_checkpoint

    assert train(tmp_path / "c.yaml", "--overwrite", "--epochs", "3").exit_code == 0
    fresh = write_config(tmp_path, "fresh.yaml")
    config = yaml.safe_load(fresh.read_text())
    config["out"] = "fresh"
    fresh.write_text(yaml.safe_dump(config))
    assert train(fresh, "--epochs", "3").exit_code == 0
    a, _ = load_checkpoint(run / "checkpoint")
    b, _ = load_checkpoint(tmp_path / "fresh" / "checkpoint")
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        torch.testing.assert_close(x, y, msg=name)
    losses = [json.loads(line)["loss"] for line in (run / "log.jsonl").read_text().splitlines()]
    fresh_losses = [json.loads(line)["loss"] for line in (tmp_path / "fresh" / "log.jsonl").read_text().splitlines()]
    assert losses == pytest.approx(fresh_losses, rel=1e-6)
    assert np.isfinite(losses).all()


def test_a_checkpoint_for_other_frozen_encoders_is_a_one_line_error(tmp_path):
    save_checkpoint(DualHead(512, 16, 4, HeadConfig(hidden_dim=5)), tmp_path / "ck",
                    {"text_encoder": {"spec": "random"}, "image_backbone": {"spec": "random"}})
    result = CliRunner().invoke(cli, ["bench", "run", "--model", f"baseline:{tmp_path / 'ck'}", "--dataset", "demo",
                                      "--bootstrap", "0", "--out", str(tmp_path / "r.json")])
    assert isinstance(result.exception, CheckpointError), result.output
    assert "the image head takes 16-d features, but its frozen encoder returned shape (12, 512)" \
        in str(result.exception)
    assert not (tmp_path / "r.json").exists()


# --- a run that diverges --------------------------------------------------------------------


def test_a_diverging_run_stops_with_an_error_and_writes_no_checkpoint(tmp_path, fake_encoders):
    result = train(write_config(tmp_path, lr=1e30))
    assert type(result.exception).__name__ == "TrainingDivergedError", result.output
    message = str(result.exception)
    assert "the loss is" in message and "train.lr" in message and "\n" not in message
    assert not (tmp_path / "run" / "checkpoint").exists() and not (tmp_path / "run" / "best").exists()


def test_overwrite_with_a_diverging_run_keeps_the_good_one(run, tmp_path):
    before = snapshot(run)
    failed = train(write_config(tmp_path, name="diverging.yaml", lr=1e30), "--overwrite")
    assert type(failed.exception).__name__ == "TrainingDivergedError", failed.output
    assert snapshot(run) == before
    assert not (tmp_path / ".run.overwrite").exists()


def test_a_checkpoint_with_non_finite_weights_is_never_written(tmp_path):
    model = DualHead(6, 3, 4, HeadConfig(hidden_dim=5))
    with torch.no_grad():
        model.text_head[0].weight[0, 0] = float("nan")
    with pytest.raises(CheckpointError, match=r"weights that are not finite \(text_head\.0\.weight\)"):
        save_checkpoint(model, tmp_path / "ck", {})
    assert not (tmp_path / "ck").exists()
