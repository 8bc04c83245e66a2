"""Every CSV the crowd commands write keeps one row per record, however the platform
reads it: a CSV parser (``csv``, pandas) or a plain line splitter, which breaks a line at
CR, LF and the Unicode line separators whether they are quoted or not. Captions, worker
ids and even column names of an export come from workers, so each of those may hold any
of them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.crowd.conftest import IMAGES, PAIRS
from xtd10.cli import cli
from xtd10.crowd.validate import read_batch, validate
from xtd10.escaping.csv_cells import FORMULA_PREFIXES

BREAKS = ["\r=1+1", "\n=2+2", "\r\n=3+3", "\u2028=4+4", "\x85=5+5", "\u2029=6+6", "\x0c=7+7", "\x1e=8+8"]
SKIP = ("--no-semantic", "--exclude", "wrong_script", "--exclude", "wrong_language", "--exclude", "length_ratio")


def _export(tmp_path: Path) -> Path:
    """An MTurk batch results file: the worker id, assignment id, caption and an extra
    column's name each carry a line break followed by a formula."""
    header = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "WorkTimeInSeconds", "Input.file_name",
              "Input.english", "Answer.translation", "Answer.note\r=HYPERLINK(0)"]
    rows = [[f"H{i}", f"A{i}", f"W{i % 3}", "Submitted", "45", IMAGES[i], en, de, ""]
            for i, (en, de) in enumerate(PAIRS)]
    for i, brk in enumerate(BREAKS):
        rows[i][7] = f"{rows[i][7]}{brk}"  # the caption
        rows[i][8] = f"note{brk}"
    rows[0][2] = "\r=1+1"  # a worker id that is only a break and a formula
    rows[1][2] = "W1\n@SUM(1)"
    rows[2][1] = "A2\u2028-1"
    buf = io.StringIO(newline="")
    csv.writer(buf).writerows([header, *rows])
    path = tmp_path / "Batch_results.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", newline="")
    return path


def _invoke(*args) -> str:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _rows_every_way(path: Path, sep: str = ",") -> dict[str, int]:
    """Data rows of ``path`` as a CSV parser, pandas and a line splitter count them; the
    line splitter also shows whether any line would start as a formula."""
    text = path.read_bytes().decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    lines = text.splitlines()
    assert not [line for line in lines if line.startswith(FORMULA_PREFIXES)], path.name
    return {"csv": len(parsed) - 1, "pandas": len(pd.read_csv(path, sep=sep, encoding="utf-8-sig", dtype=str,
                                                                keep_default_na=False)),
            "lines": len(lines) - 1, "lines_lf": len(text.rstrip("\n").split("\n")) - 1}


@pytest.fixture
def batch(tmp_path, tiny_source) -> Path:
    path = tmp_path / "batch.parquet"
    out = _invoke("crowd", "ingest", _export(tmp_path), "--platform", "mturk", "--language", "de", "-o", path,
                  "--source", tiny_source)
    assert f"ingested {len(PAIRS)} submissions (0 bad rows" in out
    return path


@pytest.mark.parametrize("fmt", ["mturk", "toloka", "csv"])
def test_decision_files_keep_one_row_per_submission(tmp_path, batch, fmt):
    output = tmp_path / f"decisions.{'tsv' if fmt == 'toloka' else 'csv'}"
    _invoke("crowd", "decide", batch, "--format", fmt, "-o", output, *SKIP)
    v = validate(read_batch(batch), rule_ids=None, exclude=list(SKIP[2::2]))
    expected = {"mturk": len(PAIRS), "csv": len(PAIRS), "toloka": int(v.decisions["decision"].ne("review").sum())}
    counts = _rows_every_way(output, "\t" if fmt == "toloka" else ",")
    assert set(counts.values()) == {expected[fmt]}, counts
    review, block = output.with_name(f"{output.stem}.review.csv"), output.with_name(f"{output.stem}.block.csv")
    assert set(_rows_every_way(review).values()) == {int(v.decisions["decision"].eq("review").sum())}
    assert set(_rows_every_way(block).values()) == {int(v.workers["recommendation"].eq("block").sum())}
    if fmt == "mturk":  # MTurk matches its rows by these: each id is still one cell of its row
        table = pd.read_csv(output, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        assert table["AssignmentId"].str.startswith("A").all() and len(set(table["AssignmentId"])) == len(PAIRS)
        assert not table.map(lambda c: any(b in c for b in "\r\n\x85\u2028\u2029\x0c\x1e")).any().any()


def test_report_tables_keep_one_row_per_record(tmp_path, batch):
    _invoke("crowd", "validate", batch, "--report", tmp_path / "report", *SKIP)
    v = validate(read_batch(batch), exclude=list(SKIP[2::2]))
    for name, expected in (("decisions.csv", len(PAIRS)), ("flags.csv", len(v.flags)),
                           ("workers.csv", len(v.workers))):
        counts = _rows_every_way(tmp_path / "report" / name)
        assert set(counts.values()) == {expected}, (name, counts)
