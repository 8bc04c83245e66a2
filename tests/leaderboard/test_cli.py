"""``xtd10 leaderboard build`` as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.leaderboard.leaderboard_factories import result_dict, write_json
from xtd10.cli import main


def test_build_command_writes_outputs_and_reports_counts(inputs, tmp_path, capsys):
    results, reported = inputs
    out = tmp_path / "site"
    main(["leaderboard", "build", "--results", str(results), "--reported", str(reported), "--out", str(out),
          "--no-plots"])
    printed = capsys.readouterr().out
    assert "2 measured and 1 reported entries" in printed
    assert {p.name for p in out.iterdir()} >= {"README.md", "leaderboard.csv", "index.html"}


def test_build_defaults_to_the_folders_inside_out(inputs, tmp_path, capsys):
    assert {p.name for p in inputs} == {"results", "reported"}  # both inside tmp_path
    main(["leaderboard", "build", "--out", str(tmp_path), "--no-plots"])
    assert "2 measured and 1 reported entries" in capsys.readouterr().out


def test_bad_input_is_one_clear_line_and_exit_status_2(tmp_path, capsys):
    data = result_dict("muse", tracks=("text",))
    data["schema"] = "not-ours"
    write_json(tmp_path / "results" / "foreign.json", data)
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", "build", "--out", str(tmp_path), "--no-plots"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "foreign.json" in err and "unknown schema" in err
    assert "\n" not in err


def test_builds_in_processes_with_different_hash_seeds_are_identical(inputs, tmp_path):
    """Set iteration order changes with PYTHONHASHSEED; no output may depend on it."""
    results, reported = inputs
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out-{seed}"
        argv = ["leaderboard", "build", "--results", str(results), "--reported", str(reported), "--out", str(out),
                "--no-plots"]
        code = f"from xtd10.cli import main; main({argv!r})"
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                       env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()})
    assert outputs[0] == outputs[1]
    assert set(outputs[0]) == {"README.md", "leaderboard.csv", "index.html"}


def test_validate_checks_without_writing(inputs, tmp_path, capsys):
    results, reported = inputs
    before = sorted(p.name for p in tmp_path.rglob("*"))
    main(["leaderboard", "validate", "--results", str(results), "--reported", str(reported)])
    assert capsys.readouterr().out.startswith("ok: 2 measured and 1 reported entries")
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    write_json(results / "again.json", result_dict("muse", "mUSE v3", seed=9))
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", "validate", "--results", str(results), "--reported", str(reported)])
    assert exit_info.value.code == 2 and "again.json" in capsys.readouterr().err
