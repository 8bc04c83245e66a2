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

from tests.crowd.conftest import IMAGES, PAIRS, clean_rows
from xtd10.cli import cli
from xtd10.crowd import validate as validate_module
from xtd10.crowd.review_page import render_review_page
from xtd10.crowd.reviews import ReviewError, apply_reviews, batch_identity, read_reviews, review_queue
from xtd10.crowd.validate import validate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = "<img src=x onerror=alert(1)>ein roter Bus</p><script>alert(2)</script>"
HIDDEN = "eine Katze\u200b sitzt \u202eauf einem\x00 Holztisch"
# Planted faults: the rules reject EMPTY; the warnings send the others to review.
EMPTY, INVISIBLE, MARKUP, LONG, FAST = "s1", "s3", "s5", "s7", "s9"
UNDER_REVIEW = [INVISIBLE, MARKUP, LONG, FAST]


def planted_batch() -> pd.DataFrame:
    rows = clean_rows()
    rows[1]["text"] = ""
    rows[3]["text"] = HIDDEN
    rows[5]["text"] = HOSTILE
    rows[7]["text"] = " ".join([PAIRS[7][1]] * 4)
    rows[9]["work_time_s"] = 1.0
    # a second worker on image 3, so the page has another text to show beside the reviewed one
    rows.append({**rows[2], "submission_id": "s3b", "worker_id": "w9", "image": IMAGES[3], "text": PAIRS[3][1],
                 "english": PAIRS[3][0], "assignment_id": "a3b", "task_id": "h3"})
    return pd.DataFrame(rows)


def _warnings_to_review(frame, flags, rules, *, reject_warnings=False):
    """The three-outcome decision: rejectable flags reject, warning flags go to review."""
    out = _real_decide(frame, flags, rules, reject_warnings=reject_warnings)
    warned = set(flags.loc[flags["severity"] == "warning", "submission_id"])
    rejected = set(flags.loc[flags["severity"] == "reject", "submission_id"])
    to_review = out["submission_id"].isin(warned - rejected) & ~pd.Series(reject_warnings, index=out.index)
    out.loc[to_review, "decision"] = "review"
    out.loc[to_review, "rules"] = out.loc[to_review, "submission_id"].map(
        flags.groupby("submission_id")["rule"].agg(lambda r: ",".join(sorted(set(r)))))
    out.loc[to_review, "feedback"] = "Under review."
    return out


_real_decide = validate_module.decide


@pytest.fixture
def three_outcomes(monkeypatch):
    monkeypatch.setattr(validate_module, "decide", _warnings_to_review)


@pytest.fixture
def batch_file(tmp_path) -> Path:
    path = tmp_path / "batch.parquet"
    planted_batch().to_parquet(path, index=False)
    return path


def test_queue_holds_the_warned_submissions(three_outcomes):
    v = validate(planted_batch())
    assert review_queue(v.decisions)["submission_id"].tolist() == UNDER_REVIEW
    assert v.decisions.set_index("submission_id").at[EMPTY, "decision"] == "reject"


def test_page_escapes_marks_hidden_characters_and_allows_only_its_own_code(three_outcomes):
    v = validate(planted_batch())
    page = render_review_page(v, images="https://images.example/coco/")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    for mark in ("U+200B", "U+202E", "U+0000"):
        assert re.search(f'<span class="cc" title="[^"]+">{re.escape(mark)}</span>', page), mark
    assert "\u202e" not in page and "\x00" not in page and "\u200b" not in page
    for sid in UNDER_REVIEW:
        assert f'id="{sid}"' in page
    assert 'id="s2"' not in page  # approved by the rules: not on the page
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


def _write_reviews(path: Path, rows: list[tuple], batch: str = "") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission_id", "decision", "note", "batch"])
        writer.writerows([(*row, batch) for row in rows])
    return path


def test_reviews_decide_only_review_rows_and_bad_lines_are_named(three_outcomes, tmp_path):
    v = validate(planted_batch())
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


