"""Human vs machine translation: one encoder's XTD10 and XTD200 results side by side.

Synthetic results carry known per-query ranks, so every value and difference is known in
advance, and each p-value is checked against an exact enumeration of all swaps of a tiny
set of queries. One real-data test scores mUSE on XTD200 and pairs it with the committed
XTD10 result.
"""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from xtd10.benchmark import Result
from xtd10.benchmark.comparison import paired_permutation
from xtd10.benchmark.metrics import metrics_from_stats
from xtd10.benchmark.result import per_query_entry
from xtd10.benchmark.translation_gap import TranslationGapError, translation_gap
from xtd10.cli import cli
from xtd10.schema import XTD10, XTD200, QueryStats, ndcg_from_single_ranks

REPO = Path(__file__).resolve().parents[2]
DIRECTIONS = ("x2en", "en2x")


def stats(ranks) -> QueryStats:
    ranks = np.asarray(ranks, dtype=np.int64)
    return QueryStats(ranks, ndcg_from_single_ranks(ranks))


def make_result(dataset: str, ranks: dict[str, list[int]], spec: str = "fake:enc", image_sums: str | None = None,
                subset: str = "all") -> Result:
    """A valid text-track result whose per-query ranks are ``ranks[language]`` (same ranks in both directions
    but reversed for en2x, so the directions differ)."""
    metrics, per_query = [], []
    for language, values in ranks.items():
        for direction in DIRECTIONS:
            cell_stats = stats(values if direction == "x2en" else values[::-1])
            cell = ("text", direction, language, subset)
            for metric, value in metrics_from_stats(cell_stats).items():
                metrics.append({"track": "text", "direction": direction, "language": language, "subset": subset,
                                "metric": metric, "value": value, "ci_low": None, "ci_high": None,
                                "n_queries": len(values)})
            per_query.append(per_query_entry(cell, cell_stats))
    descriptor = {"xtd10": XTD10, "xtd200": XTD200}.get(dataset)
    data = {"name": dataset, "revision": descriptor.revision if descriptor else "r1",
            "languages": list(ranks)}
    if image_sums is not None and descriptor is not None:
        data["file_sha256"] = {descriptor.image_list: image_sums}
    return Result.from_dict({"schema": "xtd10.result", "schema_version": 1, "dataset": data,
                             "encoder": {"spec": spec, "revision": "1.0"},
                             "config": {"tracks": ["text"], "subsets": [subset], "bootstrap": 0, "ks": [1, 5, 10]},
                             "metrics": metrics, "per_query": per_query})


def exact_p(a: np.ndarray, b: np.ndarray, k: int = 1) -> float:
    """The two-sided p-value of the swap test over all 2^n swaps (an independent reference)."""
    observed = abs(np.mean(b <= k) - np.mean(a <= k))
    extreme = 0
    for swaps in itertools.product((False, True), repeat=len(a)):
        mask = np.array(swaps)
        a2, b2 = np.where(mask, b, a), np.where(mask, a, b)
        extreme += abs(np.mean(b2 <= k) - np.mean(a2 <= k)) >= observed - 1e-12
    return extreme / 2 ** len(a)


HUMAN = {"en": [1, 1, 1, 1, 1, 1, 1, 1], "de": [1, 2, 1, 3, 1, 1, 4, 1], "ja": [5, 9, 2, 1, 7, 3, 8, 6],
         "zh": [1, 1, 2, 1, 1, 1, 1, 2]}
MACHINE = {"en": [1, 1, 1, 1, 1, 1, 1, 1], "de": [1, 1, 1, 1, 1, 1, 2, 1], "ja": [1, 1, 1, 2, 1, 1, 1, 1],
           "zh-Hans": [1, 1, 1, 1, 1, 1, 1, 1], "ar": [2, 2, 2, 2, 2, 2, 2, 2]}


