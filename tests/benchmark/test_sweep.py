"""The leaderboard roster (benchmark/models.yaml): validation and the sweep."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from xtd10.benchmark.sweep import RosterError, load_roster, run_sweep
from xtd10.cli import cli
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]


def test_project_roster_is_valid_and_lists_the_offline_models():
    entries = load_roster(REPO / "benchmark" / "models.yaml")
    offline = {e.spec for e in entries if e.offline}
    assert {"muse", "e5-small", "offline-labels", "random"} <= offline


@pytest.mark.parametrize(("text", "message"), [
    ("models: [{track: text}]", r"models\[0\]: needs a non-empty 'spec'"),
    ("models: [{spec: muse, track: audio}]", "track 'audio'"),
    ("models: [{spec: muse}, {spec: muse}]", "listed twice"),
    ("models: [{spec: muse, offline: maybe}]", "'offline' must be true or false"),
    ("models:\n  - spec: [unclosed", r"roster.yaml: invalid YAML: .*\(line \d+, column \d+\)"),
    ("just a string", "expected a mapping"),
])
def test_bad_roster_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "roster.yaml"
    path.write_text(text)
    with pytest.raises(RosterError, match=message):
        load_roster(path)


def test_sweep_scores_each_entry_and_reports_what_cannot_run(tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n"
                      "  - {spec: random, track: both, offline: true}\n"
                      "  - {spec: 'nosuch:model', track: both, offline: true}\n"
                      "  - {spec: 'hf:some/model', track: both, offline: false}\n")
    outcomes = list(run_sweep(load_roster(roster), tmp_path / "out", offline_only=True, dataset="demo",
                              bootstrap=0, progress=False))
    assert [o.entry.spec for o in outcomes] == ["random", "nosuch:model", "hf:some/model"]
    assert outcomes[0].path == tmp_path / "out" / "random.xtd10-demo.json" and outcomes[0].path.is_file()
    assert "available adapters" in outcomes[1].skipped
    assert "not offline" in outcomes[2].skipped


def test_sweep_cli(tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: text, offline: true}\n")
    res = CliRunner().invoke(cli, ["bench", "sweep", "--config", str(roster), "--dataset", "demo",
                                   "--bootstrap", "0", "--out", str(tmp_path)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert "random: avg R@10 x2en" in res.output and "1 of 1 models scored" in res.output


def test_sweep_without_images_runs_the_text_track_and_says_what_was_skipped(tmp_path, monkeypatch):
    """Offline, a model listed for both tracks still gets its text track scored; the image
    track is skipped after one quick attempt, with the reason in one line."""
    import xtd10.data.http as http
    from tests.data.conftest import write_tiny_source
    from tests.data.loopback import refused_url

    source = write_tiny_source(tmp_path / "src")
    base = refused_url()
    monkeypatch.setenv("XTD10_IMAGE_URL", base)
    attempts: list[str] = []
    real_fetch = http._fetch_into

    def counting(url, *args):
        attempts.append(url)
        return real_fetch(url, *args)

    monkeypatch.setattr(http, "_fetch_into", counting)
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: both, offline: true}\n")
    [outcome] = run_sweep(load_roster(roster), tmp_path / "out", offline_only=True, source=str(source),
                          bootstrap=0, progress=False)
    assert outcome.skipped is None and outcome.path.is_file()
    assert outcome.result.config["tracks"] == ["text"]
    assert {r["track"] for r in outcome.result.metrics} == {"text"}
    assert outcome.partial.startswith("image track skipped: ")
    assert f"cannot reach {base.removeprefix('http://')}" in outcome.partial and "images=DIR" in outcome.partial
    assert "\n" not in outcome.partial
    assert len(attempts) == 2  # one image, two connection attempts, then the one-line reason

    res = CliRunner().invoke(cli, ["bench", "sweep", "--config", str(roster), "--offline-only", "--source",
                                   str(source), "--bootstrap", "0", "--out", str(tmp_path / "cli")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert lines[0] == "[1/1] random (both tracks) ..."
    assert any(line.startswith("  image track skipped: ") and "pass --images DIR" in line for line in lines)
    assert lines[-1] == "1 of 1 models scored; text track only (no images): random"


EVIL_MODULE = """from pathlib import Path
Path({marker!r}).write_text("imported")

def make():
    from xtd10.encoders.random_encoder import RandomEncoder
    return RandomEncoder()
"""


@pytest.fixture
def roster_naming_code(tmp_path, monkeypatch):
    """A model list naming ``py:evilroster:make``, a module in the current folder."""
    import sys

    marker = tmp_path / "imported.txt"
    (tmp_path / "evilroster.py").write_text(EVIL_MODULE.format(marker=str(marker)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.delitem(sys.modules, "evilroster", raising=False)
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: text, offline: true}\n"
                      "  - {spec: 'py:evilroster:make', track: text, offline: true}\n")
    return roster, marker


def test_a_model_list_naming_python_code_needs_trust(roster_naming_code, tmp_path):
    from xtd10.encoders import UntrustedCodeError

    roster, marker = roster_naming_code
    args = ["bench", "sweep", "--config", str(roster), "--dataset", "demo", "--bootstrap", "0",
            "--out", str(tmp_path / "out")]
    refused = CliRunner().invoke(cli, args)
    assert isinstance(refused.exception, UntrustedCodeError), refused.output
    message = str(refused.exception)
    assert f"{roster}: models[1] names Python code to import ('py:evilroster:make')" in message
    assert "--trust-code" in message and "\n" not in message
    assert not marker.exists() and not (tmp_path / "out").exists()  # refused before any model ran

    with pytest.raises(UntrustedCodeError):
        load_roster(roster)  # the API refuses it too
    assert [e.spec for e in load_roster(roster, trust_code=True)] == ["random", "py:evilroster:make"]

    trusted = CliRunner().invoke(cli, [*args, "--trust-code"])
    assert trusted.exit_code == 0, trusted.output
    assert marker.read_text() == "imported" and "2 of 2 models scored" in trusted.output


def test_a_model_that_breaks_is_reported_and_the_others_finish(tmp_path):
    """An error that is not the toolkit's (a bug in one model's code) ends that model only: the
    sweep says which and why in one line, scores the rest, counts progress over the models,
    and ends with exit status 1."""
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n"
                      "  - {spec: 'py:tests.benchmark.stalling_encoder:broken', track: text, offline: true}\n"
                      "  - {spec: random, track: text, offline: true}\n")
    res = CliRunner().invoke(cli, ["bench", "sweep", "--config", str(roster), "--dataset", "demo", "--trust-code",
                                   "--bootstrap", "0", "--out", str(tmp_path / "out")], catch_exceptions=False)
    assert res.exit_code == 1, res.output
    assert ("failed py:tests.benchmark.stalling_encoder:broken: RuntimeError: this model's code has a bug "
            "second line\n") in res.output
    assert "  1 of 2 models done in " in res.output and "left" in res.output
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert lines[-1] == "1 of 2 models scored; failed: py:tests.benchmark.stalling_encoder:broken"
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["random.xtd10-demo.json"]


def test_a_sweep_takes_a_language_selection(tmp_path):
    roster = tmp_path / "roster.yaml"
    roster.write_text("models:\n  - {spec: random, track: text, offline: true}\n")
    res = CliRunner().invoke(cli, ["bench", "sweep", "--config", str(roster), "--dataset", "demo", "--languages",
                                   "de,jpn_Jpan", "--bootstrap", "0", "--out", str(tmp_path / "out")],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    [written] = (tmp_path / "out").iterdir()
    assert Result.load(written).dataset["languages"] == ["de", "ja"]
