"""Collecting inputs and rendering README.md, leaderboard.csv and index.html (no plots: fast)."""

from __future__ import annotations

import json
import logging
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from tests.installed import need
from tests.leaderboard.leaderboard_factories import (
    REVISION,
    reported_dict,
    result_dict,
    write_json,
    write_yaml,
)
from xtd10.leaderboard import DuplicateEntryError, LeaderboardError, build_leaderboard, collect
from xtd10.leaderboard.tables import View, build_table

HOSTILE = "<script>alert('x')</script> | `tick` **bold** ](javascript:alert(1)) $x$\n# heading\r\n- item"


def _recall(data: dict, **where) -> float:
    return next(m["value"] for m in data["metrics"] if all(m[k] == v for k, v in where.items()))


def test_measured_rows_are_ranked_by_the_files_average(inputs):
    results, reported = inputs
    board = collect(results, reported)
    table = build_table(board, View("measured", "xtd10", REVISION, "image", "t2i", "all", "R@10"))
    muse = json.loads((results / "muse.json").read_text())
    e5 = json.loads((results / "e5.json").read_text())
    averages = {"muse": _recall(muse, track="image", direction="t2i", subset="all", metric="R@10", language="avg"),
                "e5-small": _recall(e5, track="image", direction="t2i", subset="all", metric="R@10", language="avg")}
    expected = sorted(averages, key=lambda spec: -averages[spec])
    assert [row.entry.spec for row in table.rows] == expected
    assert [row.rank for row in table.rows] == [1, 2]
    assert table.languages[:3] == ["en", "de", "es"] and table.aggregates == ["avg", "avg_non_en"]


def test_average_is_computed_when_the_file_has_none(tmp_path):
    data = result_dict("muse", tracks=("image",), subsets=("all",), languages=("en", "de"), with_aggregates=False)
    write_json(tmp_path / "r" / "a.json", data)
    board = collect(tmp_path / "r", None)
    (row,) = build_table(board, View("measured", "xtd10", REVISION, "image", "i2t", "all", "R@1")).rows
    values = [m["value"] * 100 for m in data["metrics"]
              if (m["direction"], m["metric"]) == ("i2t", "R@1")]
    assert row.avg == pytest.approx(sum(values) / 2)


def test_duplicate_spec_on_same_revision_is_an_error(tmp_path):
    write_json(tmp_path / "r" / "first.json", result_dict("muse", seed=1, tracks=("text",)))
    write_json(tmp_path / "r" / "second.json", result_dict("muse", seed=2, tracks=("text",)))
    with pytest.raises(DuplicateEntryError, match=r"first\.json and second\.json.*'muse'"):
        collect(tmp_path / "r", None)


def test_same_spec_on_different_revisions_is_kept_apart_with_a_warning(tmp_path, caplog):
    folder = tmp_path / "results"
    write_json(folder / "a.json", result_dict("muse", seed=1, tracks=("text",), subsets=("all",)))
    write_json(folder / "b.json", result_dict("e5-small", seed=2, tracks=("text",), subsets=("all",)))
    write_json(folder / "c.json", result_dict("muse", seed=3, tracks=("text",), subsets=("all",),
                                              revision="local-00000000deadbeef"))
    with caplog.at_level(logging.WARNING):
        report = build_leaderboard(tmp_path / "out", folder, None, plots=False)
    assert len(report.warnings) == 1 and "local-00000000deadbeef" in report.warnings[0]
    assert "local-00000000deadbeef" in caplog.text
    readme = (tmp_path / "out" / "README.md").read_text()
    html = (tmp_path / "out" / "index.html").read_text()
    assert "Warnings" in readme and "local-00000000deadbeef" in readme.split("## Measured")[0]
    assert 'id="warnings"' in html and "local-00000000deadbeef" in html
    # the other revision gets its own section, marked as not comparable
    assert readme.count(f"### XTD10 (revision {REVISION})") == 1
    assert "### XTD10 (revision local-00000000deadbeef) (other revision" in readme
    csv = pd.read_csv(tmp_path / "out" / "leaderboard.csv")
    primary = csv.groupby("dataset_revision")["primary_revision"].first().to_dict()
    assert primary == {REVISION: True, "local-00000000deadbeef": False}