def test_values_and_differences_come_from_the_ranks_of_the_shared_languages():
    table = translation_gap(make_result("xtd10", HUMAN), make_result("xtd200", MACHINE), metrics=["R@1", "MeanR"],
                            n_permutations=200)
    assert list(dict.fromkeys(table["language"])) == ["de", "ja", "zh"]  # English and Arabic are not shared pairs
    assert dict(zip(table["language"], table["tag"], strict=True))["zh"] == "zh-Hans"
    assert set(table["direction"]) == set(DIRECTIONS) and set(table["n_queries"]) == {8}
    for row in table.itertuples():
        human = np.asarray(HUMAN[row.language])
        machine = np.asarray(MACHINE[row.tag])
        if row.direction == "en2x":
            human, machine = human[::-1], machine[::-1]
        reference = (lambda r: np.mean(r <= 1)) if row.metric == "R@1" else np.mean
        assert row.xtd10 == pytest.approx(reference(human)) and row.xtd200 == pytest.approx(reference(machine))
        assert row.diff == pytest.approx(reference(machine) - reference(human))
    zh = table[(table.language == "zh") & (table.metric == "R@1") & (table.direction == "x2en")].iloc[0]
    assert zh["diff"] == pytest.approx(0.25)  # 6/8 -> 8/8: the machine-translated set flatters the model


def test_japanese_is_marked_written_independently_from_the_descriptor():
    table = translation_gap(make_result("xtd10", HUMAN), make_result("xtd200", MACHINE), n_permutations=50)
    independent = dict(zip(table["language"], table["independent"], strict=True))
    assert independent == {code: code in XTD10.independent for code in ("de", "ja", "zh")}
    assert independent["ja"] and not independent["de"]
    origins = dict(zip(table["language"], table["xtd10_captions"], strict=True))
    assert "independent" in origins["ja"] and "translation" in origins["de"]
    assert set(table["xtd200_captions"]) == {"machine translation (NLLB-200)"}


def test_p_values_equal_exact_enumeration_of_every_swap():
    table = translation_gap(make_result("xtd10", HUMAN), make_result("xtd200", MACHINE), metrics=["R@1"],
                            n_permutations=40000, seed=5)
    for row in table.itertuples():
        human = np.asarray(HUMAN[row.language])
        machine = np.asarray(MACHINE[row.tag])
        if row.direction == "en2x":
            human, machine = human[::-1], machine[::-1]
        exact = exact_p(human, machine)
        # Monte Carlo with the +1 correction: within 4 standard errors of the exact value
        assert row.p_value == pytest.approx(exact, abs=4 * np.sqrt(0.25 / 40000) + 1 / 40001), row
    # by hand: zh differs on 2 queries, both in the machine's favour; of the 4 ways to swap
    # them, 2 give a difference as large -> p = 1/2. Japanese differs on all 8 (7 for the
    # machine, 1 against): |sum of 8 signs| >= 6 in 2 * (1 + 8) of 256 swaps.
    assert exact_p(np.asarray(HUMAN["zh"]), np.asarray(MACHINE["zh-Hans"])) == 0.5
    assert exact_p(np.asarray(HUMAN["ja"]), np.asarray(MACHINE["ja"])) == 18 / 256


def test_the_test_is_the_one_bench_compare_uses():
    table = translation_gap(make_result("xtd10", HUMAN), make_result("xtd200", MACHINE), metrics=["R@1"],
                            n_permutations=300, seed=7)
    row = table[(table.language == "de") & (table.direction == "x2en")].iloc[0]
    expected = paired_permutation(stats(HUMAN["de"]), stats(MACHINE["de"]), ["R@1"], 300, 7)["R@1"]
    assert (row["xtd10"], row["xtd200"], row["diff"], row["p_value"]) == expected


def test_either_order_gives_the_same_table():
    human, machine = make_result("xtd10", HUMAN), make_result("xtd200", MACHINE)
    one = translation_gap(human, machine, n_permutations=100)
    other = translation_gap(machine, human, n_permutations=100)
    assert one.equals(other)


@pytest.mark.parametrize("first, second, message", [
    (make_result("xtd10", HUMAN), make_result("xtd200", MACHINE, spec="fake:other"), "different encoders"),
    (make_result("xtd10", HUMAN), make_result("xtd10", HUMAN), "one result on xtd10 and one on xtd200"),
    (make_result("xtd10", HUMAN), make_result("flickr30k-200", MACHINE), "one result on xtd10 and one on xtd200"),
    (make_result("xtd10", HUMAN), make_result("xtd200", {"en": [1, 1], "ar": [1, 2]}), "share no non-English"),
    (make_result("xtd10", HUMAN, image_sums="a" * 64), make_result("xtd200", MACHINE, image_sums="b" * 64),
     "different image lists"),
    (make_result("xtd10", HUMAN), make_result("xtd200", {"de": [1, 1, 1]}), "cannot be paired"),
])
def test_refusals_are_one_line(first, second, message):
    with pytest.raises(TranslationGapError, match=message) as caught:
        translation_gap(first, second, n_permutations=10)
    assert "\n" not in str(caught.value)


