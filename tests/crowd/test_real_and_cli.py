"""Auditing the real XTD10 files, the real mUSE semantic rule, and the CLI end to end."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from click.testing import CliRunner

import xtd10
from tests.crowd.conftest import IMAGES, PAIRS
from xtd10.cli import cli
from xtd10.crowd.audit import audit_language, flagged_indices, known_issues_table
from xtd10.languages import XTD10_CODES


@pytest.mark.integration
def test_audit_real_files_flag_rates(real_source):
    rates = {}
    for code in XTD10_CODES:
        if code == "en":
            continue
        flags = audit_language(code, real_source)
        per_rule = flags.groupby("rule")["submission_id"].nunique() / 1000
        rates[code] = per_rule.to_dict()
        print(code, {k: round(v, 3) for k, v in sorted(rates[code].items())})
        assert per_rule.get("wrong_language", 0) < 0.01, code
        assert per_rule.get("wrong_script", 0) < 0.01, code
        assert per_rule.get("empty", 0) == 0 and per_rule.get("mojibake", 0) == 0, code
        rejected = flags.loc[flags.severity == "reject", "submission_id"].nunique() / 1000
        assert rejected < 0.05, (code, rejected)
    # Known defects of the published German file, found by this audit.
    de = flagged_indices("de", real_source)
    assert {147, 240, 726} <= de  # "Could not translate"
    assert {261, 767} <= de  # "?"
    assert 521 in de  # "öööööööööööööööööö"
    assert "control_chars" in rates["fr"]  # zero-width spaces in the MIC French captions
    table = known_issues_table(real_source, languages=["de"])
    placeholder = next(r for r in table if r["rule"] == "placeholder")
    assert placeholder["count"] >= 2 and any("Could not translate" in e for e in placeholder["examples"])



@pytest.mark.integration
def test_cli_audit_writes_flags_csv_where_the_docs_say(real_source, tmp_path):
    out = _invoke("crowd", "audit", "--language", "de", "--source", str(real_source), "--report", str(tmp_path))
    assert out.startswith("de: ") and f"wrote {tmp_path / 'flags.csv'}" in out
    flags = pd.read_csv(tmp_path / "flags.csv", encoding="utf-8-sig", keep_default_na=False)
    assert {"placeholder", "gibberish"} <= set(flags["rule"]) and (flags["language"] == "de").all()

@pytest.mark.slow
def test_semantic_rule_with_real_muse():
    from xtd10.crowd.rules import get_rules
    from xtd10.crowd.semantic import default_encoder
    from xtd10.crowd.validate import run_rules

    rows = [{"submission_id": f"s{i}", "worker_id": "w", "image": IMAGES[i], "language": "de",
             "text": PAIRS[i][1], "english": PAIRS[i][0], "work_time_s": 30.0} for i in range(4)]
    rows[3]["text"] = "Die Steuererklärung muss bis Ende Juli beim Finanzamt eingereicht werden"
    flags = run_rules(pd.DataFrame(rows), encoder=default_encoder(), rules=get_rules(["semantic"]))
    assert set(flags["submission_id"]) == {"s3"}


def _invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_pipeline_ingest_validate_decide_promote(tiny_source, tmp_path):
    header = ["HITId", "AssignmentId", "WorkerId", "AssignmentStatus", "WorkTimeInSeconds", "Input.file_name",
              "Input.english", "Answer.translation"]
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(header)
    for i, (en, de) in enumerate(PAIRS):
        writer.writerow([f"H{i}", f"A{i}", f"W{i % 3}", "Submitted", "45", IMAGES[i], en, de])
    writer.writerow(["Hx", "Ax", "W9", "Submitted", "2", "../../etc/passwd", "x", "y"])
    writer.writerow(["Hy", "Ay", "W9", "Submitted", "2", IMAGES[0], PAIRS[0][0], "n/a"])
    export = tmp_path / "Batch_results.csv"
    export.write_text(buf.getvalue(), encoding="utf-8")
    batch, report, decisions = tmp_path / "b.parquet", tmp_path / "report", tmp_path / "decisions.csv"
    out = _invoke("crowd", "ingest", str(export), "--platform", "mturk", "--language", "hi", "-o", str(batch),
                  "--source", str(tiny_source))
    assert "ingested 21 submissions (1 bad rows" in out
    out = _invoke("crowd", "validate", str(batch), "--report", str(report), "--no-semantic",
                  "--exclude", "wrong_script", "--exclude", "wrong_language", "--exclude", "length_ratio")
    assert (report / "report.html").is_file() and "| placeholder | 1 | 4.8% |" in out
    accepted = tmp_path / "accepted.parquet"
    _invoke("crowd", "decide", str(batch), "--format", "mturk", "-o", str(decisions), "--accepted", str(accepted),
            "--no-semantic", "--exclude", "wrong_script", "--exclude", "wrong_language", "--exclude", "length_ratio")
    table = pd.read_csv(decisions, encoding="utf-8-sig", keep_default_na=False)
    assert table.loc[table.AssignmentId == "Ay", "Reject"].str.contains("placeholder").all()
    assert (table.loc[table.AssignmentId != "Ay", "Approve"] == "x").all()
    assert list(table.columns) == [*header, "Approve", "Reject"]  # the batch results file, decided
    _invoke("crowd", "promote", str(accepted), "--language", "hi", "-o", str(tmp_path / "src"),
            "--source", str(tiny_source))
    ds = xtd10.load("hi", source=tmp_path / "src")
    assert sorted(ds["caption"]) == sorted(de for _, de in PAIRS)


def test_cli_bad_input_is_one_line_error(tmp_path, tiny_source):
    from xtd10.cli import main

    export = tmp_path / "x.csv"
    export.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(["crowd", "ingest", str(export), "--platform", "mturk", "--language", "hi", "-o",
              str(tmp_path / "o.parquet"), "--source", str(tiny_source)])
    assert exit_info.value.code == 2


def test_cli_audit_prints_the_canonical_code_for_an_alias(tiny_source):
    (tiny_source / "STAIR").mkdir()
    japanese = ["サーフボードに乗って波に乗る男性", "ノートパソコンの横の木のテーブルに座る猫"]
    lines = [japanese[i % 2] for i in range(len(IMAGES))]
    (tiny_source / "STAIR" / "test_1kcaptions_jp.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = _invoke("crowd", "audit", "--language", "jp", "--language", "ja", "--source", str(tiny_source))
    assert [line.split(":")[0] for line in out.splitlines()] == ["ja"]
