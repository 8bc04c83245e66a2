"""From generated COCO-format data to a checkpoint that the encoder registry can build,
through the CLI; tagging with that checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from PIL import Image

import xtd10.baseline.encoder  # noqa: F401  (registers baseline:PATH)
from xtd10.baseline.errors import BaselineError, ConfigError
from xtd10.baseline.tagging import rank_tags, read_vocabulary
from xtd10.cli.baseline import group
from xtd10.encoders import build
from xtd10.encoders.protocol import EncoderError

COLOURS = {"red": (220, 30, 30), "green": (30, 180, 30), "blue": (30, 30, 220), "white": (250, 250, 250)}


def make_coco(root, per_colour=8):
    """A tiny COCO captions file: each image is one flat colour, captioned with its name."""
    folder = root / "train2014"
    folder.mkdir(parents=True)
    data = {"images": [], "annotations": []}
    rng = np.random.default_rng(0)
    image_id = 0
    for name, rgb in COLOURS.items():
        for _ in range(per_colour):
            image_id += 1
            pixel = np.clip(np.array(rgb) + rng.integers(-20, 20, 3), 0, 255).astype(np.uint8)
            file_name = f"COCO_train2014_{image_id:012d}.jpg"
            Image.fromarray(np.tile(pixel, (16, 16, 1))).save(folder / file_name)
            data["images"].append({"id": image_id, "file_name": file_name})
            for c, template in enumerate(("{}", "a {} picture")):
                data["annotations"].append({"id": 10 * image_id + c, "image_id": image_id,
                                            "caption": template.format(name)})
    (root / "captions.json").write_text(json.dumps(data))
    return root / "captions.json", folder


@pytest.fixture(scope="module")
def trained(tmp_path_factory, module_fake_encoders):
    """One training run through the CLI, shared by the tests of this module."""
    tmp_path = tmp_path_factory.mktemp("e2e")
    annotations, images = make_coco(tmp_path)
    config = {
        "data": {"kind": "coco", "annotations": str(annotations), "images": str(images), "exclude_xtd10": False,
                 "holdout_images": 6},
        "encoders": {"text": "hash-text", "image": "colour-stats"},
        "train": {"epochs": 20, "batch_size": 16, "lr": 0.01, "warmup_steps": 2, "embed_dim": 8, "device": "cpu",
                  "head": {"hidden_dim": 32, "dropout": 0.0}, "loss": {"name": "infonce", "temperature": 0.1}},
        "out": str(tmp_path / "run"),
        "cache_dir": str(tmp_path / "cache"),
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    (tmp_path / "resume.yaml").write_text(yaml.safe_dump({**config, "out": str(tmp_path / "run2")}))
    result = CliRunner().invoke(group, ["train", "--config", str(tmp_path / "c.yaml"), "--loss", "infonce"])
    assert result.exit_code == 0, result.output
    assert "held-out English" in result.output
    assert f"use it: xtd10 bench run --model baseline:{tmp_path / 'run' / 'checkpoint'}\n" in result.output
    return tmp_path / "run", module_fake_encoders


def test_checkpoint_is_an_encoder(trained):
    run, fakes = trained
    with pytest.raises(EncoderError, match=r"invalid device 'gpu'"):
        build(f"baseline:{run}", device="gpu")
    encoder = build(f"baseline:{run}")
    assert encoder.meta.modalities == ("text", "image") and encoder.meta.embedding_dim == 8
    assert encoder.meta.name == "xtd10-baseline (infonce)"
    text = encoder.encode_text(["a red picture", "a blue picture"], language="en")
    assert text.shape == (2, 8)
    np.testing.assert_allclose(np.linalg.norm(text, axis=1), 1.0, rtol=1e-5)
    images = [Image.new("RGB", (16, 16), COLOURS["red"]), Image.new("RGB", (16, 16), COLOURS["blue"])]
    scores = text @ encoder.encode_image(images).T
    assert scores[0, 0] > scores[0, 1] and scores[1, 1] > scores[1, 0]  # learnt colours
    # the feature cache was filled once: a second training run does not re-encode
    assert fakes["text"].calls >= 1


def test_tagging_ranks_the_right_colour_first(trained, tmp_path):
    run, _ = trained
    encoder = build(f"baseline:{run}")
    tags = rank_tags(encoder, Image.new("RGB", (16, 16), COLOURS["green"]), ["red", "green", "blue", "white"],
                     language="en", top=2)
    assert tags[0].tag == "green" and len(tags) == 2 and tags[0].score >= tags[1].score
    vocab = tmp_path / "v.txt"
    vocab.write_text("# colours\nred\ngreen\n\nblue\nwhite\n")
    image = tmp_path / "g.png"
    Image.new("RGB", (16, 16), COLOURS["green"]).save(image)
    result = CliRunner().invoke(group, ["tag", str(image), "--model", str(run), "--language", "en",
                                        "--vocabulary", str(vocab), "--top", "3", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed[0]["tag"] == "green" and len(listed) == 3


def test_resume_through_the_cli_adds_epochs(trained):
    run, fakes = trained
    calls = fakes["text"].calls
    runner = CliRunner()
    config = str(run.parent / "resume.yaml")
    result = runner.invoke(group, ["train", "--config", config, "--epochs", "2"])
    assert result.exit_code == 0, result.output
    assert fakes["text"].calls == calls  # same data and encoder: features came from the cache
    result = runner.invoke(group, ["train", "--config", config, "--epochs", "3", "--resume"])
    assert result.exit_code == 0, result.output
    assert "trained 3 epoch(s)" in result.output
    assert len((run.parent / "run2" / "log.jsonl").read_text().splitlines()) == 3



def test_an_earlier_run_is_not_trained_over_without_resume_or_overwrite(trained):
    run, _ = trained
    runner = CliRunner()
    config = yaml.safe_load((run.parent / "c.yaml").read_text())
    path = run.parent / "again.yaml"
    path.write_text(yaml.safe_dump({**config, "out": str(run.parent / "run3")}))
    assert runner.invoke(group, ["train", "--config", str(path), "--epochs", "2"]).exit_code == 0
    refused = runner.invoke(group, ["train", "--config", str(path), "--epochs", "1", "--loss", "patr"])
    assert isinstance(refused.exception, ConfigError)
    assert "already holds a training run (trainer_state.json, trainer_state.safetensors, log.jsonl, checkpoint, best)" in str(refused.exception)
    assert len((run.parent / "run3" / "log.jsonl").read_text().splitlines()) == 2  # untouched
    replaced = runner.invoke(group, ["train", "--config", str(path), "--epochs", "1", "--loss", "patr", "--overwrite"])
    assert replaced.exit_code == 0, replaced.output
    records = [json.loads(line) for line in (run.parent / "run3" / "log.jsonl").read_text().splitlines()]
    assert [(r["epoch"], r["objective"]) for r in records] == [(1, "patr")]


def test_a_bad_device_fails_before_any_data_is_read(tmp_path):
    (tmp_path / "c.yaml").write_text("data: {kind: pairs, file: missing.jsonl}\n")
    for device, message in (("gpu", "train.device: invalid device 'gpu'"), ("xla", "unsupported device 'xla'")):
        result = CliRunner().invoke(group, ["train", "--config", str(tmp_path / "c.yaml"), "--device", device])
        assert isinstance(result.exception, ConfigError) and message in str(result.exception), result.output


def test_an_unreachable_xtd10_list_names_the_config_fields(tmp_path, monkeypatch):
    from xtd10.baseline import run as run_module
    from xtd10.baseline.config import parse_config
    from xtd10.baseline.errors import TrainingDataError
    from xtd10.errors import HostUnreachableError

    def unreachable(source):
        raise HostUnreachableError("https://raw.githubusercontent.com/...: cannot reach it", "raw.githubusercontent.com")

    monkeypatch.setattr(run_module, "xtd10_coco_ids", unreachable)
    annotations, images = make_coco(tmp_path)
    config = parse_config({"data": {"kind": "coco", "annotations": str(annotations), "images": str(images)}})
    with pytest.raises(TrainingDataError, match=r"raw.githubusercontent.com is unreachable; set data.xtd10_source"):
        run_module.read_training_pairs(config)
    missing = parse_config({"data": {"kind": "coco", "annotations": str(tmp_path / "none.json"), "images": "x"}})
    with pytest.raises(TrainingDataError, match=r"none.json: no such COCO annotation file"):
        run_module.read_training_pairs(missing)

def test_vocabulary_errors(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("cat\ndog\ncat\n")
    with pytest.raises(BaselineError, match=r"v.txt:3: duplicate tag 'cat' \(first on line 1\)"):
        read_vocabulary(path)
    path.write_text("# nothing\n\n")
    with pytest.raises(BaselineError, match="empty"):
        read_vocabulary(path)
    path.write_bytes("perro\ngato\n".encode("utf-8-sig"))  # a BOM is not part of the first tag
    assert read_vocabulary(path) == ["perro", "gato"]
    with pytest.raises(BaselineError, match=r"missing.txt: no such vocabulary file"):
        read_vocabulary(tmp_path / "missing.txt")


def test_checkpoint_runs_through_the_benchmark_harness(trained):
    from xtd10.benchmark import runner

    run, _ = trained
    result = runner.evaluate(f"baseline:{run}", dataset="demo", tracks="image", languages=["en", "es"],
                             bootstrap=20, cache=False, progress=False)
    cells = {(m["direction"], m["language"], m["metric"]) for m in result.metrics}
    assert ("t2i", "es", "R@10") in cells and ("i2t", "en", "R@1") in cells
    assert result.encoder["spec"] == f"baseline:<path>/{run.name}"  # no machine path in results
    assert result.encoder["modalities"] == ["text", "image"]


def test_registering_the_adapter_is_cheap():
    """The encoder registry may import xtd10.baseline.encoder among its built-ins: no torch."""
    import subprocess
    import sys

    code = ("import sys, xtd10.baseline.encoder; from xtd10.encoders import ADAPTERS; "
            "assert 'baseline' in ADAPTERS; assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_printed_paths_are_relative_to_the_current_directory_when_below_it(tmp_path, monkeypatch):
    from xtd10.cli.baseline import _as_typed

    (tmp_path / "benchmark").mkdir()
    monkeypatch.chdir(tmp_path)
    assert _as_typed(tmp_path / "benchmark" / ".." / "runs" / "m3l") == str(Path("runs") / "m3l")
    assert _as_typed(tmp_path.parent / "elsewhere") == str(tmp_path.parent / "elsewhere")
