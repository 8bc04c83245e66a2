"""The platform input file and the task page (filled and submitted in headless Chromium)."""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs

import pandas as pd
import pytest

from tests.browser import launch, sync_playwright_api
from tests.crowd.conftest import IMAGES, PAIRS
from xtd10.crowd.settings import load_settings, packaged_codes
from xtd10.crowd.task import render_item, render_template, task_input
from xtd10.languages import XTD10_CODES

REPO = Path(__file__).resolve().parents[2]


def test_task_input_lists_every_image(tiny_source):
    frame = task_input("de", source=tiny_source, image_url_template="https://img.example/{split}/{file_name}")
    assert frame.file_name.tolist() == IMAGES and frame.english.tolist() == [e for e, _ in PAIRS]
    assert frame.image_url[0] == f"https://img.example/val2014/{IMAGES[0]}"


def test_settings_ship_for_the_xtd10_languages_and_the_crowdsourced_ones():
    assert set(XTD10_CODES) | {"hi", "ar", "vi"} <= set(packaged_codes())
    for code in packaged_codes():
        assert load_settings(code).code == code


def test_edited_settings_override_the_packaged_ones_and_bad_files_name_themselves(tmp_path):
    from xtd10.crowd.errors import SettingsError

    edited = (REPO / "crowdsourcing/languages/de.yaml").read_text(encoding="utf-8")
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


def _serve(page_html: str) -> tuple[ThreadingHTTPServer, str]:
    _Recorder.posts, _Recorder.page = [], page_html.encode("utf-8")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


@pytest.mark.browser
def test_page_checks_and_posts_in_headless_chromium():
    playwright = sync_playwright_api()
    english = PAIRS[0][0]
    page_html = render_item(render_template("de", "plain", action="/submit"),
                            {"image_url": "/img.jpg", "file_name": IMAGES[0], "english": english})
    server, url = _serve(page_html)
    try:
        with playwright.sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page()
            page.goto(url)
            assert "Übersetzen" in page.inner_text("h1")
            assert "Richtlinien und Beispiele" in page.inner_text("#guidelines summary")
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
    assert len(_Recorder.posts) == 1
    post = _Recorder.posts[0]
    assert post["file_name"] == [IMAGES[0]] and post["translation"] == [PAIRS[0][1]]
    assert post["pastes"] == ["0"] and post["pasted_chars"] == ["0"] and post["keystrokes"][0].isdigit()
    assert float(post["time_on_task_s"][0]) >= 0


@pytest.mark.browser
def test_hindi_page_stops_latin_script_records_pastes_and_submits_a_good_answer():
    playwright = sync_playwright_api()
    from xtd10.crowd.guidance import MESSAGES

    english = "a dog catching a frisbee in the park"
    good = "पार्क में एक कुत्ता फ्रिस्बी पकड़ रहा है"
    page_html = render_item(render_template("hi", "plain", action="/submit"),
                            {"image_url": "/img.jpg", "file_name": IMAGES[7], "english": english})
    server, url = _serve(page_html)
    try:
        with playwright.sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
            page = context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda err: errors.append(str(err)))
            page.goto(url)
            assert "देवनागरी" in page.inner_text("#guidelines")  # guidelines and examples in Hindi
            page.fill("#translation", "park mein ek kutta frisbee pakad raha hai")
            page.click("#submit")
            assert page.inner_text("#error") == MESSAGES["script"]
            page.fill("#translation", "कुत्ता")  # right script, far too short
            page.click("#submit")
            assert page.inner_text("#error") == MESSAGES["short"]
            assert _Recorder.posts == []
            page.fill("#translation", "")
            page.evaluate("text => navigator.clipboard.writeText(text)", good)
            page.focus("#translation")
            page.keyboard.press("Control+V")
            assert page.input_value("#translation") == good
            assert page.input_value("#pastes") == "1" and page.input_value("#pasted_chars") == str(len(good))
            page.keyboard.type(" ")
            with page.expect_navigation():
                page.click("#submit")
            assert errors == []
            browser.close()
    finally:
        server.shutdown()
    assert len(_Recorder.posts) == 1
    post = _Recorder.posts[0]
    assert post["translation"] == [good + " "] and post["pastes"] == ["1"]
    assert post["pasted_chars"] == [str(len(good))] and int(post["keystrokes"][0]) >= 1


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


