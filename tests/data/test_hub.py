import shutil

import datasets
import pytest
import yaml

from xtd10.data.hub import build_hub_dataset, push_hub_dataset
from xtd10.errors import XTD10Error


def _front_matter(path):
    text = path.read_text()
    return yaml.safe_load(text.split("---\n")[1])


def test_text_build_loads_offline_with_card_and_licence(tiny_source, tmp_path):
    out = tmp_path / "hub"
    report = build_hub_dataset(out, source=tiny_source)
    assert [c.name for c in report.configs][-1] == "all"
    meta = _front_matter(out / "README.md")
    assert meta["license"] == "other" and meta["license_link"] == "LICENSE.md"
    assert meta["license_name"] == "adobe-research-license"
    assert {c["config_name"] for c in meta["configs"]} >= {"es", "ja", "all"}
    assert "ja" in meta["language"] and "jp" not in meta["language"]
    assert (out / "LICENSE.md").read_bytes() == (tiny_source / "LICENSE.md").read_bytes()
    card = (out / "README.md").read_text()
    assert "noncommercial" in card and "Known issues" in card and "2012.05107" in card
    es = datasets.load_dataset(str(out), "es", split="test")
    assert es["caption"] == [f"es caption {i}" for i in range(4)]
    everything = datasets.load_dataset(str(out), "all", split="test")
    assert len(everything) == 44


def test_images_are_embedded_and_survive_deleting_the_folder(tiny_source, image_dir, tmp_path):
    out = tmp_path / "hub"
    build_hub_dataset(out, source=tiny_source, languages="en,es", images=str(image_dir))
    shutil.rmtree(image_dir)
    es = datasets.load_dataset(str(out), "es", split="test")
    assert es[0]["image"].size == (32, 24)
    images = datasets.load_dataset(str(out), "images", split="test")
    assert len(images) == 4


def test_push_refuses_an_unbuilt_folder(tmp_path):
    with pytest.raises(XTD10Error, match="not a built XTD10 folder"):
        push_hub_dataset(tmp_path, "org/name")


def test_audit_findings_reach_the_card_escaped(tiny_source, tmp_path):
    path = tiny_source / "XTD10" / "test_1kcaptions_tr.txt"
    path.write_text("tr caption 0\nCould not translate | <b>x</b>\ntr caption 2\ntr caption 3\n")
    out = tmp_path / "hub"
    from xtd10.crowd.audit import known_issues_table

    build_hub_dataset(out, source=tiny_source, known_issues=known_issues_table(tiny_source))
    card = (out / "README.md").read_text()
    assert "Automatic audit findings" in card
    row = next(line for line in card.splitlines() if line.startswith("| `tr` | placeholder"))
    assert "Could not translate \\| \\<b\\>x\\</b\\>" in row


def test_card_says_which_languages_were_translated_from_the_dataset_descriptor(tiny_source, tmp_path):
    import json

    from click.testing import CliRunner

    from tests.data.conftest import IMAGE_NAMES
    from xtd10.cli import cli

    (tiny_source / "CROWD").mkdir()
    (tiny_source / "CROWD" / "test_1kcaptions_hi.txt").write_text(f"{IMAGE_NAMES[0]}\tएक\n", encoding="utf-8")
    (tiny_source / "languages.json").write_text(json.dumps([{
        "code": "hi", "name": "Hindi", "script": "Deva", "provenance": "crowdsourced translation (xtd10 crowd tools)",
        "upstream_path": "CROWD/test_1kcaptions_hi.txt", "layout": "indexed"}]))
    out = tmp_path / "hub"
    res = CliRunner().invoke(cli, ["data", "build", str(out), "--source", str(tiny_source)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    card = (out / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line.split("|")[5].strip() for line in card.splitlines()
            if line.startswith("| `")and line.count("|") == 7}
    assert rows["ja"] == rows["en"] == "for the images"
    assert rows["de"] == rows["es"] == rows["hi"] == "translated from English"
    assert sorted(p.name for p in out.iterdir()) == ["LICENSE.md", "README.md", "data"]
