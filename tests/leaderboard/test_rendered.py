"""Full builds with figures: byte-identical rebuilds, and the page in headless Chromium.

One small input set (two models, image track, all languages) is built twice per session
and shared by the tests below, because drawing figures is the slow part of a build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.browser import launch, sync_playwright_api
from tests.leaderboard.leaderboard_factories import reported_dict, result_dict, write_json, write_yaml
from xtd10.leaderboard import build_leaderboard


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path, Path]:
    """(inputs dir, first build, second build over a copy of the first holding a stale figure)."""
    root = tmp_path_factory.mktemp("leaderboard")
    results, reported = root / "results", root / "reported"
    write_json(results / "muse.json", result_dict("muse", "mUSE v3", seed=1, tracks=("image",), subsets=("all",)))
    write_json(results / "e5.json", result_dict("e5-small", "e5 <b>small</b>", seed=2, tracks=("image",),
                                                subsets=("all",)))
    write_yaml(reported / "paper.yaml", reported_dict())
    first, second = root / "first", root / "second"
    build_leaderboard(first, results, reported)
    shutil.copytree(first, second)
    (second / "plots" / "model-that-is-gone-bars.png").write_bytes(b"stale")  # written by an earlier build:
    manifest = second / "plots" / ".xtd10-outputs.json"  # listed in its manifest
    manifest.write_text(json.dumps([*json.loads(manifest.read_text(encoding="utf-8")), "model-that-is-gone-bars.png"]),
                        encoding="utf-8")
    build_leaderboard(second, results, reported)
    return root, first, second


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_rebuilds_are_byte_identical_and_drop_stale_figures(built):
    _, first, second = built
    a, b = _tree(first), _tree(second)
    assert sorted(a) == sorted(b)
    assert {"README.md", "leaderboard.csv", "index.html"} <= set(a)
    pngs = [name for name in a if name.endswith(".png")]
    svgs = [name for name in a if name.endswith(".svg")]
    # bars + heatmap per direction, the zero-shot gap, and the reported heatmap
    assert len(pngs) == len(svgs) == 6
    for name in a:
        assert a[name] == b[name], f"{name} differs between two builds of the same inputs"
    for name in svgs:
        assert b"<dc:date>" not in a[name]


@pytest.mark.slow
@pytest.mark.browser
def test_page_in_headless_chromium(built, tmp_path):
    sync_api = sync_playwright_api()
    _, first, _ = built
    with sync_api.sync_playwright() as pw:
        browser = launch(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            requests: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.on("request", lambda req: requests.append(req.url))
            page.goto((first / "index.html").as_uri())
            page.wait_for_load_state("load")
            assert errors == []
            assert all(url.startswith("file://") for url in requests), requests  # nothing from the network
            # the page's own style and script run under its CSP; a script injected later does not
            assert page.evaluate("getComputedStyle(document.querySelector('.controls')).display") == "flex"
            page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
                          " document.body.appendChild(s); }")
            assert page.evaluate("window.injected === undefined")

            # the table renders; the default filters show R@10 on all images: 2 models x 2 directions
            visible = "#measured tbody tr:not([hidden])"
            assert page.locator(visible).count() == 4
            assert page.locator("#reported tbody tr:not([hidden])").count() == 1
            assert page.get_by_text("e5 <b>small</b>").count() >= 1  # escaped name shown literally

            # sorting: click the "en" header twice and compare with the numbers in the cells
            headers = page.locator("#measured thead th")
            en_index = [headers.nth(i).inner_text().strip() for i in range(headers.count())].index("en")

            def column() -> list[float]:
                cells = page.locator(f"{visible} td:nth-child({en_index + 1})")
                return [float(cells.nth(i).get_attribute("data-sort")) for i in range(cells.count())]

            headers.nth(en_index).click()
            ascending = column()
            assert ascending == sorted(ascending)
            headers.nth(en_index).click()
            descending = column()
            assert descending == sorted(ascending, reverse=True)

            # filtering: by direction, then by model text
            page.select_option("#filter-direction", "i2t")
            assert page.locator(visible).count() == 2
            page.fill("#filter-text", "muse")
            assert page.locator(visible).count() == 1
            assert "mUSE v3" in page.locator(visible).inner_text()
            page.fill("#filter-text", "")
            page.select_option("#filter-metric", "")
            assert page.locator(visible).count() == 2 * 3  # i2t, R@1/5/10

            # the figures load
            widths = page.evaluate("Array.from(document.images).map(img => img.complete ? img.naturalWidth : 0)")
            assert len(widths) == 6 and all(w > 0 for w in widths)
            page.screenshot(path=str(tmp_path / "leaderboard.png"), full_page=True)
            assert (tmp_path / "leaderboard.png").stat().st_size > 10_000
        finally:
            browser.close()


def test_page_csp_allows_only_its_own_inline_blocks_by_hash(built):
    import base64
    import hashlib
    import re

    _, first, _ = built
    html = (first / "index.html").read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    blocks = {"script-src": re.findall(r"<script>(.*?)</script>", html, re.S),
              "style-src": re.findall(r"<style>(.*?)</style>", html, re.S)}
    for directive, found in blocks.items():
        assert len(found) == 1 and "style=" not in html.split("<body>", 1)[-1].split("<script>")[0]
        digest = base64.b64encode(hashlib.sha256(found[0].encode("utf-8")).digest()).decode()
        policy = next(part.strip() for part in csp.split(";") if part.strip().startswith(directive))
        assert policy == f"{directive} 'sha256-{digest}'"
