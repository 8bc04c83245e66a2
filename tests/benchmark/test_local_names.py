"""No machine paths in results: a local model is named by its folder or file, and one
encoder spelled two ways is one entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from xtd10.benchmark.public_paths import public_command, public_source, public_spec
from xtd10.cli import cli
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]


def _encoder_file(tmp_path: Path) -> Path:
    folder = tmp_path / "deep" / "private" / "place"
    folder.mkdir(parents=True)
    path = folder / "colour_encoder.py"
    shutil.copy(REPO / "docs" / "examples" / "my_encoder.py", path)
    return path


def test_a_py_file_spelled_two_ways_is_one_result_without_its_path(tmp_path, monkeypatch):
    path = _encoder_file(tmp_path)
    results = tmp_path / "results"
    monkeypatch.chdir(path.parent.parent)
    runner = CliRunner()
    for spelling in (f"py:{path}:build", "py:./place/colour_encoder.py:build"):
        outcome = runner.invoke(cli, ["bench", "run", "--model", spelling, "--dataset", "demo", "--track", "text",
                                      "--languages", "de", "--bootstrap", "0", "--out",
                                      str(results / "colour.json")])
        assert outcome.exit_code == 0, outcome.output
    files = sorted(p.name for p in results.rglob("*.json"))
    assert files == ["colour.json"]  # the second spelling merged into the first: one encoder
    text = (results / "colour.json").read_text()
    assert str(tmp_path) not in text and "private" not in text
    assert Result.load(results / "colour.json").encoder["spec"] == "py:<path>/colour_encoder.py:build"


def test_name_option_and_the_default_file_name_hold_no_path(tmp_path, monkeypatch):
    path = _encoder_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    outcome = CliRunner().invoke(cli, ["bench", "run", "--model", f"py:{path}:build", "--dataset", "demo",
                                       "--track", "text", "--languages", "de", "--bootstrap", "0",
                                       "--name", "My colour model"])
    assert outcome.exit_code == 0, outcome.output
    written = list((tmp_path / "results").glob("*.json"))
    assert len(written) == 1 and "private" not in written[0].name
    data = json.loads(written[0].read_text())
    assert data["encoder"]["name"] == "My colour model"
    assert str(tmp_path) not in written[0].read_text()


def test_public_spec_keeps_hub_ids_and_names_local_files_by_their_last_part(tmp_path):
    model = tmp_path / "models" / "ModelA"
    model.mkdir(parents=True)
    assert public_spec(f"hf:{model}") == "hf:<path>/ModelA"
    assert public_spec(f"hf:{model}/") == "hf:<path>/ModelA"
    assert public_spec("hf:openai/clip-vit-base-patch32") == "hf:openai/clip-vit-base-patch32"
    assert public_spec("py:mypkg.encoders:build") == "py:mypkg.encoders:build"
    assert public_spec(f"open_clip:ViT-B-32@{tmp_path}/ck.pt") == "open_clip:ViT-B-32@<path>/ck.pt"
    assert public_spec("muse") == "muse"


def test_a_recorded_command_and_source_hold_no_machine_path():
    command = "xtd10 bench run --model hf:/models/clip --source /home/someone/xtd10 --images=~/coco"
    assert public_command(command) == "xtd10 bench run --model hf:<path> --source <path> --images=<path>"
    assert public_command("xtd10 bench run --source https://mirror.example/x --images download") == (
        "xtd10 bench run --source https://mirror.example/x --images download")
    assert public_source({"kind": "local", "location": "/home/someone/xtd10"}) == {"kind": "local"}
    assert public_source({"kind": "embedded", "location": "xtd10.data.demo"}) == {
        "kind": "embedded", "location": "xtd10.data.demo"}
