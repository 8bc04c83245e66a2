"""Ingesting each platform's export format, encodings, malformed rows, path tricks."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.crowd.conftest import IMAGES, PAIRS
from xtd10.crowd.errors import IngestError, MappingError
from xtd10.crowd.images import image_name
from xtd10.crowd.ingest import ingest

ENGLISH = {IMAGES[i]: en for i, (en, _) in enumerate(PAIRS)}


def _csv(header, rows, delimiter=",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def _run(tmp_path, name, content, platform, encoding="utf-8", **kw):
    path = tmp_path / name
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    out = tmp_path / "batch.parquet"
    report = ingest(path, platform=platform, language="de", output=out, image_names=IMAGES, english=ENGLISH, **kw)
    return report, pd.read_parquet(out)


def mturk_export(n=5):
    header = ["HITId", "HITTypeId", "AssignmentId", "WorkerId", "AssignmentStatus", "AcceptTime", "SubmitTime",
              "WorkTimeInSeconds", "Input.image_url", "Input.file_name", "Input.english", "Answer.translation"]
    rows = [[f"H{i}", "T", f"A{i}", f"W{i % 2}", "Submitted", "Wed Nov 25 10:00:00 PST 2026",
             "Wed Nov 25 10:01:00 PST 2026", "60", f"https://cdn.example/val2014/{IMAGES[i]}", IMAGES[i],
             PAIRS[i][0], PAIRS[i][1]] for i in range(n)]
    return header, rows


def test_mturk_batch_results(tmp_path):
    header, rows = mturk_export()
    report, frame = _run(tmp_path, "Batch_1_batch_results.csv", _csv(header, rows), "mturk")
    assert report.rows == 5 and report.bad_rows == 0
    first = frame.iloc[0]
    assert (first.submission_id, first.worker_id, first.task_id, first.image) == ("A0", "W0", "H0", IMAGES[0])
    assert first.text == PAIRS[0][1] and first.english == PAIRS[0][0] and first.work_time_s == 60.0
    assert json.loads(first.raw)["HITTypeId"] == "T"
    assert first.timestamp.startswith("2026-11-25T10:01")


def test_toloka_tsv_derives_work_time(tmp_path):
    header = ["INPUT:image", "OUTPUT:translation", "ASSIGNMENT:task_id", "ASSIGNMENT:assignment_id",
              "ASSIGNMENT:worker_id", "ASSIGNMENT:status", "ASSIGNMENT:started", "ASSIGNMENT:submitted"]
    rows = [[IMAGES[i], PAIRS[i][1], f"t{i}", f"as{i}", "tw", "SUBMITTED", "2026-11-25T10:00:00.000",
             "2026-11-25T10:00:42.500"] for i in range(3)]
    report, frame = _run(tmp_path, "assignments.tsv", _csv(header, rows, "\t"), "toloka")
    assert report.rows == 3
    assert frame.work_time_s.tolist() == [42.5] * 3
    assert frame.english.tolist() == [PAIRS[i][0] for i in range(3)]  # filled from the dataset


def test_appen_and_generic_mapping(tmp_path):
    header = ["_unit_id", "_id", "_worker_id", "_trust", "_golden", "_created_at", "_started_at",
              "image_url", "translation"]
    rows = [["u1", "j1", "aw", "0.9", "false", "11/25/2026 10:01:00", "11/25/2026 10:00:00", IMAGES[1], "x y z"]]
    _, frame = _run(tmp_path, "f8.csv", _csv(header, rows), "appen")
    assert frame.iloc[0].submission_id == "j1" and frame.iloc[0].work_time_s == 60.0
    mapping = {"columns": {"text": "Übersetzung", "image": "Bild", "worker_id": "Person"}}
    _report, frame = _run(tmp_path, "own.csv", _csv(["Bild", "Übersetzung", "Person"], [[IMAGES[2], "hallo", "p"]]),
                         "csv", mapping=mapping)
    assert frame.iloc[0].text == "hallo" and frame.iloc[0].submission_id == "csv-line2"


def test_labelstudio_json(tmp_path):
    tasks = [{"id": 7, "data": {"image": f"/data/upload/1/{IMAGES[3]}", "english": PAIRS[3][0]},
              "annotations": [{"id": 70, "completed_by": {"id": 3, "email": "a@b"}, "lead_time": 33.3,
                               "created_at": "2026-11-25T10:00:00Z",
                               "result": [{"from_name": "translation", "type": "textarea",
                                           "value": {"text": [PAIRS[3][1]]}}]},
                              {"id": 71, "completed_by": 4, "result": []}]}]
    report, frame = _run(tmp_path, "export.json", json.dumps(tasks), "labelstudio")
    assert report.rows == 2
    assert frame.iloc[0].worker_id == "a@b" and frame.iloc[0].text == PAIRS[3][1]
    assert frame.iloc[0].image == IMAGES[3] and frame.iloc[1].text == ""


def _ls_task(number: int, text: object = None) -> dict:
    return {"id": number, "data": {"image": IMAGES[number % len(IMAGES)]},
            "annotations": [{"id": 100 + number, "completed_by": number,
                             "result": [{"from_name": "translation",
                                         "value": {"text": [f"Satz {number}"] if text is None else text}}]}]}


def test_labelstudio_damaged_export_keeps_the_tasks_before_the_fault(tmp_path):
    good = ",\n".join(json.dumps(_ls_task(i)) for i in range(3))
    report, frame = _run(tmp_path, "export.json", "[\n" + good + ',\n{"id": 9, "data": {"image": ', "labelstudio")
    assert frame.text.tolist() == ["Satz 0", "Satz 1", "Satz 2"]
    assert report.bad_rows == 1
    line, message = report.errors[0]
    assert line == 5 and "the 3 tasks before it were read" in message


def test_labelstudio_errors_carry_the_line_of_their_task(tmp_path):
    tasks = [_ls_task(0), "not a task", _ls_task(2, text="bare string"), _ls_task(3, text=["a", "b"]),
             {"id": 4, "data": {"image": IMAGES[0]}, "annotations": ["oops"]}]
    text = "[\n" + ",\n".join(json.dumps(t) for t in tasks) + "\n]"
    report, frame = _run(tmp_path, "export.json", text, "labelstudio")
    assert frame.text.tolist() == ["Satz 0", "bare string"]
    assert [line for line, _ in report.errors] == [3, 5, 6]
    assert "not a Label Studio task" in report.errors[0][1] and "2 text answers" in report.errors[1][1]


def test_labelstudio_file_that_is_not_an_export_is_an_error(tmp_path):
    with pytest.raises(IngestError, match=r"export.json:1: not a readable Label Studio JSON export"):
        _run(tmp_path, "export.json", '{"tasks": []}', "labelstudio")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1252", "utf-8"])
def test_encodings_are_detected(tmp_path, encoding):
    header, rows = mturk_export(2)
    rows[0][-1] = "Straße mit Bäumen"
    _, frame = _run(tmp_path, "b.csv", _csv(header, rows), "mturk", encoding=encoding)
    assert frame.iloc[0].text == "Straße mit Bäumen"
    assert frame.columns[0] == "submission_id"


def test_malformed_rows_reported_with_line_numbers(tmp_path):
    header, rows = mturk_export(6)
    rows[1] = rows[1][:-2]  # too few fields: line 3
    rows[2][9] = "../../etc/passwd"  # path trick: line 4
    rows[2][8] = "https://evil.example/steal.png"
    rows[3][7] = "soon"  # bad work time: line 5
    rows[4][3] = ""  # no worker: line 6
    text = _csv(header, [[*rows[0][:-1], "zwei\nZeilen"], *rows[1:]])  # quoted newline in row 1
    report, frame = _run(tmp_path, "b.csv", text, "mturk")
    lines = {line: msg for line, msg in report.errors}
    assert set(lines) == {4, 5, 6, 7}, report.errors  # row 1 spans lines 2-3
    assert "fields" in lines[4] and "not an XTD10 image" in lines[5]
    assert "work time" in lines[6] and "worker" in lines[7]
    assert frame.submission_id.tolist() == ["A0", "A5"]
    assert frame.iloc[0].text == "zwei\nZeilen"


def test_missing_column_names_the_mapping(tmp_path):
    header, rows = mturk_export(1)
    header[-1] = "Answer.deutsch"
    with pytest.raises(MappingError, match=r"(?s)no column for text.*--mapping.*text: <column>"):
        _run(tmp_path, "b.csv", _csv(header, rows), "mturk")
    _report, frame = _run(tmp_path, "b.csv", _csv(header, rows), "mturk",
                         mapping={"columns": {"text": "Answer.deutsch"}})
    assert frame.iloc[0].text == PAIRS[0][1]


@pytest.mark.parametrize("value,ok", [
    (IMAGES[0], True), (f"coco/val2014/{IMAGES[0]}", True), (f"https://cdn.x/a/{IMAGES[0]}?sig=1", True),
    (f"..\\..\\{IMAGES[0]}", True), ("../../etc/passwd", False), ("/etc/shadow", False),
    ("https://evil.example/x.jpg", False), ("COCO_val2014_000000999999.jpg", False), ("", False),
    (f"{IMAGES[0]}\n", True), (f"a\x00{IMAGES[0]}", False),
])
def test_image_references(value, ok):
    if ok:
        assert image_name(value, set(IMAGES)) == IMAGES[0]
    else:
        with pytest.raises(ValueError):
            image_name(value, set(IMAGES))


def test_large_export_streams_in_chunks(tmp_path):
    header, rows = mturk_export(5)
    big = [[*r[:2], f"A{k}", *r[3:]] for k in range(2000) for r in rows[k % 5:k % 5 + 1]]
    report, _ = _run(tmp_path, "big.csv", _csv(header, big), "mturk", chunk_rows=300)
    assert report.rows == 2000
    meta = pq.ParquetFile(tmp_path / "batch.parquet").metadata
    assert meta.num_row_groups >= 6  # written incrementally, one group per chunk


APPEN_HEADER = ["_unit_id", "_id", "_worker_id", "_created_at", "_started_at", "file_name", "translation"]


def _appen_rows(n: int) -> list[list[str]]:
    return [[f"u{i}", f"j{i}", "aw", "11/25/2026 10:01:00", "11/25/2026 10:00:30", IMAGES[i], PAIRS[i][1]]
            for i in range(n)]


def test_unreadable_start_or_end_time_is_a_reported_bad_row(tmp_path):
    rows = _appen_rows(4)
    rows[1][4] = "garbage"  # line 3
    rows[2][3] = "25.11.2026 um zehn"  # line 4
    rows[3][4] = ""  # not recorded: kept, without a work time
    report, frame = _run(tmp_path, "f8.csv", _csv(APPEN_HEADER, rows), "appen")
    lines = dict(report.errors)
    assert set(lines) == {3, 4} and report.bad_rows == 2
    assert "'garbage'" in lines[3] and "_started_at" in lines[3] and "work time" in lines[3]
    assert "_created_at" in lines[4]
    assert frame.submission_id.tolist() == ["j0", "j3"]
    assert frame.work_time_s.iloc[0] == 30.0 and pd.isna(frame.work_time_s.iloc[1])


@pytest.mark.parametrize("platform,delimiter,columns,expected", [
    ("toloka", ",", APPEN_HEADER, "try --platform appen, or --mapping map.yaml with delimiter: \",\""),
    ("mturk", "\t", ["INPUT:image", "OUTPUT:translation", "ASSIGNMENT:worker_id"],
     "try --platform toloka, or --mapping map.yaml with delimiter: \"\\t\""),
    ("toloka", ";", ["HITId", "WorkerId", "Input.file_name", "Answer.translation"], "try --platform mturk"),
    ("csv", ";", ["worker_id", "image", "text"], "--platform csv: try --mapping map.yaml with delimiter: \";\""),
])
def test_wrong_delimiter_is_named_with_the_platform_that_fits(tmp_path, platform, delimiter, columns, expected):
    text = _csv(columns, [["x"] * len(columns)], delimiter)
    with pytest.raises(IngestError) as err:
        _run(tmp_path, "export.csv", text, platform)
    message = str(err.value)
    assert "delimiter looks wrong" in message and expected in message, message
    assert delimiter.join(columns) not in message  # no longer one giant "column name"


def test_semicolon_file_reads_with_the_suggested_mapping(tmp_path):
    text = _csv(["worker_id", "image", "text"], [["w", IMAGES[0], "ein Mann; eine Welle"]], ";")
    _, frame = _run(tmp_path, "export.csv", text, "csv", mapping={"delimiter": ";"})
    assert frame.text.tolist() == ["ein Mann; eine Welle"]


def test_cli_prints_each_bad_row_once(tmp_path, tiny_source, caplog):
    from click.testing import CliRunner

    from xtd10.cli import cli

    rows = _appen_rows(3)
    rows[1][2] = ""  # no worker: line 3
    export = tmp_path / "f8.csv"
    export.write_text(_csv(APPEN_HEADER, rows), encoding="utf-8")
    result = CliRunner().invoke(cli, ["crowd", "ingest", str(export), "--platform", "appen", "--language", "de",
                                      "-o", str(tmp_path / "b.parquet"), "--source", str(tiny_source)])
    assert result.exit_code == 0, result.output
    assert result.output.count("empty worker id") == 1 and f"{export}:3: empty worker id" in result.output
    assert not [r for r in caplog.records if "empty worker id" in r.getMessage()]  # not logged a second time
    assert "ingested 2 submissions (1 bad rows skipped" in result.output
