"""Reading COCO-format and JSONL/CSV pairs, the XTD10 exclusion, and config validation."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from xtd10.baseline.config import load_config, parse_config
from xtd10.baseline.errors import ConfigError, TrainingDataError
from xtd10.baseline.pairs import read_coco_captions, read_pair_file, xtd10_coco_ids


def make_coco(root, ids=(1, 2, 3), captions_per_image=2):
    images = root / "train2014"
    images.mkdir(parents=True)
    data = {"images": [], "annotations": []}
    for k, image_id in enumerate(ids):
        name = f"COCO_train2014_{image_id:012d}.jpg"
        Image.new("RGB", (20, 20), (40 * k, 0, 0)).save(images / name)
        data["images"].append({"id": image_id, "file_name": name})
        for c in range(captions_per_image):
            data["annotations"].append({"id": 100 * image_id + c, "image_id": image_id,
                                        "caption": f"image {image_id} caption {c} "})
    path = root / "captions_train2014.json"
    path.write_text(json.dumps(data))
    return path, images


def test_coco_pairs_and_exclusion(tmp_path):
    annotations, images = make_coco(tmp_path)
    pairs = read_coco_captions(annotations, images)
    assert len(pairs) == 6 and pairs[0].caption == "image 1 caption 0"
    assert pairs[0].image_path == images / "COCO_train2014_000000000001.jpg"
    kept = read_coco_captions(annotations, images, exclude_ids={2})
    assert {p.image_key for p in kept} == {"1", "3"}


def test_coco_errors_name_the_problem(tmp_path):
    bad = tmp_path / "c.json"
    bad.write_text(json.dumps({"images": [{"id": 1, "file_name": "a.jpg"}],
                               "annotations": [{"image_id": 9, "caption": "x"}]}))
    with pytest.raises(TrainingDataError, match=r"annotations\[0\] refers to unknown image_id 9"):
        read_coco_captions(bad, tmp_path)
    bad.write_text("{")
    with pytest.raises(TrainingDataError, match="invalid JSON"):
        read_coco_captions(bad, tmp_path)
    bad.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(TrainingDataError, match=r"c\.json: invalid JSON: nested too deeply to read"):
        read_coco_captions(bad, tmp_path)


def test_xtd10_ids_from_the_real_image_list(real_source):
    ids = xtd10_coco_ids(real_source)
    assert len(ids) == 1000


def test_jsonl_and_csv_pairs(tmp_path):
    (tmp_path / "p.jsonl").write_text('{"image": "a.jpg", "caption": "a dog"}\n\n{"image": "/x/b.jpg", "caption": "b"}\n')
    pairs = read_pair_file(tmp_path / "p.jsonl")
    assert pairs[0].image_path == tmp_path / "a.jpg" and str(pairs[1].image_path) == "/x/b.jpg"
    (tmp_path / "p.csv").write_text('image,caption\na.jpg,"a cat, sitting"\n')
    assert read_pair_file(tmp_path / "p.csv")[0].caption == "a cat, sitting"
    # as Excel saves it: a byte-order mark before the header, CRLF, a quoted line break
    (tmp_path / "p.csv").write_bytes('image,caption\r\na.jpg,"two\r\nlines"\r\nb.jpg,ok\r\n'.encode("utf-8-sig"))
    assert [p.caption for p in read_pair_file(tmp_path / "p.csv")] == ["two\nlines", "ok"]


@pytest.mark.parametrize(("name", "text", "message"), [
    ("p.jsonl", '{"image": "a.jpg", "caption": "ok"}\n{"image": "b.jpg"}\n', r"p.jsonl:2: field 'caption'"),
    ("p.jsonl", '{"image": "a.jpg", "caption": "ok"}\nnot json\n', r"p.jsonl:2: invalid JSON"),
    ("p.csv", "path,caption\na,b\n", "lacks column"),
    ("p.csv", "image,caption\na.jpg,\n", r"p.csv:2: field 'caption'"),
    ("p.csv", 'image,caption\na.jpg,"x\ny"\nb.jpg,\n', r"p.csv:4: field 'caption'"),  # the file's line
    ("p.jsonl", b'{"image": "a.jpg", "caption": "caf\xe9"}\n', r"p.jsonl: not UTF-8 text \(byte 34"),
    ("p.jsonl", '{"image": "a.jpg", "caption": "ok"}\n' + "[" * 100_000 + "]" * 100_000 + "\n",
     r"p.jsonl:2: invalid JSON: nested too deeply to read"),
])
def test_pair_file_errors(tmp_path, name, text, message):
    if isinstance(text, bytes):
        (tmp_path / name).write_bytes(text)
    else:
        (tmp_path / name).write_text(text)
    with pytest.raises(TrainingDataError, match=message):
        read_pair_file(tmp_path / name)


def test_config_validation_and_overrides(tmp_path):
    raw = {"data": {"kind": "pairs", "file": "pairs.jsonl"}, "train": {"epochs": 3, "loss": {"name": "patr"}}}
    config = parse_config(raw, overrides={"train.loss.name": "infonce", "train.device": "cpu", "out": None})
    assert config.train.loss.name == "infonce" and config.train.epochs == 3 and config.train.device == "cpu"
    with pytest.raises(ConfigError, match="train: unknown field"):
        parse_config({**raw, "train": {"epoch": 3}})
    with pytest.raises(ConfigError, match=r"train.loss: unknown field\(s\) alpha"):
        parse_config({**raw, "train": {"loss": {"alpha": 1}}})
    with pytest.raises(ConfigError, match="needs data.annotations"):
        parse_config({"data": {"kind": "coco"}})
    path = tmp_path / "sub" / "c.yaml"
    path.parent.mkdir()
    path.write_text("data: {kind: pairs, file: pairs.jsonl}\n")
    assert load_config(path).data.file == str(tmp_path / "sub" / "pairs.jsonl")



def test_paths_in_the_file_are_relative_to_it_and_command_line_paths_to_the_cwd(tmp_path, monkeypatch):
    path = tmp_path / "conf" / "c.yaml"
    path.parent.mkdir()
    path.write_text("data: {kind: pairs, file: ../data/pairs.jsonl}\nout: ../runs/m3l\ncache_dir: cache\n")
    monkeypatch.chdir(tmp_path / "conf")  # any other directory would do: the file decides
    config = load_config(path)
    assert config.data.file == str(tmp_path / "data" / "pairs.jsonl")
    assert config.out == str(tmp_path / "runs" / "m3l")
    assert config.cache_dir == str(tmp_path / "conf" / "cache")
    assert load_config(path, {"out": "elsewhere"}).out == "elsewhere"
    (tmp_path / "abs.yaml").write_text(f"data: {{kind: pairs, file: p.jsonl}}\nout: {tmp_path / 'x'}\n")
    assert load_config(tmp_path / "abs.yaml").out == str(tmp_path / "x")

@pytest.mark.parametrize(("train", "message"), [
    ({"lr": "fast"}, "c.yaml: train.lr must be a number, got 'fast'"),
    ({"epochs": 2.5}, "c.yaml: train.epochs must be a whole number, got 2.5"),
    ({"epochs": True}, "c.yaml: train.epochs must be a whole number, got True"),
    ({"amp": "yes"}, "c.yaml: train.amp must be true or false, got 'yes'"),
    ({"loss": {"rho": "x"}}, "c.yaml: train.loss.rho must be a number"),
    ({"head": {"hidden_dim": "1k"}}, "c.yaml: train.head.hidden_dim must be a whole number"),
    ({"epochs": 0}, "c.yaml: train.epochs must be >= 1"),
    ({"head": 3}, "c.yaml: train.head: expected a mapping"),
])
def test_wrong_types_are_named_by_file_and_field(train, message):
    raw = {"data": {"kind": "pairs", "file": "pairs.jsonl"}, "train": train}
    with pytest.raises(ConfigError) as err:
        parse_config(raw, where="c.yaml")
    assert str(err.value).startswith(message), str(err.value)


def test_well_typed_values_pass_including_ints_for_floats_and_nulls():
    raw = {"data": {"kind": "pairs", "file": "p.jsonl", "xtd10_source": None},
           "train": {"lr": 1, "weight_decay": 0, "loss": {"rho": 2}}}
    assert parse_config(raw).train.lr == 1


def test_shipped_configs_parse_and_read_and_write_at_the_repository_root():
    """Relative paths in a config are relative to the file: the shipped ones point at the
    repository's ``coco/`` and ``runs/`` wherever the configs folder sits."""
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    configs = sorted((root / "benchmark" / "configs").glob("baseline*.yaml"))
    assert [p.name for p in configs] == ["baseline-pairs.yaml", "baseline.yaml"]
    for path in configs:
        config = load_config(path)
        assert Path(os.path.normpath(config.out)).parent == root / "runs", path.name
        assert Path(os.path.normpath(config.cache_dir)).parent == root / "runs", path.name
    coco = load_config(root / "benchmark" / "configs" / "baseline.yaml").data
    assert Path(os.path.normpath(coco.images)) == root / "coco" / "train2014"
