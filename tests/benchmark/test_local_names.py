"""No machine paths in results: a local model is named by its folder or file, and one
encoder spelled two ways is one entry."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from tests.leaderboard.leaderboard_factories import result_dict
from xtd10.benchmark.placement import save_result
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


def test_a_saved_result_holds_no_machine_path_whoever_made_it(tmp_path):
    result = Result.from_dict(result_dict("m", languages=("en", "de")))
    result.command = "xtd10 bench run --model hf:/models/clip --source /home/someone/xtd10 --images=~/coco"
    result.dataset["source"] = {"kind": "local", "location": "/home/someone/xtd10"}
    placed = save_result(result, tmp_path / "m.json")
    saved = json.loads(placed.path.read_text(encoding="utf-8"))
    assert saved["command"] == "xtd10 bench run --model hf:<path> --source <path> --images=<path>"
    assert saved["dataset"]["source"] == {"kind": "local"}
    assert "/home/someone" not in placed.path.read_text(encoding="utf-8")
    assert public_command("xtd10 bench run --source https://mirror.example/x --images download") == (
        "xtd10 bench run --source https://mirror.example/x --images download")
    assert public_source({"kind": "embedded", "location": "xtd10.data.demo"}) == {
        "kind": "embedded", "location": "xtd10.data.demo"}
