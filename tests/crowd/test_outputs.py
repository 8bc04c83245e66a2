"""Report escaping, formula neutralisation, platform decision files, promotion."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

import xtd10
from tests.crowd.conftest import IMAGES, clean_rows
from xtd10.crowd.decide import write_decisions
from xtd10.crowd.errors import CrowdError
from xtd10.crowd.promote import promote
from xtd10.crowd.report import write_report
from xtd10.crowd.validate import validate
from xtd10.escaping.csv_cells import neutralise

EVIL = "<script>alert(1)</script>"


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "\tx", " =1+1"])
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell
    assert neutralise("ein Mann") == "ein Mann" and neutralise(3) == 3


@pytest.mark.parametrize(("cell", "safe"), [("\rx", " x"), ("\r=1+1", "' =1+1"), ("a\r\nb\u2028c", "a b c"),
                                           ("\x85@x", " @x")])
def test_line_breaks_become_spaces_before_the_formula_guard(cell, safe):
    assert neutralise(cell) == ("'" + safe if safe.lstrip().startswith(("=", "+", "-", "@")) else safe)


def _hostile_validation():
    rows = clean_rows()
    rows[0]["text"] = EVIL
    rows[1]["text"] = "-?"
    rows[4]["text"] = "=cmd|' /C calc'!A0 ein roter Doppeldeckerbus fährt"
    rows[2]["worker_id"] = "<img src=x onerror=alert(2)>"
    return validate(pd.DataFrame(rows))


def test_report_escapes_crowd_strings(tmp_path):
    paths = write_report(_hostile_validation(), tmp_path / "report")
    page = paths["html"].read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    summary = paths["markdown"].read_text(encoding="utf-8")
    assert "| markup | 1 | 5.0% |" in summary.split("## Rules that send to review")[0]
    with open(paths["flags"], encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)
    assert "'-?" in cells


def test_mturk_and_toloka_decision_files(tmp_path):
    v = _hostile_validation()
    paths = write_decisions(v.decisions, v.workers, "mturk", tmp_path / "mturk.csv")
    table = pd.read_csv(paths["decisions"], encoding="utf-8-sig", keep_default_na=False)
    assert list(table.columns) == ["HITId", "AssignmentId", "WorkerId", "Approve", "Reject"]
    rejected = table[table.Reject != ""]
    # "<script>" is markup, "-?" a placeholder, "=cmd|..." a formula: never valid captions
    assert set(rejected.AssignmentId) == {"a0", "a1", "a4"}
    assert (table.loc[table.Approve == "x", "Reject"] == "").all()
    assert rejected.Reject.str.len().gt(10).all()
    paths = write_decisions(v.decisions, v.workers, "toloka", tmp_path / "toloka.tsv")
    toloka = pd.read_csv(paths["decisions"], sep="\t", keep_default_na=False)
    assert set(toloka["ACCEPT:verdict"]) == {"+", "-"}


def test_promote_makes_a_loadable_language(tmp_path, tiny_source):
    rows = pd.DataFrame(clean_rows()).assign(language="hi", decision="approve")
    rows.loc[3, "text"] = "zweite\tZeile\nhier"
    extra = rows.iloc[[0]].assign(submission_id="z", text="noch eine Beschreibung")  # 2 captions, image 0
    accepted = pd.concat([rows, extra], ignore_index=True)
    out = tmp_path / "out"
    entry = promote(accepted, language="hi", source=tiny_source, output=out)
    assert entry.layout == "indexed" and entry.upstream_path == "CROWD/test_1kcaptions_hi.txt"
    manifest = json.loads((out / "languages.json").read_text(encoding="utf-8"))
    assert manifest[0]["code"] == "hi" and manifest[0]["builtin"] is False
    ds = xtd10.load("hi", source=out)
    assert len(ds) == len(rows) + 1
    frame = ds.to_pandas()
    assert sorted(frame.loc[frame.file_name == IMAGES[0], "caption"]) == ["ein Mann reitet auf einem Surfbrett "
                                                                         "eine Welle", "noch eine Beschreibung"]
    assert "zweite Zeile hier" in set(frame.caption)
    assert (tiny_source / "languages.json").exists() is False  # the source itself is untouched
    with pytest.raises(CrowdError, match="already has"):
        promote(accepted, language="hi", source=tiny_source, output=out)
    with pytest.raises(CrowdError, match="built-in"):
        promote(accepted, language="de", source=tiny_source, output=out)


def _agreement_cells(summary: str) -> list[str]:
    rows = [line.split("|") for line in summary.split("## Workers")[1].splitlines() if line.startswith("| w") and "worker |" not in line]
    return [row[4].strip() for row in rows]


def test_report_without_a_second_worker_shows_no_nan(tmp_path):
    v = validate(pd.DataFrame(clean_rows()))  # every image done by one worker
    paths = write_report(v, tmp_path / "report")
    page = paths["html"].read_text(encoding="utf-8")
    summary = paths["markdown"].read_text(encoding="utf-8")
    assert "nan" not in page.lower() and "nan" not in summary.lower()
    assert "n/a (one worker per image" in page and "n/a (one worker per image" in summary
    assert _agreement_cells(summary) == ["–"] * 4
    assert page.count("<td>–</td>") == 4  # one agreement cell per worker


def test_report_shows_agreement_where_there_is_a_second_worker(tmp_path):
    rows = clean_rows()
    rows.append({**rows[0], "submission_id": "again", "worker_id": "w1"})  # w1 also did image 0, as w0
    summary = write_report(validate(pd.DataFrame(rows)), tmp_path / "report")["markdown"].read_text("utf-8")
    workers = summary.split("## Workers")[1].splitlines()
    cells = dict(zip([line.split("|")[1].strip() for line in workers if line.startswith("| w") and "worker |" not in line],
                     _agreement_cells(summary), strict=True))
    assert cells["w0"] == cells["w1"] == "1.00" and cells["w2"] == cells["w3"] == "–"
    assert "one worker per image" not in summary and "no other worker translated" in summary
