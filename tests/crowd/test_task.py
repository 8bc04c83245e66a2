"""The platform input file and the task page (filled and submitted in headless Chromium)."""

from __future__ import annotations

import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pandas as pd
import pytest

from tests.crowd.conftest import IMAGES, PAIRS
from xtd10.crowd.settings import load_settings, packaged_codes
from xtd10.crowd.task import render_item, render_template, task_input
from xtd10.languages import XTD10_CODES

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"


def test_task_input_lists_every_image(tiny_source):
    frame = task_input("de", source=tiny_source, image_url_template="https://img.example/{split}/{file_name}")
    assert frame.file_name.tolist() == IMAGES and frame.english.tolist() == [e for e, _ in PAIRS]
    assert frame.image_url[0] == f"https://img.example/val2014/{IMAGES[0]}"


def test_settings_ship_in_package_and_match_repository_copies():
    assert set(XTD10_CODES) | {"hi", "ar", "vi"} <= set(packaged_codes())
    for code in packaged_codes():
        repo_copy = REPO / "crowdsourcing" / "languages" / f"{code}.yaml"
        packaged = REPO / "xtd10" / "crowd" / "languages" / f"{code}.yaml"
        assert repo_copy.read_text(encoding="utf-8") == packaged.read_text(encoding="utf-8"), code
        assert load_settings(code).code == code
    template = REPO / "crowdsourcing" / "templates" / "task.html"
    assert template.read_text(encoding="utf-8") == (REPO / "xtd10/crowd/templates/task.html").read_text("utf-8")



def test_edited_settings_override_the_packaged_ones_and_bad_files_name_themselves(tmp_path):
    from xtd10.crowd.errors import SettingsError

    edited = (REPO / "xtd10/crowd/languages/de.yaml").read_text(encoding="utf-8")
    (tmp_path / "de.yaml").write_text(edited.replace("name: German", "name: Deutsch (edited)"), encoding="utf-8")
    assert load_settings("de", tmp_path).name == "Deutsch (edited)"
    assert load_settings("es", tmp_path).code == "es"  # not in the folder: the packaged file
    (tmp_path / "de.yaml").write_bytes("name: Française\n".encode("cp1252"))
    with pytest.raises(SettingsError, match=r"de\.yaml: not UTF-8 text \(byte 10"):
        load_settings("de", tmp_path)
    (tmp_path / "de.yaml").write_text("- a list\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"de\.yaml: expected a mapping"):
        load_settings("de", tmp_path)

def test_mturk_page_keeps_platform_placeholders():
    page = render_template("ja", "mturk")
    assert "<crowd-form" in page and "${image_url}" in page and "${english}" in page
    assert "日本語" in page and "{{" not in page


class _Recorder(BaseHTTPRequestHandler):
    posts: ClassVar[list[dict]] = []
    page = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.page)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8")
        type(self).posts.append(parse_qs(body))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.mark.browser
def test_page_checks_and_posts_in_headless_chromium():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip("Debian chromium is not installed (/usr/bin/chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    english = PAIRS[0][0]
    page_html = render_item(render_template("de", "plain", action="/submit"),
                            {"image_url": "/img.jpg", "file_name": IMAGES[0], "english": english})
    _Recorder.posts, _Recorder.page = [], page_html.encode("utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/"
    try:
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"])
            page = browser.new_page()
            page.goto(url)
            assert "Übersetzen" in page.inner_text("h1")
            for bad in ("", english.upper() + " ", "kurz"):
                page.fill("#translation", bad)
                page.click("#submit")
                assert page.inner_text("#error").strip(), f"no client-side error for {bad!r}"
            assert _Recorder.posts == []
            page.fill("#translation", PAIRS[0][1])
            with page.expect_navigation():
                page.click("#submit")
            browser.close()
    finally:
        server.shutdown()
    assert _Recorder.posts == [{"file_name": [IMAGES[0]], "translation": [PAIRS[0][1]]}]


def test_cli_task_writes_input_file(tiny_source, tmp_path):
    from click.testing import CliRunner

    from xtd10.cli import cli

    out = tmp_path / "in.csv"
    page = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["crowd", "task", "--language", "de", "--out", str(out), "--page", str(page),
                                      "--source", str(tiny_source)])
    assert result.exit_code == 0, result.output
    assert pd.read_csv(out, encoding="utf-8-sig").shape == (len(IMAGES), 4)
    assert "crowd-form" in page.read_text(encoding="utf-8")