def test_missing_input_folder_is_an_error(tmp_path):
    with pytest.raises(LeaderboardError, match="no such folder"):
        collect(tmp_path / "nope", None)


def test_csv_is_tidy_and_matches_the_inputs(inputs, tmp_path):
    results, reported = inputs
    build_leaderboard(tmp_path / "out", results, reported, plots=False)
    frame = pd.read_csv(tmp_path / "out" / "leaderboard.csv", keep_default_na=False)
    muse = json.loads((results / "muse.json").read_text())
    measured = frame[frame["encoder_spec"] == "muse"]
    assert len(measured) == len(muse["metrics"])
    for m in muse["metrics"][::37]:
        (row,) = measured[(measured["track"] == m["track"]) & (measured["direction"] == m["direction"])
                          & (measured["subset"] == m["subset"]) & (measured["language"] == m["language"])
                          & (measured["metric"] == m["metric"])].to_dict("records")
        scale = 100 if m["metric"].startswith("R@") else 1
        assert float(row["value"]) == pytest.approx(m["value"] * scale, abs=1e-3)
        assert row["unit"] == ("percent" if scale == 100 else "rank")
    paper = frame[frame["kind"] == "reported"]
    assert sorted(zip(paper["language"], paper["value"].astype(float), strict=True)) == [
        ("de", 80.5), ("en", 90.0), ("ja", 70.25)]
    assert set(paper["source"]) == {"Someone et al. 2030, Table 9"}
    # measured rows come first, then reported ones
    kinds = list(frame["kind"])
    assert kinds == sorted(kinds, key=lambda k: k != "measured")


def test_readme_tables_show_percent_with_intervals_and_keep_reported_apart(inputs, tmp_path):
    results, reported = inputs
    build_leaderboard(tmp_path / "out", results, reported, plots=False)
    readme = (tmp_path / "out" / "README.md").read_text()
    muse = json.loads((results / "muse.json").read_text())
    m = next(m for m in muse["metrics"] if (m["track"], m["direction"], m["subset"], m["metric"], m["language"])
             == ("image", "t2i", "val2014", "R@5", "tr"))
    cell = f"{m['value'] * 100:.1f} ({m['ci_low'] * 100:.1f}–{m['ci_high'] * 100:.1f})"
    section = readme.split("#### R@5: Image track, text → image, val2014 subset")[1].split("####")[0]
    muse_line = next(line for line in section.splitlines() if "mUSE v3" in line)
    assert cell in muse_line
    for heading in ("Image track, image → text, all 1000 images", "Text track, caption in language → English",
                    "Text track, English caption → caption in language", "val2014 subset"):
        assert heading in readme
    measured_part, reported_part = readme.split("## Reported elsewhere")
    assert "Paper model" not in measured_part and "Paper model" in reported_part
    reported_header = next(line for line in reported_part.splitlines() if line.startswith("| model"))
    assert "#" not in reported_header  # reported rows are never ranked
    assert "| Paper model | 90.0 | 80.5 | 70.2 |" in reported_part  # 70.25 rounds half to even


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts = 0
        self.hrefs: list[str] = []
        self.srcs: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if "href" in attrs:
            self.hrefs.append(attrs["href"])
        if "src" in attrs:
            self.srcs.append(attrs["src"])
        self.attrs_seen = attrs

    def handle_data(self, data):
        self.text.append(data)


def _hostile_inputs(tmp_path: Path) -> tuple[Path, Path]:
    data = result_dict("py:evil:`x`|y", HOSTILE, seed=5, tracks=("image",), subsets=("all",), languages=("en", "de"))
    data["dataset"]["name"] = "xtd10"
    write_json(tmp_path / "results" / "evil.json", data)
    write_yaml(tmp_path / "reported" / "evil.yaml",
               reported_dict(HOSTILE, notes=HOSTILE + " [click](javascript:alert(2))", url="javascript:alert(3)"))
    return tmp_path / "results", tmp_path / "reported"


