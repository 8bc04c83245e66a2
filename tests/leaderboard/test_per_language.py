"""Boards with 201 languages: means per group in README.md, a long table on the page.

The expected means are computed here from the generated result files and the language
table, independently of the leaderboard's own grouping code.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from tests.leaderboard.leaderboard_factories import result_dict, write_json
from xtd10.languages import TABLE_FILE, table_row
from xtd10.leaderboard import build_leaderboard
from xtd10.schema import FLICKR30K_200, XTD200

MODELS = (("muse", "mUSE v3"), ("e5-small", "multilingual-e5-small"))


def trained_languages(spec: str) -> set[str]:
    """The tags whose ``trained`` cell of the committed language table names ``spec``: the
    reference the marks are checked against, read from the file rather than from the code."""
    lines = [line for line in TABLE_FILE.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    header = lines[0].split("\t")
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
    return {row["tag"] for row in rows if spec in row["trained"].split()}


def _write_family(results: Path) -> dict[tuple[str, str], dict]:
    """Text-track results of both models on XTD200 and Flickr30k-200 (all 201 languages)."""
    written = {}
    for seed, (descriptor, (spec, name)) in enumerate(
            [(d, m) for d in (XTD200, FLICKR30K_200) for m in MODELS], start=10):
        data = result_dict(spec, name, seed=seed, dataset=descriptor.name, revision=descriptor.revision,
                           languages=descriptor.languages, tracks=("text",), subsets=("all",))
        write_json(results / f"{spec}.{descriptor.name}.json", data)
        written[(descriptor.name, spec)] = data
    return written


@pytest.fixture(scope="module")
def family(tmp_path_factory) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("family")
    data = _write_family(root / "results")
    write_json(root / "results" / "muse.json", result_dict("muse", "mUSE v3", seed=1, tracks=("text",)))
    build_leaderboard(root / "out", root / "results", None, plots=False, failures=False)
    return root / "out", data


def _values(data: dict, direction: str, metric: str) -> dict[str, float]:
    return {m["language"]: m["value"] * 100 for m in data["metrics"]
            if (m["direction"], m["metric"], m["subset"]) == (direction, metric, "all")
            and m["language"] not in ("avg", "avg_non_en")}


def _mean(values: list[float]) -> str:
    return f"{sum(values) / len(values):.1f}"


def _section(readme: str, title: str) -> str:
    start = readme.index(f"### {title} (revision")
    return readme[start:readme.index("\n### ", start + 1)]


def test_readme_shows_means_over_groups_not_a_column_per_language(family):
    out, data = family
    readme = (out / "README.md").read_text(encoding="utf-8")
    # no table row anywhere is as wide as 201 languages: at most the XTD10 tables' columns
    assert max(line.count("|") for line in readme.splitlines()) < 20
    section = _section(readme, "XTD200")
    heading = "#### R@1, mean over languages: Text track, caption in language → English caption, all 1000 images"
    assert heading in section
    table = section[section.index(heading):].split("\n\n")[1].splitlines()
    head = [c.strip() for c in table[0].strip("|").split("|")]
    scored = [code for code in XTD200.languages if code != "en"]
    by_script: dict[str, list[str]] = {}
    for code in scored:
        by_script.setdefault(table_row(code).script, []).append(code)
    big = sorted((s for s, codes in by_script.items() if len(codes) >= 5), key=lambda s: -len(by_script[s]))
    assert big == ["Latn", "Arab", "Cyrl", "Deva"]
    other = [c for s, codes in by_script.items() if s not in big for c in codes]
    xtd10 = [c for c in scored if table_row(c).xtd10]
    assert len(xtd10) == 10
    expected_head = ["#", "model", "encoder spec", f"all languages ({len(scored)})",
                     *(f"{s} ({len(by_script[s])})" for s in big), f"other scripts ({len(other)})",
                     "XTD10 languages (10)", "encoder trained on", "not trained on"]
    assert head == expected_head
    for line in table[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        spec = re.sub(r"</?code>", "", cells[2])
        values = _values(data[("xtd200", spec)], "x2en", "R@1")
        trained = trained_languages(spec)
        groups = [scored, *(by_script[s] for s in big), other, xtd10]
        assert cells[3:3 + len(groups)] == [_mean([values[c] for c in g]) for g in groups]
        yes = [c for c in scored if c in trained]
        no = [c for c in scored if c not in trained]
        assert cells[-2:] == [f"{_mean([values[c] for c in yes])} ({len(yes)})",
                              f"{_mean([values[c] for c in no])} ({len(no)})"]
    # ranked by the mean over all languages
    means = [float(line.strip("|").split("|")[3]) for line in table[2:]]
    assert means == sorted(means, reverse=True)
    # the headline metric of the descriptor (R@10) gets its own tables; XTD10 keeps its wide ones
    assert f"#### {XTD200.headline_metric}, mean over languages" in section
    assert "| # | model | encoder spec | de | es | fr | it | ja | ko | pl | ru | tr | zh | avg |" in readme
    assert "Flickr30k-200" in readme and "#### R@1, mean over languages" in _section(readme, "Flickr30k-200")


def test_page_has_a_long_table_per_dataset_marking_untrained_languages(family):
    out, _ = family
    html = (out / "index.html").read_text(encoding="utf-8")
    for table_id, descriptor in (("lang-xtd200", XTD200), ("lang-flickr30k-200", FLICKR30K_200)):
        body = html[html.index(f'<table class="sortable" id="{table_id}">'):]
        body = body[:body.index("</table>")]
        rows = re.findall(r'<tr data-text="[^"]*" data-script="([^"]*)" data-model="([^"]*)" '
                          r'data-direction="([^"]*)" data-trained="([^"]*)"><td><code>([^<]*)</code>', body)
        assert len(rows) == 200 * 2 * 2  # languages but English x models x directions
        for script, spec, _direction, trained, tag in rows:
            assert tag in descriptor.languages
            expected = "yes" if tag in trained_languages(spec) else "no"
            assert trained == expected
            assert script.split("|")[0] == table_row(tag).script
        assert f"{descriptor.title} (revision {descriptor.revision}): per language" in html
    # the wide measured table holds XTD10 only: no column per XTD200 language
    measured = html[html.index('id="measured"'):]
    measured = measured[:measured.index("</table>")]
    assert ">ace-Arab<" not in measured and ">de<" in measured
    # the filters of a long table name it; the page's filter bar names the main tables
    assert 'data-filter="script" data-tables="lang-xtd200"' in html
    assert 'data-filter="text" data-tables="measured reported"' in html


def test_csv_keeps_the_dataset_spelling_of_language_tags(family):
    out, _ = family
    csv = pd.read_csv(out / "leaderboard.csv")
    xtd200 = set(csv.loc[csv["dataset"] == "xtd200", "language"])
    assert {"zh-Hans", "zh-Hant", "ar", "ace-Arab"} <= xtd200 and "zh" not in xtd200
    assert "zh" in set(csv.loc[csv["dataset"] == "xtd10", "language"])
