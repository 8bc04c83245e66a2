"""The review queue: the offline review page (escaping, policy, keyboard, saved decisions,
export, in headless Chromium) and applying its CSV with ``crowd decide --reviews``."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from tests.browser import launch, sync_playwright_api
from tests.crowd.conftest import IMAGES, PAIRS, clean_rows
from xtd10.cli import cli
from xtd10.crowd import validate as validate_module
from xtd10.crowd.review_page import render_review_page
from xtd10.crowd.reviews import ReviewError, apply_reviews, batch_identity, read_reviews, review_queue
from xtd10.crowd.rules import get_rules
from xtd10.crowd.validate import Validation, validate

HOSTILE = "<img src=x onerror=alert(1)>ein roter Bus</p><script>alert(2)</script>"
HIDDEN = "eine Katze\u200b sitzt \u202eauf einem\x00 Holztisch"
EMPTY, LONG, FAST = "s1", "s7", "s9"


def planted_batch() -> pd.DataFrame:
    """Clean rows with planted faults: an empty answer (rejected), an answer four times too
    long and one submitted in a second (sent to review), a second worker copying another's
    answer on image 3, and, beside the long and the fast answers, other workers' texts
    holding hidden characters and markup that the page must show, not obey."""
    rows = clean_rows()
    rows[1]["text"] = ""
    rows[7]["text"] = " ".join([PAIRS[7][1]] * 3)
    rows[9]["work_time_s"] = 1.0
    extra = [("s3b", 3, PAIRS[3][1]), ("s7b", 7, HIDDEN), ("s9b", 9, HOSTILE)]
    for sid, i, text in extra:
        rows.append({**rows[i], "submission_id": sid, "worker_id": "w9", "text": text, "assignment_id": f"a{sid}",
                     "work_time_s": 40.0})
    return pd.DataFrame(rows)


def hand_validation() -> Validation:
    """A validation built by hand to the contract (not by the rules): s3 (hidden
    characters) and s5 (markup) under review beside s7 and s9, s1 rejected."""
    frame = pd.DataFrame(clean_rows())
    frame.loc[3, "text"], frame.loc[5, "text"], frame.loc[1, "text"] = HIDDEN, HOSTILE, ""
    planted = {"s1": ("empty", "reject"), "s3": ("control_chars", "review"), "s5": ("markup", "review"),
               "s7": ("length_ratio", "review"), "s9": ("too_fast", "review")}
    by_id = frame.set_index("submission_id")
    flags = pd.DataFrame([{"submission_id": sid, "worker_id": by_id.at[sid, "worker_id"],
                           "image": by_id.at[sid, "image"], "language": "de", "rule": rule, "severity": outcome,
                           "detail": f"planted {rule}", "text": by_id.at[sid, "text"]}
                          for sid, (rule, outcome) in planted.items()])
    decisions = frame[["submission_id", "worker_id", "image", "language", "text"]].copy()
    decisions["decision"] = decisions["submission_id"].map(lambda sid: planted.get(sid, ("", "approve"))[1])
    decisions["rules"] = decisions["submission_id"].map(lambda sid: planted.get(sid, ("",))[0])
    decisions["feedback"] = "planted"
    workers = frame.groupby("worker_id").size().rename("submissions").reset_index()
    workers["rejected"], workers["reject_rate"], workers["agreement"] = 0, 0.0, float("nan")
    workers["recommendation"] = "approve"
    return Validation(frame, flags, workers, decisions, get_rules())


HAND_QUEUE = ["s3", "s5", "s7", "s9"]


def _warnings_to_review(frame, flags, rules, **options):
    """Three outcomes from two severities: reject flags reject, warning flags send to review."""
    out = _real_decide(frame, flags, rules, **options)
    warned = set(flags.loc[flags["severity"] == "warning", "submission_id"])
    rejected = set(flags.loc[flags["severity"] == "reject", "submission_id"])
    to_review = out["submission_id"].isin(warned - rejected) & (out["decision"] == "approve")
    out.loc[to_review, "decision"] = "review"
    out.loc[to_review, "rules"] = out.loc[to_review, "submission_id"].map(
        flags.groupby("submission_id")["rule"].agg(lambda r: ",".join(sorted(set(r)))))
    out.loc[to_review, "feedback"] = "A person will check this answer."
    return out


_real_decide = validate_module.decide


@pytest.fixture
def review_outcome(monkeypatch):
    """The rules' review outcome; where this toolkit's decide has only approve/reject, the
    warning-severity flags stand in for it."""
    if not validate(planted_batch()).decisions["decision"].eq("review").any():
        monkeypatch.setattr(validate_module, "decide", _warnings_to_review)


@pytest.fixture
def batch_file(tmp_path) -> Path:
    path = tmp_path / "batch.parquet"
    planted_batch().to_parquet(path, index=False)
    return path


def test_the_rules_send_the_long_and_the_fast_answer_to_review(review_outcome):
    v = validate(planted_batch())
    queue = review_queue(v.decisions)["submission_id"].tolist()
    assert {LONG, FAST, "s3", "s3b"} <= set(queue)
    assert queue == [s for s in v.decisions["submission_id"] if s in set(queue)]  # in batch order
    assert v.decisions.set_index("submission_id").at[EMPTY, "decision"] == "reject"


def test_page_escapes_marks_hidden_characters_and_allows_only_its_own_code():
    v = hand_validation()
    page = render_review_page(v, images="https://images.example/coco/")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    for mark in ("U+200B", "U+202E", "U+0000"):
        assert re.search(f'<span class="cc" title="[^"]+">{re.escape(mark)}</span>', page), mark
    assert "\u202e" not in page and "\x00" not in page and "\u200b" not in page
    assert re.findall(r'<section class="item" id="([^"]+)"', page) == HAND_QUEUE  # approved/rejected: absent
    assert f'src="https://images.example/coco/{IMAGES[3]}"' in page and 'loading="lazy"' in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    policy = html.unescape(policy)
    assert "unsafe" not in policy and "default-src 'none'" in policy
    assert "img-src https://images.example;" in policy
    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == len(styles) == 1
    for body in scripts + styles:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert ' style="' not in page and " on" + "click=" not in page
    assert f'data-batch="{batch_identity(v.submissions)}"' in page
    assert "img-src 'none'" in html.unescape(render_review_page(v))


def _write_reviews(path: Path, rows: list[tuple], batch: str = "") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission_id", "decision", "note", "batch"])
        writer.writerows([(*row, batch) for row in rows])
    return path


def test_reviews_decide_only_review_rows_and_bad_lines_are_named(tmp_path):
    INVISIBLE, MARKUP = "s3", "s5"
    v = hand_validation()
    batch = batch_identity(v.submissions)
    explanations = {r.id: r.explanation for r in v.rules}
    good = _write_reviews(tmp_path / "r.csv", [(INVISIBLE, "approve", ""), (MARKUP, "reject", "no HTML please"),
                                               (LONG, "skip", "")], batch)
    out = apply_reviews(v.decisions, read_reviews(good), explanations=explanations, batch=batch)
    by_id = out.set_index("submission_id")
    assert by_id.at[INVISIBLE, "decision"] == "approve" and by_id.at[MARKUP, "decision"] == "reject"
    assert by_id.at[LONG, "decision"] == "review" and by_id.at[FAST, "decision"] == "review"
    assert by_id.at[MARKUP, "feedback"] == explanations["markup"] + " no HTML please"
    untouched = ~out["submission_id"].isin([INVISIBLE, MARKUP])
    pd.testing.assert_frame_equal(out[untouched], v.decisions[untouched])

    cases = {
        "unknown": ([(INVISIBLE, "approve", ""), ("nope", "approve", "")], r"r\.csv:3: unknown submission id 'nope'"),
        "value": ([(INVISIBLE, "accept", "")], r"r\.csv:2: decision 'accept' .* approve, reject, skip"),
        "twice": ([(INVISIBLE, "approve", ""), (INVISIBLE, "reject", "")], r"r\.csv:3: .*already decided on line 2"),
        "decided": ([(EMPTY, "approve", "")], r"r\.csv:2: 's1' was not sent to review \(the rules decided 'reject'\)"),
    }
    for rows, message in cases.values():
        path = _write_reviews(tmp_path / "r.csv", rows, batch)
        with pytest.raises(ReviewError, match=message):
            apply_reviews(v.decisions, read_reviews(path), explanations=explanations, where=str(path),
                          batch=batch)
    path = _write_reviews(tmp_path / "r.csv", [(INVISIBLE, "approve", "")], "0123456789abcdef")
    with pytest.raises(ReviewError, match=r"r\.csv:2: made on another batch's review page \(batch 0123456789abcdef"):
        apply_reviews(v.decisions, read_reviews(path), explanations=explanations, where=str(path), batch=batch)
    (tmp_path / "bad.csv").write_text("id,verdict\ns3,approve\n", encoding="utf-8")
    with pytest.raises(ReviewError, match=r"bad\.csv:1: missing column\(s\) submission_id, decision"):
        read_reviews(tmp_path / "bad.csv")


def test_cli_decide_with_a_bad_review_file_is_one_line_naming_the_line(batch_file, tmp_path, capsys):
    from xtd10.cli import main

    reviews = _write_reviews(tmp_path / "r.csv", [(LONG, "approve", ""), (FAST, "maybe", "")])
    with pytest.raises(SystemExit) as exit_info:
        main(["crowd", "decide", str(batch_file), "--no-semantic", "-o", str(tmp_path / "d.csv"),
              "--reviews", str(reviews)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: {reviews}:3: decision 'maybe' for 's9' is not one of approve, reject, skip"
    assert not (tmp_path / "d.csv").exists()


def _images(folder: Path) -> Path:
    from PIL import Image

    for i, name in enumerate(IMAGES):
        split = folder / ("val2014" if "_val2014_" in name else "train2014")
        split.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40 + i, 30), (10 * i, 80, 160)).save(split / name, "JPEG")
    return folder


@pytest.mark.browser
def test_review_by_keyboard_persists_exports_and_decides(review_outcome, batch_file, tmp_path):
    sync_api = sync_playwright_api()
    rules_say = validate(planted_batch()).decisions
    queue = review_queue(rules_say)["submission_id"].tolist()
    assert {LONG, FAST} <= set(queue) and len(queue) >= 4
    runner = CliRunner()
    page_path = tmp_path / "out" / "review.html"
    page_path.parent.mkdir()
    result = runner.invoke(cli, ["crowd", "review", str(batch_file), "--no-semantic", "--images",
                                 str(_images(tmp_path / "coco")), "-o", str(page_path)])
    assert result.exit_code == 0, result.output
    assert f"{len(queue)} submissions to review" in result.output
    exported = tmp_path / "reviews.csv"
    note = "bitte selbst übersetzen"

    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            context = browser.new_context(accept_downloads=True)
            page = context.new_page()
            problems: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
            page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
            page.on("request", lambda req: requests.append(req.url))

            def open_page(url: str) -> None:
                page.goto(url)
                page.wait_for_selector("body[data-ready]", state="attached")

            def current() -> str:
                return page.get_attribute("section.item.current", "data-id")

            def badge(sid: str) -> str:
                return page.inner_text(f'section[data-id="{sid}"] .state')

            def shown(part: str) -> str:
                return page.inner_text(f"section.item.current {part}")

            open_page(page_path.as_uri())
            assert current() == queue[0]
            first_image = rules_say.set_index("submission_id").at[queue[0], "image"]
            assert page.evaluate("document.querySelector('section.item.current img').naturalWidth") == \
                40 + IMAGES.index(first_image)
            page.keyboard.press("a")
            assert current() == queue[1]
            page.keyboard.press("r")
            page.keyboard.press("s")
            assert current() == queue[3]
            # Chromium hands a page's localStorage writes to its storage process asynchronously, and a
            # reload that comes within milliseconds of the last key press can read the store before they
            # arrive (no person reloads that fast). A second page of the same origin, open across the
            # reload, sees the saved state only once the store holds it, and then the reload reads it too.
            probe_path = tmp_path / "out" / "probe.html"
            probe_path.write_text("<!doctype html><title>probe</title>", encoding="utf-8")
            probe = context.new_page()
            probe.goto(probe_path.as_uri())
            probe.wait_for_function(
                "([key, id]) => { const s = JSON.parse(localStorage.getItem(key) || 'null');"
                " return s !== null && s.current === id; }",
                arg=["xtd10-review:" + page.get_attribute("body", "data-batch"), queue[3]], timeout=20_000)
            page.reload()
            page.wait_for_selector("body[data-ready]", state="attached")
            probe.close()
            assert current() == queue[3]          # the position survives a reload, and so do the decisions
            assert [badge(s) for s in queue[:4]] == ["approve", "reject", "skip", "undecided"]
            page.keyboard.press("k")
            assert current() == queue[2]
            page.keyboard.press("ArrowRight")
            page.keyboard.press("n")
            page.keyboard.type(note)
            page.keyboard.press("Escape")
            page.keyboard.press("a")              # approve queue[3], with a note to the worker
            open_page(page_path.as_uri() + "#" + LONG)  # reports link review.html#<id>
            assert current() == LONG
            assert "U+202E" in shown(".others") and "U+200B" in shown(".others")
            assert "shorter or longer than the English" in shown(".flags")
            open_page(page_path.as_uri() + "#" + FAST)
            assert "<img src=x onerror=alert(1)>" in shown(".others")  # shown as text ...
            assert page.locator('img[src="x"]').count() == 0 and page.locator("script").count() == 1  # ... inert
            batch = planted_batch()
            worker = batch.set_index("submission_id").at[FAST, "worker_id"]
            record = shown("dl.record")  # the worker's record
            assert f"submissions\n{int((batch['worker_id'] == worker).sum())}\n" in record and "too_fast" in record
            open_page(page_path.as_uri() + "#" + queue[1])
            assert current() == queue[1] and badge(queue[1]) == "reject"
            with page.expect_download() as download:
                page.keyboard.press("e")
            download.value.save_as(exported)
            # another batch's page, in the same browser: its own saved decisions (none yet)
            other = planted_batch()
            other.loc[other["submission_id"] == "s2", "worker_id"] = "w7"
            other.to_parquet(tmp_path / "other.parquet", index=False)
            other_page = page_path.with_name("other.html")
            result = runner.invoke(cli, ["crowd", "review", str(tmp_path / "other.parquet"), "--no-semantic",
                                         "-o", str(other_page)])
            assert result.exit_code == 0, result.output
            open_page(other_page.as_uri())
            assert [badge(s) for s in queue[:4]] == ["undecided"] * 4
            assert problems == []
            assert all(url.startswith("file://") for url in requests), requests
        finally:
            browser.close()

    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    chosen = {queue[0]: "approve", queue[1]: "reject", queue[2]: "skip", queue[3]: "approve"}
    assert {r["submission_id"]: r["decision"] for r in rows} == chosen
    decisions, accepted = tmp_path / "decisions.csv", tmp_path / "accepted.parquet"
    result = runner.invoke(cli, ["crowd", "decide", str(batch_file), "--no-semantic", "-o", str(decisions),
                                 "--accepted", str(accepted), "--reviews", str(exported)])
    assert result.exit_code == 0, result.output
    approved_by_rules = set(rules_say.loc[rules_say["decision"] == "approve", "submission_id"])
    assert set(pd.read_parquet(accepted)["submission_id"]) == approved_by_rules | {queue[0], queue[3]}
    table = pd.read_csv(decisions, encoding="utf-8-sig", keep_default_na=False).set_index("submission_id")
    assert table.at[queue[3], "feedback"].endswith(note)
    assert table.at[queue[1], "decision"] == "reject"
    assert set(table.index[table["decision"] == "review"]) == set(queue) - {queue[0], queue[1], queue[3]}


def test_formula_quoted_ids_round_trip_and_an_empty_queue_says_so(tmp_path):
    v = hand_validation()
    v.submissions.loc[v.submissions["submission_id"] == "s7", "submission_id"] = "=s7"
    v.decisions.loc[v.decisions["submission_id"] == "s7", "submission_id"] = "=s7"
    # the page writes a cell that starts like a formula with a leading quote (as spreadsheets need)
    path = _write_reviews(tmp_path / "r.csv", [("'=s7", "reject", "'-- too long")])
    reviews = read_reviews(path)
    assert [(r.submission_id, r.note) for r in reviews] == [("=s7", "-- too long")]
    out = apply_reviews(v.decisions, reviews, explanations={"length_ratio": "Too long."})
    assert out.set_index("submission_id").at["=s7", "feedback"] == "Too long. -- too long"
    v.decisions["decision"] = "approve"
    page = render_review_page(v)
    assert "Nothing to review" in page and '<section class="item"' not in page


def test_review_with_an_images_folder_that_holds_none_of_the_batch_is_refused(batch_file, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["crowd", "review", str(batch_file), "--no-semantic", "--images", str(empty),
                                      "-o", str(tmp_path / "review.html")])
    assert result.exit_code != 0
    assert "none of the batch's" in str(result.exception) and str(empty) in str(result.exception)
    assert not (tmp_path / "review.html").exists()