def test_cli_prints_the_table_the_japanese_note_and_writes_guarded_csv_and_markdown(tmp_path):
    human = make_result("xtd10", HUMAN).save(tmp_path / "enc.json")
    machine = make_result("xtd200", MACHINE).save(tmp_path / "enc.xtd200.json")
    out_csv, out_md = tmp_path / "gap.csv", tmp_path / "gap.md"
    result = CliRunner().invoke(cli, ["bench", "translation-gap", str(human), str(machine), "--permutations", "500",
                                      "--csv", str(out_csv), "--markdown", str(out_md)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "XTD10 human" in result.output and "XTD200 NLLB" in result.output
    assert "zh (zh-Hans)" in result.output and "Japanese †" in result.output
    assert "STAIR" in result.output and "not a translation" in result.output
    zh_line = next(line for line in result.output.splitlines() if line.startswith("zh (zh-Hans)"))
    words = zh_line.split()
    assert words[words.index("R@1") + 1:][:3] == ["75.0", "100.0", "+25.0"]  # x2en first: 6/8 -> 8/8
    rows = list(csv.DictReader(out_csv.read_text(encoding="utf-8").splitlines()))
    assert {r["metric"] for r in rows} == {"R@1"} and {r["language"] for r in rows} == {"de", "ja", "zh"}
    markdown = out_md.read_text(encoding="utf-8")
    assert "| zh (zh-Hans) | Chinese (Simplified) | R@1 | 75.0 | 100.0 | +25.0 |" in markdown
    assert "† ja (Japanese)" in markdown


def test_cli_refusal_is_one_line_without_traceback(tmp_path, capsys):
    from xtd10.cli import main

    human = make_result("xtd10", HUMAN).save(tmp_path / "a.json")
    other = make_result("xtd10", HUMAN).save(tmp_path / "b.json")
    with pytest.raises(SystemExit) as info:
        main(["bench", "translation-gap", str(human), str(other)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "one result on xtd10 and one on xtd200" in err


@pytest.mark.integration
@pytest.mark.slow
def test_muse_text_track_on_human_and_machine_translations(real_source, nllb_source, tmp_path):
    out = tmp_path / "muse.xtd200.json"
    languages = ",".join(["en", *(code for code in XTD10.languages if code != "en")])
    run = CliRunner().invoke(cli, ["bench", "run", "-m", "muse", "--dataset", "xtd200", "--source", str(nllb_source),
                                   "--track", "text", "--languages", languages, "--bootstrap", "0",
                                   "--out", str(out)], catch_exceptions=False)
    assert run.exit_code == 0, run.output
    committed = REPO / "leaderboards" / "results" / "muse.json"
    table = translation_gap(committed, out, metrics=["R@1"], n_permutations=1000)
    r1 = table[table.subset == "all"]
    assert sorted(set(r1.language)) == sorted(c for c in XTD10.languages if c != "en")
    assert len(r1) == 20 and set(r1.n_queries) == {1000}
    # the committed XTD10 numbers are the ones the table shows
    committed_values = {(m["direction"], m["language"]): m["value"] for m in json.loads(committed.read_text())["metrics"]
                        if m["subset"] == "all" and m["metric"] == "R@1" and m["track"] == "text"}
    for row in r1.itertuples():
        assert row.xtd10 == pytest.approx(committed_values[(row.direction, row.language)])
    # Japanese on XTD10 was written independently; NLLB's Japanese is a translation of the English caption
    ja = r1[r1.language == "ja"]
    assert (ja["diff"] > 0.5).all() and (ja.p_value < 0.01).all()
    # German and Chinese: NLLB's translations are easier to match to the English than the human ones
    for code in ("de", "zh"):
        rows = r1[r1.language == code]
        assert (rows["diff"] > 0).all() and (rows.p_value < 0.05).all(), rows
