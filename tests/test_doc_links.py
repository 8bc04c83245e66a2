"""Every relative link in the project's Markdown files reaches a file that exists and, where
it names a heading (``file.md#anchor``), a heading of that file: moving a section or a file
cannot leave a dangling link behind."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)


def _markdown_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=REPO, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed: {listed.stderr.strip()}")
    return [REPO / name for name in listed.stdout.splitlines()]


def anchors(text: str) -> set[str]:
    """The anchors a Markdown renderer gives the headings of ``text`` (GitHub's rule:
    lower case, punctuation dropped, spaces as ``-``; a repeated one gets ``-1``, ``-2``)."""
    seen: dict[str, int] = {}
    out = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", FENCE.sub("", text), re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        out.add(slug if count == 0 else f"{slug}-{count}")
    return out


def test_the_anchor_rule_matches_the_renderers():
    text = "# Speed\n## Metrics (`xtd10.benchmark.metrics`)\n### Sweeps: what they cost\n## Speed\n"
    assert anchors(text) == {"speed", "metrics-xtd10benchmarkmetrics", "sweeps-what-they-cost", "speed-1"}


def test_every_relative_link_reaches_its_file_and_heading():
    broken = []
    for doc in _markdown_files():
        text = FENCE.sub("", doc.read_text(encoding="utf-8"))
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            where = (doc.parent / path).resolve() if path else doc
            if not where.exists():
                broken.append(f"{doc.relative_to(REPO)}: {target} (no such file)")
            elif anchor and where.suffix == ".md" and anchor not in anchors(where.read_text(encoding="utf-8")):
                broken.append(f"{doc.relative_to(REPO)}: {target} (no such heading)")
    assert broken == []
