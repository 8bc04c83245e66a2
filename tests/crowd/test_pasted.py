"""The task page's paste counter reaches the decision: a pasted answer goes to review and
never reaches --accepted, typed answers are approved, and batches without the field are
judged as before."""

from __future__ import annotations

import csv
import io

import pandas as pd
from click.testing import CliRunner

from tests.crowd.conftest import IMAGES, PAIRS
from xtd10.cli import cli
from xtd10.crowd.validate import validate


def _mturk_export(path, pastes: list[str] | None) -> None:
    header = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "WorkTimeInSeconds", "Input.file_name",
              "Input.english", "Answer.translation"] + (["Answer.pastes"] if pastes is not None else [])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for i in range(8):
        row = [f"H{i}", f"A{i}", f"W{i}", "Submitted", "45", IMAGES[i], PAIRS[i][0], PAIRS[i][1]]
        writer.writerow(row + ([pastes[i]] if pastes is not None else []))
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _decide(tmp_path, tiny_source, pastes):
    export, batch, accepted = tmp_path / "results.csv", tmp_path / "batch.parquet", tmp_path / "accepted.parquet"
    _mturk_export(export, pastes)
    runner = CliRunner()
    ingested = runner.invoke(cli, ["crowd", "ingest", str(export), "--platform", "mturk", "--language", "de",
                                   "--source", str(tiny_source), "-o", str(batch)])
    assert ingested.exit_code == 0, ingested.output
    decided = runner.invoke(cli, ["crowd", "decide", str(batch), "--no-semantic", "--format", "csv",
                                  "-o", str(tmp_path / "decisions.csv"), "--accepted", str(accepted)])
    assert decided.exit_code == 0, decided.output
    return pd.read_parquet(batch), pd.read_parquet(accepted)


def test_a_pasted_answer_goes_to_review_and_typed_ones_are_approved(tmp_path, tiny_source):
    pastes = ["0", "0", "2", "0", "", "oops", "0", "1"]
    batch, accepted = _decide(tmp_path, tiny_source, pastes)
    assert batch["pastes"].tolist()[:4] == [0.0, 0.0, 2.0, 0.0]
    assert batch["pastes"].isna().tolist()[4:6] == [True, True]  # empty or unreadable: no evidence
    assert set(accepted["submission_id"]) == {"A0", "A1", "A3", "A4", "A5", "A6"}
    decisions = validate(batch).decisions.set_index("submission_id")
    assert decisions.loc[["A2", "A7"], "decision"].tolist() == ["review", "review"]
    assert all("pasted" in r for r in decisions.loc[["A2", "A7"], "rules"])


def test_a_batch_without_the_paste_field_is_judged_as_before(tmp_path, tiny_source):
    batch, accepted = _decide(tmp_path, tiny_source, None)
    assert batch["pastes"].isna().all()
    assert len(accepted) == 8
    old_layout = batch.drop(columns=["pastes"])  # a batch ingested before the field existed
    assert (validate(old_layout).decisions["decision"] == "approve").all()
