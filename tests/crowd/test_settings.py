"""Per-language settings: user files override the packaged ones key by key, mistakes in
them are errors naming the file and key, and languages without settings are announced."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.crowd.conftest import IMAGES, PAIRS, clean_rows
from tests.installed import need
from xtd10.cli import cli
from xtd10.crowd import settings as settings_module
from xtd10.crowd.errors import SettingsError
from xtd10.crowd.rules import get_rules
from xtd10.crowd.settings import load_settings
from xtd10.crowd.task import render_template
from xtd10.crowd.validate import run_rules

REPO = Path(__file__).resolve().parents[2]
# Hindi translations of the first three English captions (written for these tests).
HINDI = ["एक आदमी सर्फबोर्ड पर लहर की सवारी कर रहा है",
         "एक बिल्ली लैपटॉप के पास लकड़ी की मेज पर बैठी है",
         "दो जिराफ पेड़ों के पास घास के मैदान में खड़े हैं"]


@pytest.fixture(autouse=True)
def fresh_warnings(monkeypatch):
    """Each test sees the once-per-language warning afresh."""
    monkeypatch.setattr(settings_module, "_warned", set())


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def _hindi_batch() -> pd.DataFrame:
    return pd.DataFrame([{"submission_id": f"s{i}", "worker_id": "w", "image": IMAGES[i], "language": "hi",
                          "text": text, "english": PAIRS[i][0], "work_time_s": 30.0}
                         for i, text in enumerate(HINDI)])


def _generic_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "xtd10.crowd.settings" and r.levelno == logging.WARNING]


def test_partial_user_file_keeps_the_packaged_values(tmp_path):
    packaged = load_settings("hi")
    assert load_settings("hi", _write(tmp_path / "a", "hi.yaml", "code: hi\n")) == packaged
    tuned = load_settings("hi", _write(tmp_path / "b", "hi.yaml", "min_chars: 20\nlangid:\n  min_prob: 0.8\n"))
    assert (tuned.min_chars, tuned.langid_min_prob) == (20, 0.8)
    # Everything the user did not write is the packaged value, inside sections too.
    assert tuned.scripts == ("Deva",) and tuned.langid_accept == ("hi", "mr", "ne")
    assert tuned.placeholders == packaged.placeholders and tuned.task_title == packaged.task_title


def test_partial_hindi_file_does_not_reject_devanagari(tmp_path):
    rules = get_rules(["wrong_script"])
    partial = _write(tmp_path / "partial", "hi.yaml", "code: hi\n")
    assert run_rules(_hindi_batch(), rules=rules, settings_dir=partial).empty
    latin = _write(tmp_path / "latin", "hi.yaml", "scripts: [Latn]\n")  # the user's value does apply
    assert len(run_rules(_hindi_batch(), rules=rules, settings_dir=latin)) == len(HINDI)


def test_user_file_for_a_language_without_packaged_settings_extends_the_generic_ones(tmp_path, caplog):
    folder = _write(tmp_path, "pt.yaml", "name: Portuguese\nmin_chars: 9\n")
    pt = load_settings("pt", folder)
    assert (pt.code, pt.name, pt.min_chars, pt.scripts, pt.langid_accept) == ("pt", "Portuguese", 9, ("Latn",),
                                                                             ("pt",))
    assert not pt.generic and _generic_warnings(caplog) == []


@pytest.mark.parametrize("text,key", [
    ("min_script_fracton: 0.5\n", "min_script_fracton"),
    ("langid:\n  min_prb: 0.9\n", "langid.min_prb"),
])
def test_unknown_keys_name_the_file_the_key_and_the_known_keys(tmp_path, text, key):
    folder = _write(tmp_path, "hi.yaml", "code: hi\n" + text)
    with pytest.raises(SettingsError) as err:
        load_settings("hi", folder)
    assert (err.value.file, err.value.field) == (str(folder / "hi.yaml"), key)
    message = str(err.value)
    assert str(folder / "hi.yaml") in message and repr(key) in message and "\n" not in message
    assert "min_script_fraction" in message and "langid.min_prob" in message  # the known keys are listed


@pytest.mark.parametrize("text,field", [
    ("min_chars: many\n", "min_chars"),
    ("langid:\n  min_prob: high\n", "langid.min_prob"),
    ("langid: [hi]\n", "langid"),
    ("length_ratio:\n  unit: bytes\n", "length_ratio.unit"),
    ("max_chars: 0\n", "max_chars"),
    ("placeholders: 5\n", "placeholders"),
    ("scripts: [Devanagari]\n", "scripts"),
    ("code: de\n", "code"),
])
def test_bad_values_name_the_file_and_the_field(tmp_path, text, field):
    """The error says which file and which key, as fields; one line of text for people."""
    folder = _write(tmp_path, "hi.yaml", text)
    with pytest.raises(SettingsError) as err:
        load_settings("hi", folder)
    assert (err.value.file, err.value.field) == (str(folder / "hi.yaml"), field)
    assert str(err.value).startswith(f"{folder / 'hi.yaml'}: ") and "\n" not in str(err.value)


def test_a_bad_value_is_explained_in_words(tmp_path):
    """The wording, checked once: what the key must be and what it got."""
    folder = _write(tmp_path, "hi.yaml", "min_chars: many\n")
    with pytest.raises(SettingsError, match=r"hi\.yaml: min_chars must be a whole number, got 'many'$"):
        load_settings("hi", folder)


def test_packaged_files_pass_the_same_key_check():
    for path in sorted((REPO / "crowdsourcing/languages").glob("*.yaml")):
        settings_module._checked(settings_module.parse_yaml(path.read_text("utf-8"), str(path), SettingsError),
                                 str(path), path.stem)


def test_missing_settings_directory_is_an_error(tmp_path):
    with pytest.raises(SettingsError, match=r"nope: no such settings directory"):
        load_settings("de", tmp_path / "nope")


def test_cli_rejects_a_missing_settings_directory(tmp_path):
    batch = tmp_path / "b.parquet"
    pd.DataFrame(clean_rows()).to_parquet(batch)
    result = CliRunner().invoke(cli, ["crowd", "validate", str(batch), "--report", str(tmp_path / "r"),
                                      "--no-semantic", "--settings", str(tmp_path / "nonexistent")])
    assert result.exit_code == 2 and "nonexistent" in result.output and "does not exist" in result.output
    assert not (tmp_path / "r").exists()


def test_language_without_settings_warns_once_with_the_remedy(caplog):
    first = load_settings("pt")
    load_settings("pt")
    assert first.generic and first.scripts == ("Latn",)
    [message] = _generic_warnings(caplog)
    assert "'pt'" in message and "generic" in message and "script Latn" in message
    assert "--settings DIR" in message and "pt.yaml" in message and "crowdsourcing/languages/" in message


def test_generic_settings_skip_language_identification_for_labels_nobody_outputs(caplog):
    need("py3langid")
    german = pd.DataFrame(clean_rows()[:5])
    rules = get_rules(["wrong_language"])
    # A typo such as "xx" is no language py3langid knows: flagging every caption helps nobody.
    assert load_settings("xx").langid_accept == ()
    assert run_rules(german.assign(language="xx"), rules=rules).empty
    assert "no language-identifier check" in _generic_warnings(caplog)[0]
    # "pt" is one it knows, so German text is still caught.
    assert set(run_rules(german.assign(language="pt"), rules=rules)["submission_id"]) == set(german.submission_id)


def test_aliases_find_the_canonical_settings(caplog):
    assert load_settings("jp") == load_settings("ja")
    assert _generic_warnings(caplog) == []


def test_task_page_without_a_language_name_shows_the_code_as_a_label():
    page = render_template("pt", "plain")
    assert "<h1>Translate the caption (target language: pt)</h1>" in page
    assert "Translate the caption into pt" not in page
    page = render_template("hi", "plain")  # a known language: its own title
    assert "<h1>चित्र के विवरण का हिंदी में अनुवाद करें।</h1>" in page


@pytest.mark.parametrize("command", ["task", "ingest", "validate"])
def test_cli_commands_warn_about_a_language_without_settings(tmp_path, tiny_source, caplog, command):
    batch = tmp_path / "b.parquet"
    pd.DataFrame(clean_rows()).assign(language="pt").to_parquet(batch)
    export = tmp_path / "export.csv"
    export.write_text(f"worker_id,image,text\nw1,{IMAGES[0]},olá\n", encoding="utf-8")
    args = {
        "task": ["task", "--language", "pt", "--out", str(tmp_path / "in.csv"), "--source", str(tiny_source)],
        "ingest": ["ingest", str(export), "--platform", "csv", "--language", "pt", "-o", str(batch),
                   "--source", str(tiny_source)],
        "validate": ["validate", str(batch), "--report", str(tmp_path / "r"), "--no-semantic"],
    }[command]
    result = CliRunner().invoke(cli, ["crowd", *args])
    assert result.exit_code == 0, result.output
    [message] = _generic_warnings(caplog)
    assert "'pt'" in message and "--settings DIR" in message


def test_a_regional_tag_without_settings_uses_its_language_script_and_label():
    from xtd10.crowd import langid
    from xtd10.crowd.settings import load_settings

    settings = load_settings("es-MX", warn=False)
    assert settings.generic and settings.code == "es-mx" and settings.name == "es-mx"
    assert settings.scripts == ("Latn",)
    if langid.available():
        assert settings.langid_accept == ("es",)
    assert load_settings("ru-UA", warn=False).scripts == ("Cyrl",)
