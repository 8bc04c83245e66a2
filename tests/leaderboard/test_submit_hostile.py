"""``leaderboard verify`` and ``submit`` with files made to break them: nesting too deep
for the JSON parser, and an encoder spec too long for a file name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from xtd10.cli import cli, main
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]
NESTED = '{"schema": "xtd10.result", "metrics": ' + "[" * 100_000 + "]" * 100_000 + "}"


def test_deeply_nested_json_is_one_line_in_verify(tmp_path):
    path = tmp_path / "nested.json"
    path.write_text(NESTED, encoding="utf-8")
    outcome = CliRunner().invoke(cli, ["leaderboard", "verify", str(path)])
    assert outcome.exit_code == 1, outcome.output
    assert not isinstance(outcome.exception, RecursionError)
    lines = [line for line in outcome.output.splitlines() if line.startswith(str(path))]
    assert lines == [f"{path}: schema: invalid JSON: nested too deeply to read"]


def test_deeply_nested_json_is_one_line_in_submit(tmp_path, capsys):
    path = tmp_path / "nested.json"
    path.write_text(NESTED, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", "submit", str(path), "--out", str(tmp_path / "board"), "--no-build"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {path} does not verify: schema: invalid JSON: nested too deeply to read"
    assert not (tmp_path / "board" / "results").exists() or not any((tmp_path / "board" / "results").iterdir())


def test_a_300_character_spec_gets_a_bounded_file_name(tmp_path):
    data = json.loads((REPO / "leaderboards" / "results" / "random.json").read_text(encoding="utf-8"))
    specs = [f"py:{'a' * 296}{end}" for end in ("x", "y")]  # alike but for the last character
    placed = []
    for number, spec in enumerate(specs):
        data["encoder"]["spec"] = spec
        path = tmp_path / f"long-{number}.json"
        path.write_text(json.dumps(data), encoding="utf-8")
        outcome = CliRunner().invoke(cli, ["leaderboard", "submit", str(path), "--out", str(tmp_path / "board"),
                                           "--no-build"])
        assert outcome.exit_code == 0, outcome.output
        placed.append(sorted(set((tmp_path / "board" / "results").iterdir()) - set(placed))[-1])
    names = [p.name for p in placed]
    assert len(set(names)) == 2 and all(len(name) <= 100 for name in names), names
    assert all(name.startswith("py-aaaa") for name in names)
    assert [Result.load(p).encoder["spec"] for p in placed] == specs


def test_a_number_too_long_for_python_is_one_line_in_verify(tmp_path):
    text = (REPO / "leaderboards" / "results" / "random.json").read_text(encoding="utf-8")
    path = tmp_path / "long-number.json"
    path.write_text(text.replace('"bootstrap": 1000', '"bootstrap": ' + "9" * 5000, 1), encoding="utf-8")
    outcome = CliRunner().invoke(cli, ["leaderboard", "verify", str(path)])
    assert outcome.exit_code == 1 and not isinstance(outcome.exception, ValueError), outcome.output
    lines = [line for line in outcome.output.splitlines() if line.startswith(str(path))]
    assert lines == [f"{path}: schema: invalid JSON: a number of 5000 digits"]