def test_hostile_strings_are_escaped_in_html(tmp_path):
    results, reported = _hostile_inputs(tmp_path)
    build_leaderboard(tmp_path / "out", results, reported, plots=False)
    html = (tmp_path / "out" / "index.html").read_text()
    parser = _Collector()
    parser.feed(html)
    assert parser.scripts == 1  # only the page's own script
    assert not any(href.lower().startswith("javascript") for href in parser.hrefs)
    assert "<script>alert" not in html
    text = "".join(parser.text)
    assert "<script>alert('x')</script> | `tick`" in text  # shown literally, as text


def test_hostile_strings_are_escaped_in_markdown(tmp_path):
    markdown_it = need("markdown_it")
    results, reported = _hostile_inputs(tmp_path)
    build_leaderboard(tmp_path / "out", results, reported, plots=False)
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "<script>" not in readme and "](javascript" not in readme
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(readme)
    parser = _Collector()
    parser.feed(rendered)
    assert parser.scripts == 0
    assert not any(href.lower().startswith("javascript") for href in parser.hrefs)
    assert "<strong>" not in rendered and "<em>" not in rendered and "<h1>heading" not in rendered.lower()
    # every table row keeps its column count: no pipe from an input split a cell
    for block in readme.split("\n\n"):
        lines = [line for line in block.splitlines() if line.startswith("|")]
        if lines:
            counts = {line.count("|") for line in lines}
            assert len(counts) == 1, block
    assert "&lt;script&gt;alert" in rendered  # the text survives, escaped


def test_same_spec_on_demo_and_xtd10_is_not_a_duplicate(tmp_path):
    write_json(tmp_path / "r" / "a.json", result_dict("muse", tracks=("text",), subsets=("all",)))
    write_json(tmp_path / "r" / "b.json", result_dict("muse", tracks=("text",), subsets=("all",), dataset="xtd10-demo",
                                                      revision="demo-0123456789abcdef"))
    board = collect(tmp_path / "r", None)
    assert board.groups() == [("xtd10", REVISION), ("xtd10-demo", "demo-0123456789abcdef")]
    assert board.warnings == []


def test_reported_rows_stay_out_of_the_measured_html_table(inputs, tmp_path):
    results, reported = inputs
    build_leaderboard(tmp_path / "out", results, reported, plots=False)
    html = (tmp_path / "out" / "index.html").read_text()
    measured_table = html.split('id="measured"')[1].split("</table>")[0]
    reported_table = html.split('id="reported"')[1].split("</table>")[0]
    assert "Paper model" not in measured_table and "mUSE v3" in measured_table
    assert "Paper model" in reported_table and "mUSE v3" not in reported_table
    assert reported_table.count('class="badge reported"') == reported_table.count("<tr ")


def test_a_model_scored_on_fewer_languages_is_listed_unranked(tmp_path):
    folder = tmp_path / "results"
    write_json(folder / "full.json", result_dict("full", seed=1, tracks=("text",), subsets=("all",)))
    # the partial model is perfect on its two languages: its average would otherwise top the table
    partial = result_dict("partial", seed=2, tracks=("text",), subsets=("all",), languages=("en", "de", "es"))
    for row in partial["metrics"]:
        if row["metric"].startswith("R@"):
            row.update(value=1.0, ci_low=1.0, ci_high=1.0)
    write_json(folder / "partial.json", partial)
    board = collect(folder, None)
    table = build_table(board, View("measured", "xtd10", REVISION, "text", "x2en", "all", "R@1"))
    assert [(r.entry.spec, r.rank) for r in table.rows] == [("full", 1), ("partial", None)]
    build_leaderboard(tmp_path / "out", folder, None, plots=False)
    readme = (tmp_path / "out" / "README.md").read_text()
    assert "| – (2 of 10 lang.) | partial |" in readme


def test_csv_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    data = result_dict("=HYPERLINK(\"http://x\")", "@SUM(A1)", tracks=("text",), subsets=("all",),
                       languages=("en", "de"))
    write_json(tmp_path / "r" / "formula.json", data)
    build_leaderboard(tmp_path / "out", tmp_path / "r", None, plots=False)
    frame = pd.read_csv(tmp_path / "out" / "leaderboard.csv", keep_default_na=False)
    assert set(frame["model"]) == {"'@SUM(A1)"}
    assert set(frame["encoder_spec"]) == {"'=HYPERLINK(\"http://x\")"}
    assert frame["value"].dtype.kind == "f"  # numbers stay numbers