def test_preview_fills_one_real_item(tiny_source, tmp_path):
    from click.testing import CliRunner

    from xtd10.cli import cli

    preview = tmp_path / "preview.html"
    result = CliRunner().invoke(cli, ["crowd", "task", "--language", "hi", "--preview", str(preview), "--item", "3",
                                      "--source", str(tiny_source), "--image-url-template",
                                      "https://img.example/{split}/{file_name}"])
    assert result.exit_code == 0, result.output
    page = preview.read_text(encoding="utf-8")
    assert "${" not in page.replace('"$" + "{english}"', "") and "{{" not in page
    assert f'<p class="english" id="english" lang="en">{PAIRS[3][0]}</p>' in page
    assert f'src="https://img.example/train2014/{IMAGES[3]}"' in page and 'data-preview="1"' in page
    bad = CliRunner().invoke(cli, ["crowd", "task", "--language", "hi", "--preview", str(preview), "--item",
                                   str(len(IMAGES)), "--source", str(tiny_source)])
    assert bad.exit_code != 0 and f"choose an item from 0 to {len(IMAGES) - 1}" in str(bad.exception)


def test_every_packaged_language_has_guidelines_whose_examples_agree_with_the_rules():
    """Good examples pass the wrong-script rule and the page's length bounds; examples
    written in another script fail it (so the page shows workers what the rules do)."""
    from xtd10.crowd.guidance import ENGLISH_GUIDELINES, guidance
    from xtd10.crowd.scripts import script_fraction

    for code in packaged_codes():
        s = load_settings(code)
        guide = guidance(s)
        assert guide.points != ENGLISH_GUIDELINES or code == "en", code
        assert any(e.good for e in guide.examples) and any(not e.good for e in guide.examples), code
        page = render_template(code, "mturk")
        for example in guide.examples:
            fraction, _ = script_fraction(example.answer, frozenset(s.scripts))
            if example.good:
                assert fraction >= s.min_script_fraction, (code, example.answer)
            assert html.escape(example.answer, quote=True) in page, code
        wrong = [e for e in guide.examples if script_fraction(e.answer, frozenset(s.scripts))[0] < 0.5]
        assert all(not e.good for e in wrong), code
    generic = render_template("xx", "plain")
    assert all(html.escape(p, quote=True) in generic for p in ENGLISH_GUIDELINES)


def test_malformed_guidelines_in_user_settings_name_the_language(tmp_path):
    from xtd10.crowd.errors import SettingsError

    (tmp_path / "de.yaml").write_text("task:\n  examples:\n  - english: a dog\n    answer: ein Hund\n",
                                      encoding="utf-8")
    with pytest.raises(SettingsError, match=r"settings for 'de': task\.examples item 1 needs english, answer and good"):
        render_template("de", settings_dir=tmp_path)
    (tmp_path / "de.yaml").write_text("task:\n  guidelines: one long string\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"task\.guidelines must be a list"):
        render_template("de", settings_dir=tmp_path)
    (tmp_path / "de.yaml").write_text("task:\n  guidelines: ['Nur ${english} übersetzen']\n", encoding="utf-8")
    page = render_item(render_template("de", "plain", settings_dir=tmp_path), {"english": "X", "image_url": "",
                                                                                "file_name": ""})
    assert "Nur &#36;{english} übersetzen" in page  # settings text never becomes a platform placeholder


@pytest.mark.browser
def test_preview_checks_without_sending_and_the_bare_template_says_what_it_is(tiny_source, tmp_path):
    playwright = sync_playwright_api()
    from click.testing import CliRunner

    from xtd10.cli import cli

    preview, bare = tmp_path / "preview.html", tmp_path / "task.html"
    result = CliRunner().invoke(cli, ["crowd", "task", "--language", "de", "--preview", str(preview), "--page",
                                      str(bare), "--platform", "plain", "--source", str(tiny_source),
                                      "--image-url-template", "{file_name}"])
    assert result.exit_code == 0, result.output
    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(preview.as_uri())
        assert page.inner_text("#english") == PAIRS[0][0] and page.is_hidden("#template-note")
        page.fill("#translation", PAIRS[0][0])
        page.click("#submit")
        # the live check speaks the worker's language (de.yaml's feedback.copy)
        assert page.inner_text("#error") == load_settings("de").feedback["copy"] and page.is_hidden("#status")
        page.fill("#translation", PAIRS[0][1])
        page.click("#submit")
        assert page.inner_text("#error") == "" and "would be submitted" in page.inner_text("#status")
        assert page.url == preview.as_uri()  # nothing was sent anywhere
        page.goto(bare.as_uri())
        assert page.is_visible("#template-note") and "--preview" in page.inner_text("#template-note")
        assert errors == []
        browser.close()
