"""The calibration script writes a language's thresholds into the one settings file of that
language (``crowdsourcing/languages/<code>.yaml``, shipped inside the package by the build),
keeping every other line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.benchmark_scripts.scripts import loaded_script

SETTINGS = Path(__file__).resolve().parents[2] / "crowdsourcing" / "languages"


@pytest.fixture(scope="module")
def script():
    with loaded_script("calibration/calibrate_semantic.py") as module:
        yield module


def test_the_settings_folder_is_the_one_the_package_ships(script):
    assert script.SETTINGS_FOLDER.resolve() == SETTINGS.resolve()


def test_thresholds_replace_the_old_ones_and_keep_every_other_line(script, tmp_path):
    original = (SETTINGS / "de.yaml").read_text(encoding="utf-8")
    (tmp_path / "de.yaml").write_text(original, encoding="utf-8")
    written = script.set_language_thresholds("de", {"muse": 0.31, "e5-small": 0.72}, tmp_path)
    assert written == tmp_path / "de.yaml"
    text = written.read_text(encoding="utf-8")
    assert yaml.safe_load(text)["semantic"]["thresholds"] == {"e5-small": 0.72, "muse": 0.31}
    kept = [line for line in original.splitlines() if not line.startswith("    ") and "thresholds:" not in line]
    assert [line for line in text.splitlines() if not line.startswith("    ") and "thresholds:" not in line] == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["de.yaml"]


def test_a_language_without_a_file_writes_nothing(script, tmp_path):
    assert script.set_language_thresholds("pt", {"muse": 0.3}, tmp_path) is None
    assert list(tmp_path.iterdir()) == []
