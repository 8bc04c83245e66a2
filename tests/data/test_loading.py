import json

import datasets
import pytest

import xtd10
from tests.data.conftest import IMAGE_NAMES
from xtd10.data import load_frame
from xtd10.errors import SourceError, UnknownLanguageError


def test_single_language_is_a_dataset_in_upstream_order(tiny_source):
    ds = xtd10.load("es", source=tiny_source)
    assert isinstance(ds, datasets.Dataset)
    assert ds.split == "test"
    assert ds["caption"] == [f"es caption {i}" for i in range(4)]  # CRLF file read faithfully
    assert ds["index"] == [0, 1, 2, 3]
    assert ds["file_name"] == IMAGE_NAMES
    assert ds["image_id"] == [9, 25, 42, 73]
    assert ds["coco_split"] == ["train2014", "train2014", "val2014", "val2014"]
    assert set(ds["language"]) == {"es"}


def test_all_languages_is_a_datasetdict_with_ja_not_jp(tiny_source):
    dd = xtd10.load(source=tiny_source)
    assert isinstance(dd, datasets.DatasetDict)
    assert list(dd) == list(xtd10.XTD10_CODES)
    assert dd["ja"]["caption"][0] == "ja caption 0"
    assert isinstance(xtd10.load("jp", source=tiny_source), datasets.Dataset)


def test_val2014_subset(tiny_source):
    ds = xtd10.load("en", source=tiny_source, subset="val2014")
    assert ds["image_id"] == [42, 73]
    with pytest.raises(ValueError, match="unknown subset"):
        load_frame("en", source=tiny_source, subset="test2015")


def test_env_var_selects_the_source(tiny_source, monkeypatch):
    monkeypatch.setenv("XTD10_SOURCE", str(tiny_source))
    assert xtd10.load("de")["caption"][1] == "de caption 1"


def test_unknown_language_is_clear(tiny_source):
    with pytest.raises(UnknownLanguageError, match="Valid codes"):
        xtd10.load("xx", source=tiny_source)


def test_truncated_caption_file_is_an_error(tiny_source):
    path = tiny_source / "XTD10" / "test_1kcaptions_pl.txt"
    path.write_text("only one\n")
    with pytest.raises(SourceError, match="test_1kcaptions_pl.txt: 1 caption lines but the image list has 4"):
        xtd10.load("pl", source=tiny_source)


def test_added_language_with_several_captions_per_image(tiny_source):
    (tiny_source / "CROWD").mkdir()
    (tiny_source / "CROWD" / "test_1kcaptions_hi.txt").write_text(
        f"{IMAGE_NAMES[2]}\tपहला\n{IMAGE_NAMES[2]}\tदूसरा\n{IMAGE_NAMES[0]}\tतीसरा\n"
    )
    (tiny_source / "languages.json").write_text(json.dumps([{
        "code": "hi", "name": "Hindi", "script": "Deva", "provenance": "crowdsourced translation",
        "upstream_path": "CROWD/test_1kcaptions_hi.txt", "layout": "indexed"}]))
    ds = xtd10.load("hi", source=tiny_source)
    assert ds["image_id"] == [42, 42, 9]
    assert ds["caption_index"] == [0, 1, 0]
    assert "hi" in xtd10.load(source=tiny_source)


def test_bad_language_manifest_names_file(tiny_source):
    (tiny_source / "languages.json").write_text("[{")
    with pytest.raises(SourceError, match="languages.json:1: invalid JSON"):
        xtd10.load("hi", source=tiny_source)


def test_exclude_flagged_drops_only_flagged_non_english_captions(tiny_source):
    path = tiny_source / "XTD10" / "test_1kcaptions_it.txt"
    path.write_bytes(b"it caption 0\n\nit caption 2\nit caption 3\n")  # caption 1 empty
    with pytest.raises(SourceError, match="no audit recorded for language 'it'.*xtd10 crowd audit --language it"):
        xtd10.load("it,en", source=tiny_source, exclude_flagged=True)
    from xtd10.crowd.audit import audit_and_record

    audit_and_record("it", tiny_source)  # the audit writes the flagged list; loading reads it
    kept = xtd10.load("it,en", source=tiny_source, exclude_flagged=True)
    assert kept["it"]["index"] == [0, 2, 3]
    assert len(kept["en"]) == 4
    assert len(xtd10.load("it", source=tiny_source)) == 4
    given = xtd10.load("it", source=tiny_source, exclude_flagged={"it": [0, 3]})
    assert given["index"] == [1, 2]
    path.write_bytes(b"it caption 0\nit caption 1\nit caption 2\nit caption 3\n")  # another revision
    with pytest.raises(SourceError, match="no audit recorded"):
        xtd10.load("it", source=tiny_source, exclude_flagged=True)


def test_the_data_layer_does_not_import_the_crowd_tools():
    import ast
    from pathlib import Path

    import xtd10.data

    for module in Path(xtd10.data.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(n.startswith("xtd10.crowd") for n in names), module
