"""The escaping helpers, checked against what a CommonMark renderer makes of their output."""

from __future__ import annotations

from html import unescape

import pytest

from tests.installed import need
from xtd10.escaping.markup import md, safe_url

markdown_it = need("markdown_it")
RENDER = markdown_it.MarkdownIt("commonmark").enable("table").render


@pytest.mark.parametrize("text", ["# heading", "1. ordered", "- bullet", "+ plus", "> quote", "*em*", "_em_",
                                  "`code`", "[a](https://x.org)", "![i](x.png)", "<b>x</b>", "a\nb", "~~s~~",
                                  "&amp;", "\\*", "](javascript:alert(1))"])
def test_markdown_renders_the_text_literally_as_a_list_item(text):
    html = RENDER(f"- {md(text)}\n")
    inner = html.removeprefix("<ul>\n<li>").removesuffix("</li>\n</ul>\n")
    assert "<" not in inner, html  # no element was created from the input
    # after unescaping, the reader sees the original text (newlines flattened to spaces)
    assert unescape(inner) == " ".join(text.split()), html


def test_harmless_text_stays_readable():
    assert md("mUSE v3 (multilingual) 0.1.0 R@10 #1 a-b") == "mUSE v3 (multilingual) 0.1.0 R@10 #1 a-b"


@pytest.mark.parametrize(
    ("url", "expected"),
    [("https://arxiv.org/abs/2211.06679", "https://arxiv.org/abs/2211.06679"),
     ("http://example.org/a_b?c=d", "http://example.org/a_b?c=d"),
     ("javascript:alert(1)", None), ("JAVASCRIPT:alert(1)", None), ("data:text/html,x", None),
     ("https://x.org/a)(javascript:1", None), ("//evil.example", None), ("https://a b", None)],
)
def test_only_plain_http_links_are_kept(url, expected):
    assert safe_url(url) == expected
