"""``xtd10 bench explain``: the failure view's tables agree with the result files, and the
page is escaped, offline and under a CSP without 'unsafe-inline'."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from xtd10.benchmark.comparison import compare
from xtd10.benchmark.explain import Explained, explain, upstream_line_url
from xtd10.benchmark.explain_page import CSP, render_page
from xtd10.cli import cli
from xtd10.data.upstream import UPSTREAM_COMMIT, UPSTREAM_REPO
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]
RESULTS = REPO / "leaderboards" / "results"
DEMO = [RESULTS / "offline-labels.xtd10-demo.json", RESULTS / "random.xtd10-demo.json"]


@pytest.fixture(scope="module")
def demo_view(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("explain") / "failures"
    outcome = CliRunner().invoke(cli, ["bench", "explain", *map(str, DEMO), "-o", str(out), "--top", "5"])
    assert outcome.exit_code == 0, outcome.output
    return out


def ranks_of(path: Path) -> dict[tuple[str, str], list[int]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {(e["direction"], e["language"]): e["ranks"] for e in data["per_query"] if e["subset"] == "all"}


def test_per_image_csv_holds_the_result_files_ranks(demo_view):
    table = pd.read_csv(demo_view / "per_image.csv")
    assert len(table) == 12 and list(table["image"]) == list(range(12))
    for path in DEMO:
        spec = json.loads(path.read_text(encoding="utf-8"))["encoder"]["spec"]
        for (direction, language), ranks in ranks_of(path).items():
            assert table[f"{spec}|{direction}|{language}"].tolist() == ranks
    # the captions come from the demo set through the data loader
    from xtd10.data.demo import demo_frame

    frame = demo_frame(["ja"]).sort_values("index")
    assert table["caption_ja"].tolist() == frame["caption"].tolist()


def test_hardest_are_the_captions_every_model_ranks_worst(demo_view):
    hardest = pd.read_csv(demo_view / "hardest.csv")
    # independent: best rank over models of every caption query (t2i, x2en)
    best: dict[tuple[int, str], int] = {}
    for path in DEMO:
        for (direction, language), ranks in ranks_of(path).items():
            if direction in ("t2i", "x2en"):
                for image, rank in enumerate(ranks):
                    best[(image, language)] = min(rank, best.get((image, language), rank))
    ordered = sorted(best.values(), reverse=True)
    assert hardest["best_rank"].tolist() == ordered[: len(hardest)]
    for row in hardest.itertuples():
        assert best[(row.image, row.language)] == row.best_rank
        assert row.missed_by_all == (row.best_rank > 1)


def test_pair_tests_equal_bench_compare(demo_view):
    tests = pd.read_csv(demo_view / "pair_tests.csv")
    expected = compare(*DEMO, metrics=["R@1"])
    expected = expected[expected["subset"] == "all"]
    for row in tests.itertuples():
        match = expected[(expected["direction"] == row.direction) & (expected["language"] == row.language)]
        assert len(match) == 1
        assert row.a == pytest.approx(float(match["a"].iloc[0]))
        assert row.b == pytest.approx(float(match["b"].iloc[0]))
        assert row.p_value == pytest.approx(float(match["p_value"].iloc[0]))
    assert len(tests) == len(expected)


def test_disagreement_is_the_rank_variance_across_languages(demo_view):
    table = pd.read_csv(demo_view / "disagreement.csv")
    image = int(table["image"].iloc[0])
    variances = []
    for path in DEMO:
        per_direction: dict[str, list[int]] = {}
        for (direction, language), ranks in ranks_of(path).items():
            if not (direction in ("x2en", "en2x") and language == "en"):
                per_direction.setdefault(direction, []).append(ranks[image])
        variances.extend(float(np.var(v)) for v in per_direction.values())
    assert table["rank_variance"].iloc[0] == pytest.approx(np.mean(variances))


def test_page_numbers_are_the_result_files(demo_view):
    page = (demo_view / "index.html").read_text(encoding="utf-8")
    for path in DEMO:
        result = Result.load(path)
        for direction, language in [("t2i", "de"), ("x2en", "ja")]:
            value = result.value("image" if direction == "t2i" else "text", direction, language, "all", "R@1")
            assert f'data-metric="R@1" data-value="{value!r}">{100 * value:.1f}</td>' in page


def test_plots_are_written_and_byte_stable(demo_view, tmp_path):
    names = sorted(p.name for p in (demo_view / "plots").iterdir())
    assert names == sorted(f"ranks-{d}.{ext}" for d in ("t2i", "i2t", "x2en", "en2x") for ext in ("png", "svg"))
    again = tmp_path / "again"
    assert CliRunner().invoke(cli, ["bench", "explain", *map(str, DEMO), "-o", str(again), "--top", "5"]).exit_code == 0
    for name in names:
        assert (again / "plots" / name).read_bytes() == (demo_view / "plots" / name).read_bytes()


def test_figures_are_rendered_without_writing_and_the_view_holds_their_bytes(demo_view, tmp_path, monkeypatch):
    # one module writes the view's files: the plot module only renders
    from xtd10.benchmark.explain_plots import rank_distribution_plots

    monkeypatch.chdir(tmp_path)
    figures = rank_distribution_plots(explain(DEMO), svg=True)
    assert list(tmp_path.iterdir()) == []
    rendered = {name: data for figure in figures for name, data in figure.rendered.items()}
    assert sorted(rendered) == sorted(f"plots/{p.name}" for p in (demo_view / "plots").iterdir())
    for name, data in rendered.items():
        assert (demo_view / name).read_bytes() == data


def test_csp_has_no_unsafe_inline_and_hashes_the_inline_code(demo_view):
    page = (demo_view / "index.html").read_text(encoding="utf-8")
    assert "unsafe-inline" not in page and "unsafe-eval" not in CSP
    assert f'content="{CSP}"' in page
    assert len(re.findall(r"'sha256-[A-Za-z0-9+/=]{44}'", CSP)) == 2
    assert "http://" not in page.replace(f"https://github.com/{UPSTREAM_REPO}", "")


def test_strings_from_result_files_and_captions_are_escaped(tmp_path):
    data = json.loads(DEMO[1].read_text(encoding="utf-8"))
    data["encoder"]["spec"] = 'evil"><script>alert(1)</script>'
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    view = explain([path])
    view.captions.loc[0, "caption"] = "<img src=x onerror=alert(2)>"
    view = Explained(view.models, view.dataset, view.revision, view.n_images, view.languages, view.directions,
                     view.ranks, view.captions, view.file_names, {"de": {0}})
    page = render_page(view, max_images=None)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(2)&gt;" in page


def test_a_formula_in_a_model_name_is_inert_in_every_csv_of_the_view(tmp_path):
    # the spec names columns (per_image.csv) and fills cells (summary.csv): both are guarded
    data = json.loads(DEMO[1].read_text(encoding="utf-8"))
    data["encoder"]["spec"] = "=cmd|' /C calc'!A0"
    path = tmp_path / "evil.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = tmp_path / "view"
    outcome = CliRunner().invoke(cli, ["bench", "explain", str(DEMO[0]), str(path), "-o", str(out), "--no-plots"])
    assert outcome.exit_code == 0, outcome.output
    tables = sorted(out.glob("*.csv"))
    assert {p.name for p in tables} >= {"per_image.csv", "summary.csv", "pair.csv", "pair_tests.csv"}
    seen = 0
    for table in tables:
        for row in csv.reader(table.read_text(encoding="utf-8").splitlines()):
            formulas = [cell for cell in row if cell.lstrip().startswith(("=", "+", "-", "@"))
                        and not re.fullmatch(r"-[0-9.e+-]+", cell)]  # a negative number is data
            assert formulas == [], table.name
            seen += sum("=cmd|" in cell for cell in row)
    assert seen > 0


def test_flagged_captions_are_marked_and_link_to_the_upstream_line(tmp_path):
    view = explain([DEMO[0]])
    view = Explained(view.models, view.dataset, view.revision, view.n_images, view.languages, view.directions,
                     view.ranks, view.captions, view.file_names, {"de": {3}})
    page = render_page(view, max_images=None)
    url = upstream_line_url("de", 3)
    assert url == f"https://github.com/{UPSTREAM_REPO}/blob/{UPSTREAM_COMMIT}/MIC/test_1kcaptions_de.txt#L4"
    row = next(r for r in page.split("<tr") if 'data-col="de"' in r and 'data-image="3"' in r)
    assert 'class="badge"' in row and f'href="{url}"' in row


def test_results_on_different_data_are_refused(tmp_path):
    data = json.loads(DEMO[0].read_text(encoding="utf-8"))
    data["dataset"]["revision"] = "demo-ffffffffffffffff"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data), encoding="utf-8")
    outcome = CliRunner().invoke(cli, ["bench", "explain", str(DEMO[1]), str(other), "-o", str(tmp_path / "o")])
    assert outcome.exit_code != 0
    assert "different data" in str(outcome.exception)


def test_xtd10_results_without_a_source_show_ranks_and_upstream_links(tmp_path):
    out = tmp_path / "muse"
    outcome = CliRunner().invoke(cli, ["bench", "explain", str(RESULTS / "muse.json"), "-o", str(out), "--no-plots"])
    assert outcome.exit_code == 0, outcome.output
    assert "give the caption source" in outcome.output
    hardest = list(csv.DictReader((out / "hardest.csv").open(encoding="utf-8")))
    page = (out / "index.html").read_text(encoding="utf-8")
    first = hardest[0]
    assert upstream_line_url(first["language"], int(first["image"])) in page


@pytest.mark.slow
@pytest.mark.integration
def test_images_become_thumbnails_beside_the_page(real_source, tmp_path):
    from PIL import Image

    from xtd10.data import read_images, resolve_source

    folder = tmp_path / "coco"
    folder.mkdir()
    names = [entry.file_name for entry in read_images(resolve_source(real_source))]
    for number, name in enumerate(names):  # stand-ins: one flat colour per image
        Image.new("RGB", (64, 48), (number % 256, (number * 7) % 256, 90)).save(folder / name, format="JPEG")
    out = tmp_path / "view"
    outcome = CliRunner().invoke(cli, ["bench", "explain", str(RESULTS / "muse.json"), "--source", str(real_source),
                                       "--images", str(folder), "-o", str(out), "--no-plots", "--max-images", "3"])
    assert outcome.exit_code == 0, outcome.output
    thumbs = sorted(p.name for p in (out / "images").iterdir())
    assert len(thumbs) == len(names) and thumbs[0] == "0000.jpg"
    with Image.open(out / "images" / "0569.jpg") as thumb:
        assert thumb.getpixel((5, 5))[0] == pytest.approx(569 % 256, abs=8)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<img class="thumb" src="images/0000.jpg" alt="image 0">' in page


@pytest.mark.parametrize("name", ["summary.csv", "index.html", "plots/ranks.png"])
def test_explain_refuses_an_input_it_would_overwrite(tmp_path, name):
    committed = Path(__file__).resolve().parents[2] / "leaderboards" / "results" / "random.xtd10-demo.json"
    out = tmp_path / "view"
    victim = out / name
    victim.parent.mkdir(parents=True)
    victim.write_bytes(committed.read_bytes())  # a result file that happens to lie where a view file goes
    outcome = CliRunner().invoke(cli, ["bench", "explain", str(victim), "-o", str(out), "--no-captions"])
    assert outcome.exit_code != 0
    assert "choose another path" in str(outcome.exception)
    assert victim.read_bytes() == committed.read_bytes()
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [name]