def test_cli_decide_with_a_bad_review_file_is_one_line_naming_the_line(three_outcomes, batch_file, tmp_path,
                                                                       capsys):
    from xtd10.cli import main

    reviews = _write_reviews(tmp_path / "r.csv", [(INVISIBLE, "approve", ""), (FAST, "maybe", "")])
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
def test_review_by_keyboard_persists_exports_and_decides(three_outcomes, batch_file, tmp_path):
    if not Path(CHROMIUM).is_file():
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is in the dev extra")
    runner = CliRunner()
    page_path = tmp_path / "out" / "review.html"
    page_path.parent.mkdir()
    result = runner.invoke(cli, ["crowd", "review", str(batch_file), "--no-semantic", "--images",
                                 str(_images(tmp_path / "coco")), "-o", str(page_path)])
    assert result.exit_code == 0, result.output
    assert f"{len(UNDER_REVIEW)} submissions to review" in result.output
    exported = tmp_path / "reviews.csv"

    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(accept_downloads=True)
            problems: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda err: problems.append(str(err)))
            page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
            page.on("request", lambda req: requests.append(req.url))
            page.goto(page_path.as_uri())
            page.wait_for_selector("body[data-ready]", state="attached")

            def current() -> str:
                return page.get_attribute("section.item.current", "data-id")

            def badge(sid: str) -> str:
                return page.inner_text(f'section[data-id="{sid}"] .state')

            assert current() == INVISIBLE
            assert page.evaluate("document.querySelector('section.item.current img').naturalWidth") == 40 + 3
            assert "U+202E" in page.inner_text("section.item.current .answer")
            assert PAIRS[3][1] in page.inner_text("section.item.current .others")  # the other worker
            assert "invisible or control characters" in page.inner_text("section.item.current .flags")
            page.keyboard.press("a")          # approve s3, on to s5
            assert current() == MARKUP
            assert page.locator("section.item.current img").count() == 1
            page.keyboard.press("r")          # reject s5
            page.keyboard.press("s")          # skip s7
            assert current() == FAST
            page.reload()
            page.wait_for_selector("body[data-ready]", state="attached")
            assert current() == FAST          # the position survives a reload, and so do the decisions
            assert [badge(s) for s in UNDER_REVIEW] == ["approve", "reject", "skip", "undecided"]
            page.keyboard.press("k")
            assert current() == LONG
            page.keyboard.press("ArrowRight")
            page.keyboard.press("n")
            page.keyboard.type("bitte langsamer arbeiten")
            page.keyboard.press("Escape")
            page.keyboard.press("a")          # approve s9 with a note
            page.goto(page_path.as_uri() + "#" + MARKUP)  # reports link review.html#<id>
            page.wait_for_selector("body[data-ready]", state="attached")
            assert current() == MARKUP and badge(MARKUP) == "reject"
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
            page.goto(other_page.as_uri())
            page.wait_for_selector("body[data-ready]", state="attached")
            assert [badge(s) for s in UNDER_REVIEW] == ["undecided"] * len(UNDER_REVIEW)
            assert current() == INVISIBLE
            assert problems == []
            assert all(url.startswith("file://") for url in requests), requests
        finally:
            browser.close()

    rows = list(csv.DictReader(exported.open(encoding="utf-8-sig")))
    assert {r["submission_id"]: r["decision"] for r in rows} == {INVISIBLE: "approve", MARKUP: "reject",
                                                                 LONG: "skip", FAST: "approve"}
    decisions, accepted = tmp_path / "decisions.csv", tmp_path / "accepted.parquet"
    result = runner.invoke(cli, ["crowd", "decide", str(batch_file), "--no-semantic", "-o", str(decisions),
                                 "--accepted", str(accepted), "--reviews", str(exported)])
    assert result.exit_code == 0, result.output
    expected = set(planted_batch()["submission_id"]) - {EMPTY, MARKUP, LONG}
    assert set(pd.read_parquet(accepted)["submission_id"]) == expected
    table = pd.read_csv(decisions, encoding="utf-8-sig").set_index("submission_id")
    assert table.at[FAST, "feedback"].endswith("bitte langsamer arbeiten")
    assert table.at[LONG, "decision"] == "review"
