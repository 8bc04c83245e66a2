"""The failure view in headless Chromium: it loads offline with no CSP violation, filters
by language, lists the hardest captions with their translations, and shows the result
files' numbers. On the demo set always; on mUSE vs e5-small when the real files are there."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.browser import launch, sync_playwright_api
from xtd10.cli import cli
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "leaderboards" / "results"
VISIBLE = "#hardest-table tbody tr:not([hidden])"


def open_page(pw, path: Path):
    browser = launch(pw)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    problems: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda err: problems.append(str(err)))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type in ("error", "warning") else None)
    page.on("request", lambda req: requests.append(req.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return browser, page, problems, requests


def check_view(out: Path, results: list[Path], language: str, n_languages: int, screenshot: Path | None = None):
    sync_api = sync_playwright_api()
    with sync_api.sync_playwright() as pw:
        browser, page, problems, requests = open_page(pw, out / "index.html")
        try:
            assert problems == []  # no script error, no CSP refusal
            assert all(url.startswith("file://") for url in requests), requests
            # every figure loaded
            widths = page.evaluate("Array.from(document.images).map(img => img.complete ? img.naturalWidth : 0)")
            assert widths and all(w > 0 for w in widths)
            # the ten hardest overall, then the ten hardest of one language, each with its translations
            assert page.locator(VISIBLE).count() == 10
            page.select_option("#filter-language", language)
            rows = page.locator(VISIBLE)
            assert rows.count() == 10
            for i in range(rows.count()):
                row = rows.nth(i)
                assert row.get_attribute("data-lang") == language
                assert row.locator("ul.tr li").count() == n_languages - 1
            # the summary shows this language only, with the result files' numbers
            summary = page.locator("#summary-table tbody tr:not([hidden])")
            assert summary.count() >= len(results)
            for result_path in results:
                result = Result.load(result_path)
                spec = result.encoder["spec"]
                for track, direction in (("image", "t2i"), ("text", "x2en")):
                    if track not in result.config["tracks"]:
                        continue
                    row = summary.filter(has_text=f" {spec}").filter(has_text=direction).first
                    cell = row.locator('td[data-metric="R@1"]')
                    value = result.value(track, direction, language, "all", "R@1")
                    assert float(cell.get_attribute("data-value")) == value
                    assert cell.inner_text().strip() == f"{100 * value:.1f}"
            # the per-image table keeps the chosen language and English
            headers = page.locator("#per-image thead th:not([hidden])")
            assert [headers.nth(i).inner_text() for i in range(headers.count())][1:] == sorted(
                {"en", language}, key=["en", language].index)
            if screenshot is not None:
                page.locator("#hardest").scroll_into_view_if_needed()
                page.screenshot(path=str(screenshot))
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.browser
def test_demo_failure_view_in_chromium(tmp_path):
    results = [RESULTS / "offline-labels.xtd10-demo.json", RESULTS / "random.xtd10-demo.json"]
    out = tmp_path / "demo"
    outcome = CliRunner().invoke(cli, ["bench", "explain", *map(str, results), "-o", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert len(list((out / "images").glob("*.jpg"))) == 12  # demo thumbnails in the page
    check_view(out, results, "de", 11)


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.integration
def test_muse_vs_e5_failure_view_in_chromium(real_source, tmp_path):
    results = [RESULTS / "muse.json", RESULTS / "e5-small.json"]
    out = tmp_path / "text"
    outcome = CliRunner().invoke(cli, ["bench", "explain", *map(str, results), "--source", str(real_source),
                                       "--audit", "-o", str(out)])
    assert outcome.exit_code == 0, outcome.output
    check_view(out, results, "ja", 11, screenshot=tmp_path / "explain.png")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "flagged by the caption audit" in page  # the audit flags some German captions
