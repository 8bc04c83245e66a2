"""What workers read: each rule's plain message (never its id), in the batch's language where
its settings give one, in the decision file and on the task page; and an MTurk decision
file is refused for a batch that has no MTurk assignment ids."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from tests.crowd.conftest import clean_rows
from xtd10.cli import cli
from xtd10.crowd.rules import ESCALATION_IDS, RULE_IDS
from xtd10.crowd.settings import load_settings
from xtd10.crowd.task import live_checks, render_template

IDS = (*RULE_IDS, *ESCALATION_IDS)


def _batch(tmp_path, *, assignments: bool = True):
    """A German batch: worker w9's three answers are placeholders and their fourth is
    clean, so w9 is escalated (most of their answers flagged) and the clean one goes to review."""
    rows = clean_rows()
    for i, row in enumerate(rows[:4]):
        row.update(worker_id="w9", submission_id=f"x{i}", text="keine ahnung" if i < 3 else row["text"])
    if not assignments:
        for row in rows:
            row.pop("assignment_id")
            row.pop("task_id")
            row["platform"] = "csv"
    path = tmp_path / "batch.parquet"
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


def _decide(batch, out, *extra):
    return CliRunner().invoke(cli, ["crowd", "decide", str(batch), "--format", "mturk", "-o", str(out),
                                    "--no-semantic", "--exclude", "wrong_language", *extra],
                              catch_exceptions=False)


def test_decision_feedback_is_the_batch_languages_plain_message_never_a_rule_id(tmp_path):
    batch, out = _batch(tmp_path), tmp_path / "decisions.csv"
    res = _decide(batch, out)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    messages = load_settings("de").feedback
    feedback = " ".join(table["Reject"]) + " " + " ".join(table["Approve"])
    assert not any(rule in feedback for rule in IDS)
    assert set(table.loc[table["AssignmentId"].isin(["a0", "a1", "a2"]), "Reject"]) == {messages["placeholder"]}
    # the escalated worker's clean answer is reviewed by a person; reject it on the review page
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("submission_id,decision,note\nx3,reject,\n", encoding="utf-8")
    res = _decide(batch, out, "--reviews", str(reviews))
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, encoding="utf-8-sig", keep_default_na=False)
    rejected = table.loc[table["AssignmentId"] == "a3", "Reject"].item()
    assert rejected == messages["worker_mostly_flagged"]
    assert not any(rule in " ".join(table["Reject"]) for rule in IDS)


def test_a_language_without_feedback_messages_reads_the_english_ones(tmp_path):
    from xtd10.crowd.rules import get_rules
    from xtd10.crowd.validate import worker_messages

    messages = worker_messages(get_rules(), load_settings("ja"))
    assert messages["worker_mostly_flagged"].startswith("Most of your answers were flagged")
    assert messages["approved"] == "Thank you, approved."


def test_the_task_pages_live_checks_speak_the_workers_language():
    de = load_settings("de")
    checks = live_checks(de)
    assert checks["messages"]["copy"] == de.feedback["copy"] and checks["messages"]["long"] == de.feedback["long"]
    page = render_template("de")
    embedded = json.loads(page.split('id="task-checks">')[1].split("</script>")[0])
    assert embedded["messages"]["short"] == de.feedback["short"]
    assert live_checks(load_settings("ja"))["messages"]["copy"].startswith("Please translate")


def test_an_unknown_feedback_message_in_settings_is_refused(tmp_path):
    import pytest

    from xtd10.crowd.settings import SettingsError

    (tmp_path / "de.yaml").write_text("code: de\nfeedback:\n  placeholdr: Platzhalter\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"de.yaml: feedback: unknown message 'placeholdr' \(did you mean "
                                            r"'placeholder'\?\)"):
        load_settings("de", tmp_path)


def test_an_mturk_decision_file_for_a_batch_without_assignment_ids_is_refused(tmp_path):
    batch, out = _batch(tmp_path, assignments=False), tmp_path / "decisions.csv"
    accepted = tmp_path / "accepted.parquet"
    res = CliRunner().invoke(cli, ["crowd", "decide", str(batch), "--format", "mturk", "-o", str(out),
                                   "--accepted", str(accepted), "--no-semantic", "--exclude", "wrong_language"])
    message = str(res.exception)  # the CLI's main() prints it as one line
    assert res.exit_code != 0 and type(res.exception).__name__ == "CrowdError"
    assert ("--format mturk: 20 of 20 submissions have no MTurk AssignmentId" in message
            and "ingest MTurk's Batch_results.csv with --platform mturk, or write --format csv" in message)
    assert not out.exists() and not accepted.exists()
    res = CliRunner().invoke(cli, ["crowd", "decide", str(batch), "--format", "csv", "-o", str(out),
                                   "--no-semantic", "--exclude", "wrong_language"])
    assert res.exit_code == 0, res.output
