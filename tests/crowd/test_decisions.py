"""Three outcomes: reject what is never a caption, send doubts to review, escalate
workers, and let only approved rows reach --accepted and promote."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.crowd.conftest import IMAGES, PAIRS, clean_rows
from xtd10.cli import cli
from xtd10.crowd.errors import CrowdError, SettingsError
from xtd10.crowd.promote import promote
from xtd10.crowd.validate import validate

# Faults that are never a valid caption: each must be rejected whatever else fires.
NEVER_A_CAPTION = {
    0: "ein Zug hält <script>alert(1)</script> am Bahnsteig",
    1: "ein Mann reitet auf www.example.com eine Welle",
    2: '=HYPERLINK("http://evil.example","klick hier für das Bild")',
    3: "eine Katze sitzt\u200b\u200b auf einem Holztisch neben einem Laptop",
    4: "Brokkoli",
    5: "😀😀😀 🎉",
    6: "ein roter Bus\x00 fährt die Straße entlang",
    7: "eine Gruppe \u202evon Menschen lässt am Strand Drachen steigen",
    8: "ich kann das nicht übersetzen",  # a refusal in the batch's language (no placeholder list needed)
    9: "x" * 5000,
}


def _batch(rows) -> pd.DataFrame:
    return pd.DataFrame(rows)


def test_never_a_caption_is_rejected_and_clean_rows_are_approved():
    rows = clean_rows()
    for i, text in NEVER_A_CAPTION.items():
        rows[i]["text"] = text
    for row in rows:  # one worker per row, so no worker escalation mixes in
        row["worker_id"] = "w-" + row["submission_id"]
    v = validate(_batch(rows))
    decisions = v.decisions.set_index("submission_id")["decision"]
    planted = {f"s{i}" for i in NEVER_A_CAPTION}
    assert set(decisions[decisions == "reject"].index) == planted, v.decisions[["submission_id", "rules"]]
    assert set(decisions[decisions == "approve"].index) == set(decisions.index) - planted


def test_doubts_go_to_review_not_approve():
    rows = clean_rows()
    for row in rows:
        row["worker_id"] = "w-" + row["submission_id"]
    rows[0]["work_time_s"] = 2.0  # too fast
    rows[1]["text"] = rows[2]["text"]  # the same text for another image
    rows.append(dict(rows[5], submission_id="copy", worker_id="other"))  # identical to another worker's
    v = validate(_batch(rows))
    decisions = v.decisions.set_index("submission_id")["decision"]
    assert set(decisions[decisions == "review"].index) == {"s0", "s1", "s2", "s5", "copy"}
    assert set(decisions[decisions == "reject"].index) == set()
    assert v.decisions.set_index("submission_id").loc["s0", "rules"] == "too_fast"


def test_a_worker_reusing_one_text_has_every_submission_reviewed_and_is_suggested_for_block():
    rows = clean_rows()
    for i in (0, 4, 8, 12):  # w0 types one unrelated sentence for four images, 3 s each
        rows[i].update(text="एक आदमी सड़क पर चल रहा है और बारिश हो रही है", work_time_s=3.0, language="hi")
    v = validate(_batch(rows), exclude=["wrong_script", "wrong_language", "length_ratio"])
    w0 = v.decisions[v.decisions.worker_id == "w0"]
    assert set(w0["decision"]) == {"review"} and len(w0) == 5  # s16 too, though it is clean
    assert "worker_reuses_text" in w0.set_index("submission_id").loc["s16", "rules"]
    workers = v.workers.set_index("worker_id")
    assert workers.loc["w0", "recommendation"] == "block" and workers.index[0] == "w0"  # riskiest first
    assert set(v.decisions.loc[v.decisions.worker_id != "w0", "decision"]) == {"approve"}


def test_a_mostly_flagged_worker_is_escalated():
    rows = clean_rows()
    w1 = [i for i, r in enumerate(rows) if r["worker_id"] == "w1"]
    for i in w1[:3]:
        rows[i]["work_time_s"] = 1.0
    v = validate(_batch(rows))
    assert set(v.decisions.loc[v.decisions.worker_id == "w1", "decision"]) == {"review"}
    assert v.workers.set_index("worker_id").loc["w1", "escalation"] == "worker_mostly_flagged"


def test_settings_move_a_rule_between_outcomes(tmp_path):
    (tmp_path / "de.yaml").write_text("outcomes:\n  too_fast: reject\n  markup: review\n", encoding="utf-8")
    rows = clean_rows()
    rows[0]["work_time_s"] = 1.0
    rows[1]["text"] = "ein Mann <b>reitet</b> auf einem Surfbrett eine Welle"
    v = validate(_batch(rows), settings_dir=tmp_path)
    decisions = v.decisions.set_index("submission_id")["decision"]
    assert decisions["s0"] == "reject" and decisions["s1"] == "review"
    assert set(v.flags.loc[v.flags.rule == "too_fast", "outcome"]) == {"reject"}
    (tmp_path / "de.yaml").write_text("outcomes:\n  too_fats: reject\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="did you mean 'too_fast'"):
        validate(_batch(rows), settings_dir=tmp_path)
    (tmp_path / "de.yaml").write_text("outcomes:\n  too_fast: approve\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="reject, review"):
        validate(_batch(rows), settings_dir=tmp_path)


def test_too_long_is_a_setting(tmp_path):
    rows = clean_rows()
    (tmp_path / "de.yaml").write_text("max_chars: 30\n", encoding="utf-8")
    v = validate(_batch(rows), settings_dir=tmp_path)
    too_long = set(v.flags.loc[v.flags.rule == "too_long", "submission_id"])
    assert too_long == {r["submission_id"] for r in rows if len(r["text"]) > 30}


def _export(tmp_path, rows) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["submission_id", "worker_id", "image", "english", "text", "work_time_s"])
    writer.writerows([[r["submission_id"], r["worker_id"], r["image"], r["english"], r["text"], r["work_time_s"]]
                      for r in rows])
    path = tmp_path / "export.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return str(path)


def test_decide_prints_three_counts_and_accepted_holds_approved_rows_only(tmp_path, tiny_source):
    rows = clean_rows()
    rows[0]["text"] = "ein Zug <b>hält</b> am Bahnsteig"  # reject
    rows[1]["work_time_s"] = 1.0  # review
    runner = CliRunner()
    batch, accepted, out = tmp_path / "b.parquet", tmp_path / "ok.parquet", tmp_path / "d.csv"
    result = runner.invoke(cli, ["crowd", "ingest", _export(tmp_path, rows), "--platform", "csv", "--language",
                                 "de", "-o", str(batch), "--source", str(tiny_source)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["crowd", "decide", str(batch), "-o", str(out), "--accepted", str(accepted),
                                 "--no-semantic"])
    assert result.exit_code == 0, result.output
    assert f"approve {len(rows) - 2}, review 1, reject 1" in result.output
    kept = pd.read_parquet(accepted)
    assert set(kept["submission_id"]) == {f"s{i}" for i in range(2, len(PAIRS))}
    assert set(kept["decision"]) == {"approve"}
    review = pd.read_csv(tmp_path / "d.review.csv", encoding="utf-8-sig")
    assert review["submission_id"].tolist() == ["s1"] and review["link"].tolist() == ["review.html#s1"]
    decided = pd.read_csv(out, encoding="utf-8-sig").set_index("submission_id")["decision"]
    assert (decided["s0"], decided["s1"], decided["s2"]) == ("reject", "review", "approve")


def test_mturk_leaves_review_rows_pending_and_toloka_leaves_them_out(tmp_path):
    from xtd10.crowd.decide import write_decisions

    rows = clean_rows()
    rows[0]["text"] = "n/a"
    rows[1]["work_time_s"] = 1.0
    v = validate(_batch(rows))
    mturk = pd.read_csv(write_decisions(v.decisions, v.workers, "mturk", tmp_path / "m.csv")["decisions"],
                        encoding="utf-8-sig", keep_default_na=False).set_index("AssignmentId")
    assert list(mturk.columns) == ["HITId", "WorkerId", "Approve", "Reject"]  # the five columns, one the index
    assert (mturk.loc["a0", "Approve"], mturk.loc["a1", "Approve"], mturk.loc["a1", "Reject"]) == ("", "", "")
    assert mturk.loc["a0", "Reject"] != "" and mturk.loc["a2", "Approve"] == "x"
    toloka = pd.read_csv(write_decisions(v.decisions, v.workers, "toloka", tmp_path / "t.tsv")["decisions"],
                         sep="\t", keep_default_na=False)
    assert "a1" not in set(toloka["ASSIGNMENT:assignment_id"]) and len(toloka) == len(rows) - 1


def test_promote_refuses_a_table_with_rows_not_approved(tmp_path, tiny_source):
    rows = pd.DataFrame(clean_rows()).assign(language="hi", decision="approve")
    rows.loc[3, "decision"] = "review"
    with pytest.raises(CrowdError, match="1 rows not approved"):
        promote(rows, language="hi", source=tiny_source, output=tmp_path / "out")
    assert not (tmp_path / "out").exists()
    promote(rows.drop(index=3), language="hi", source=tiny_source, output=tmp_path / "out")
    assert len((tmp_path / "out" / "CROWD" / "test_1kcaptions_hi.txt").read_text().splitlines()) == len(IMAGES) - 1


def test_a_planted_batch_in_a_language_without_settings_lets_no_fault_through(tmp_path, tiny_source):
    """Dutch has no packaged settings: the defaults alone must keep every planted fault
    out of --accepted (the caption of another image is the previous answer pasted again)."""
    dutch = ["een man rijdt op een surfplank over een golf", "een kat zit op een houten tafel naast een laptop",
             "twee giraffen staan in een grasveld bij de bomen", "een bord eten met broccoli en rijst",
             "een rode dubbeldekker rijdt door de straat", "een groep mensen laat vliegers op op het strand",
             "een jongen houdt een honkbalknuppel vast bij de thuisplaat", "een hond vangt een frisbee in het park",
             "een keuken met witte kasten en een fornuis", "een vliegtuig vliegt bij zonsondergang over de stad",
             "een vrouw zit op een bank en leest een boek", "een trein staat stil langs een perron",
             "een schaal met appels en bananen op het aanrecht", "een man skiet een besneeuwde berghelling af",
             "een klokkentoren midden op een marktplein"]
    rows = [dict(r, language="nl", text=dutch[i], worker_id=f"w{i}") for i, r in enumerate(clean_rows()[:15])]
    planted = {0: "een trein <script>alert(1)</script> op het perron", 1: "zie https://example.nl/foto",
               2: '=HYPERLINK("http://x.example","klik")', 3: "een bord eten met\u200b broccoli en rijst",
               4: "bus", 5: "ik kan dit niet vertalen", 6: dutch[11]}
    for i, text in planted.items():
        rows[i]["text"] = text
    same = "een auto staat geparkeerd voor een huis"
    for k in (7, 8, 9):  # one worker, one unrelated text for three images, 3 s each
        rows[k].update(text=same, worker_id="fast", work_time_s=3.0)
    rows.append(dict(rows[11], submission_id="twin", worker_id="twin"))  # two workers, the same text
    rows.append(dict(rows[10], submission_id="twin2", worker_id="twin2"))
    path = tmp_path / "nl.csv"
    pd.DataFrame(rows)[["submission_id", "worker_id", "image", "english", "text", "work_time_s"]].to_csv(
        path, index=False)
    runner = CliRunner()
    batch, accepted = tmp_path / "b.parquet", tmp_path / "ok.parquet"
    assert runner.invoke(cli, ["crowd", "ingest", str(path), "--platform", "csv", "--language", "nl", "-o",
                               str(batch), "--source", str(tiny_source)]).exit_code == 0
    result = runner.invoke(cli, ["crowd", "decide", str(batch), "-o", str(tmp_path / "d.csv"), "--accepted",
                                 str(accepted), "--no-semantic"])
    assert result.exit_code == 0, result.output
    faults = {f"s{i}" for i in (*planted, 7, 8, 9, 10, 11)} | {"twin", "twin2"}
    assert set(pd.read_parquet(accepted)["submission_id"]) & faults == set()
    assert set(pd.read_parquet(accepted)["submission_id"]) == {"s12", "s13", "s14"}  # the clean rows


def test_a_user_policy_merges_with_the_generic_one(tmp_path):
    from xtd10.crowd.settings import load_settings

    assert load_settings("pt", warn=False).outcomes == {"wrong_language": "review"}
    (tmp_path / "pt.yaml").write_text("outcomes: {too_fast: reject}\n", encoding="utf-8")
    assert load_settings("pt", tmp_path, warn=False).outcomes == {"wrong_language": "review", "too_fast": "reject"}


def test_a_rejected_text_given_for_several_images_does_not_escalate_the_worker():
    rows = clean_rows()
    w0 = list(range(10))
    for i in w0:
        rows[i]["worker_id"] = "w0"
    for i in w0[:3]:
        rows[i]["text"] = "n/a"  # rejected three times (30%); the other seven answers are fine
    v = validate(_batch(rows))
    decisions = v.decisions.set_index("submission_id")["decision"]
    assert [decisions[f"s{i}"] for i in w0] == ["reject"] * 3 + ["approve"] * 7
    assert v.workers.set_index("worker_id").loc["w0", "escalation"] == ""
