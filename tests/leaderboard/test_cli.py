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


def _snapshot(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_build_without_plots_keeps_the_existing_figures(inputs, tmp_path):
    assert all(folder.parent == tmp_path for folder in inputs)  # results/ and reported/ inside OUT
    main(["leaderboard", "build", "--out", str(tmp_path)])
    figures = {p.name: p.read_bytes() for p in (tmp_path / "plots").iterdir()}
    assert figures and any(name.endswith(".svg") for name in figures)
    pages = {name: (tmp_path / name).read_bytes() for name in ("README.md", "index.html", "leaderboard.csv")}
    assert b"plots/" in pages["README.md"] and b"plots/" in pages["index.html"]
    main(["leaderboard", "build", "--out", str(tmp_path), "--no-plots"])
    assert {p.name: p.read_bytes() for p in (tmp_path / "plots").iterdir()} == figures
    # the pages still show the figures that are there: the build changed nothing
    assert {name: (tmp_path / name).read_bytes() for name in pages} == pages


def test_build_with_no_inputs_is_an_error_naming_where_it_looked(tmp_path, capsys):
    out = tmp_path / "site"
    out.mkdir()
    (out / "index.html").write_text("the board people see", encoding="utf-8")
    before = _snapshot(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["leaderboard", "build", "--out", str(out)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"neither {out / 'results'} nor {out / 'reported'} exists" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(SystemExit):
        main(["leaderboard", "build", "--out", str(out), "--results", str(empty)])
    assert f"looked in {empty})" in capsys.readouterr().err
    assert _snapshot(tmp_path) == before


def test_build_removes_only_the_figures_and_views_it_wrote_before(inputs, tmp_path):
    main(["leaderboard", "build", "--out", str(tmp_path)])
    plots = tmp_path / "plots"
    ours = sorted(p.name for p in plots.iterdir() if p.suffix in (".png", ".svg"))
    assert ours
    mine = {plots / "my-figure.png": b"my own figure", plots / "notes.svg": b"<svg/>",
            tmp_path / "failures" / "mine" / "index.html": b"my own page"}
    for path, data in mine.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    # a figure of the previous build whose model is gone: renamed so this build does not write it
    stale = plots / ours[0]
    gone = plots / f"gone-{ours[0]}"
    stale.rename(gone)
    manifest = plots / ".xtd10-outputs.json"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(ours[0], gone.name), encoding="utf-8")
    main(["leaderboard", "build", "--out", str(tmp_path)])
    assert {path: path.read_bytes() for path in mine} == mine
    assert not gone.exists() and stale.is_file()


def test_build_never_deletes_through_a_symlinked_plots_folder(inputs, tmp_path):
    outside = tmp_path.parent / f"{tmp_path.name}-elsewhere"
    outside.mkdir()
    (outside / "precious.png").write_bytes(b"not the board's")
    (outside / ".xtd10-outputs.json").write_text('["precious.png"]', encoding="utf-8")  # even if it says so
    (tmp_path / "plots").symlink_to(outside, target_is_directory=True)
    main(["leaderboard", "build", "--out", str(tmp_path)])
    main(["leaderboard", "build", "--out", str(tmp_path)])
    assert (outside / "precious.png").read_bytes() == b"not the board's"


def test_data_build_keeps_a_users_file_in_the_output(tmp_path, real_source):
    folder = tmp_path / "hub"
    mine = folder / "data" / "notes.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("mine", encoding="utf-8")
    for _ in range(2):
        main(["data", "build", str(folder), "--source", str(real_source), "--languages", "es"])
    assert mine.read_text(encoding="utf-8") == "mine"
