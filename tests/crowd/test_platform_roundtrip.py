"""The planted-fault batch exported in each platform's format, ingested back, validated:
the same rules must fire at the same rows whatever the platform."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pandas as pd
import pytest

from tests.crowd.conftest import IMAGES, PAIRS
from tests.crowd.test_rules import FAULTS, planted_batch
from xtd10.crowd.ingest import ingest
from xtd10.crowd.validate import run_rules

START = datetime(2026, 11, 25, 10, 0, 0)


def _times(seconds: float) -> tuple[str, str]:
    return START.isoformat(timespec="milliseconds"), (START + timedelta(seconds=seconds)).isoformat(
        timespec="milliseconds")


def _table(header, rows, delimiter=",") -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue()


def export(batch: pd.DataFrame, platform: str) -> tuple[str, str]:
    """(file name, content) of ``batch`` as ``platform`` would export it."""
    r = list(batch.itertuples())
    if platform == "mturk":
        header = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "WorkTimeInSeconds", "Input.image_url",
                  "Input.english", "Answer.translation"]
        return "results.csv", _table(header, [[x.task_id, x.submission_id, x.worker_id, "Submitted",
                                               x.work_time_s, f"https://img.example/{x.image}", x.english, x.text]
                                              for x in r])
    if platform == "toloka":
        header = ["INPUT:image", "INPUT:english", "OUTPUT:translation", "ASSIGNMENT:task_id",
                  "ASSIGNMENT:assignment_id", "ASSIGNMENT:worker_id", "ASSIGNMENT:started", "ASSIGNMENT:submitted"]
        return "a.tsv", _table(header, [[x.image, x.english, x.text, x.task_id, x.submission_id, x.worker_id,
                                         *_times(x.work_time_s)] for x in r], "\t")
    if platform == "appen":
        header = ["_unit_id", "_id", "_worker_id", "_trust", "_golden", "_started_at", "_created_at", "image_url",
                  "english", "translation"]
        return "f8.csv", _table(header, [[x.task_id, x.submission_id, x.worker_id, "0.9", "false",
                                          *_times(x.work_time_s), x.image, x.english, x.text] for x in r])
    if platform == "labelstudio":
        tasks = [{"id": x.task_id, "data": {"image": f"/data/upload/{x.image}", "english": x.english},
                  "annotations": [{"id": x.submission_id, "completed_by": {"email": x.worker_id},
                                   "lead_time": x.work_time_s, "result": [{"from_name": "translation",
                                                                           "value": {"text": [x.text]}}]}]}
                 for x in r]
        return "export.json", json.dumps(tasks, ensure_ascii=False)
    return "generic.csv", _table(["submission_id", "worker_id", "image", "text", "english", "work_time_s"],
                                 [[x.submission_id, x.worker_id, x.image, x.text, x.english, x.work_time_s]
                                  for x in r])


@pytest.mark.parametrize("platform", ["mturk", "toloka", "appen", "labelstudio", "csv"])
def test_faults_survive_every_platform_format(platform, tmp_path):
    batch = planted_batch()
    name, content = export(batch, platform)
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    out = tmp_path / "b.parquet"
    report = ingest(path, platform=platform, language="de", output=out, image_names=IMAGES)
    assert report.bad_rows == 0, report.errors
    frame = pd.read_parquet(out)
    assert frame.submission_id.tolist() == batch.submission_id.tolist()
    assert frame.text.tolist() == batch.text.tolist()
    assert frame.work_time_s.round(3).tolist() == batch.work_time_s.tolist()
    flags = run_rules(frame)
    fired = {(f.submission_id, f.rule) for f in flags.itertuples()}
    assert {(f"s{i}", rule) for i, (_, rule) in FAULTS.items()} <= fired
    assert set(flags.submission_id) == {f"s{i}" for i in FAULTS}
    assert len(PAIRS) == len(frame)
