"""``xtd10 leaderboard verify``: every committed result verifies, a fresh run verifies, and
one edited number or rank is refused with a line naming the file and the cell."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from xtd10.cli import cli
from xtd10.data.upstream import UPSTREAM_SHA256

REPO = Path(__file__).resolve().parents[2]
COMMITTED = sorted((REPO / "leaderboards" / "results").glob("*.json"))


def verify(*args: str):
    return CliRunner().invoke(cli, ["leaderboard", "verify", *args])


def load(name: str) -> dict:
    return json.loads((REPO / "leaderboards" / "results" / name).read_text(encoding="utf-8"))


def save(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def row_index(data: dict, track: str, direction: str, language: str, subset: str, metric: str) -> int:
    for number, row in enumerate(data["metrics"]):
        if (row["track"], row["direction"], row["language"], row["subset"], row["metric"]) == (
                track, direction, language, subset, metric):
            return number
    raise KeyError(metric)


def test_every_committed_result_verifies():
    assert COMMITTED, "no committed result files"
    outcome = verify(*map(str, COMMITTED))
    assert outcome.exit_code == 0, outcome.output
    for path in COMMITTED:
        assert re.search(rf"{re.escape(str(path))}: ok, \d+ metric rows recomputed", outcome.output)


def test_stored_recall_equals_an_independent_computation_from_the_ranks():
    # what verify relies on, checked without the harness: R@1 is the share of rank-1 queries
    data = load("muse.json")
    entry = next(e for e in data["per_query"] if (e["direction"], e["language"], e["subset"]) == ("x2en", "ja", "all"))
    stored = data["metrics"][row_index(data, "text", "x2en", "ja", "all", "R@1")]["value"]
    assert stored == pytest.approx(float(np.mean(np.asarray(entry["ranks"]) == 1)), abs=1e-9)


def test_one_metric_edited_by_a_thousandth_is_refused_naming_the_cell(tmp_path):
    data = load("muse.json")
    data["metrics"][row_index(data, "text", "x2en", "de", "all", "R@5")]["value"] += 0.001
    path = save(tmp_path / "muse.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    assert f"{path}: text/x2en/de/all/R@5: value is" in outcome.output
    # the language average no longer matches either, and is named too
    assert f"{path}: text/x2en/avg/all/R@5: value" in outcome.output


def test_one_interval_bound_edited_is_refused(tmp_path):
    data = load("e5-small.json")
    data["metrics"][row_index(data, "text", "en2x", "ko", "val2014", "R@10")]["ci_high"] -= 0.001
    path = save(tmp_path / "e5.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    lines = [line for line in outcome.stdout.splitlines() if line.startswith(str(path))]
    assert lines == [f"{path}: text/en2x/ko/val2014/R@10: ci_high is "
                     f"{data['metrics'][row_index(data, 'text', 'en2x', 'ko', 'val2014', 'R@10')]['ci_high']!r}, "
                     f"the per-query ranks give "
                     f"{load('e5-small.json')['metrics'][row_index(data, 'text', 'en2x', 'ko', 'val2014', 'R@10')]['ci_high']!r}"]


def test_one_rank_edited_is_refused_naming_the_cell(tmp_path):
    data = load("muse.json")
    entry = next(e for e in data["per_query"] if (e["direction"], e["language"], e["subset"]) == ("en2x", "fr", "all"))
    stored = data["metrics"][row_index(data, "text", "en2x", "fr", "all", "R@1")]["value"]
    first_hit = entry["ranks"].index(1)
    entry["ranks"][first_hit] = 2
    recomputed = sum(rank == 1 for rank in entry["ranks"]) / len(entry["ranks"])  # R@1 from the edited ranks
    path = save(tmp_path / "muse.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    assert f"{path}: text/en2x/fr/all/R@1: value is {stored:g}, the per-query ranks give {recomputed:g}" \
        in outcome.output


def test_a_rank_beyond_the_gallery_is_refused(tmp_path):
    data = load("random.json")
    entry = data["per_query"][0]
    entry["ranks"][0] = 1001
    path = save(tmp_path / "random.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    assert "rank 1001 is beyond the gallery of 1000 items" in outcome.output


def test_a_caption_file_hash_that_is_not_upstream_is_refused(tmp_path):
    data = load("muse.json")
    data["dataset"]["file_sha256"]["MIC/test_1kcaptions_de.txt"] = hashlib.sha256(b"edited").hexdigest()
    path = save(tmp_path / "muse.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    assert f"{path}: dataset.file_sha256[MIC/test_1kcaptions_de.txt]: sha256" in outcome.output
    assert UPSTREAM_SHA256["MIC/test_1kcaptions_de.txt"][:12] in outcome.output


def test_a_local_revision_needs_its_promoted_source(tmp_path):
    data = load("muse.json")
    hashes = dict(data["dataset"]["file_sha256"])
    hashes["XTD10/test_1kcaptions_es.txt"] = hashlib.sha256(b"other").hexdigest()
    joined = "\n".join(f"{rel} {digest}" for rel, digest in sorted(hashes.items()))
    data["dataset"]["file_sha256"] = hashes
    data["dataset"]["revision"] = "local-" + hashlib.sha256(joined.encode()).hexdigest()[:16]
    path = save(tmp_path / "local.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    assert f"{path}: dataset.revision: {data['dataset']['revision']} is not the pinned upstream" in outcome.output
    # a folder without languages.json is not a declared promoted dataset
    plain = tmp_path / "plain"
    plain.mkdir()
    outcome = verify(str(path), "--source", str(plain))
    assert "declares no languages (languages.json missing)" in outcome.output
    # a revision that does not match the hashes it lists is named as such
    data["dataset"]["revision"] = "local-0000000000000000"
    outcome = verify(str(save(tmp_path / "local.json", data)))
    assert "local-0000000000000000 does not match the file hashes it lists" in outcome.output


def test_promoted_source_with_matching_files_verifies(tmp_path):
    data = load("muse.json")
    source = tmp_path / "promoted"
    hashes = {}
    for rel in data["dataset"]["file_sha256"]:
        target = source / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f"stand-in for {rel}\n".encode())
        hashes[rel] = hashlib.sha256(target.read_bytes()).hexdigest()
    (source / "languages.json").write_text("[]", encoding="utf-8")
    joined = "\n".join(f"{rel} {digest}" for rel, digest in sorted(hashes.items()))
    data["dataset"].update(file_sha256=hashes, revision="local-" + hashlib.sha256(joined.encode()).hexdigest()[:16])
    path = save(tmp_path / "promoted.json", data)
    assert verify(str(path), "--source", str(source)).exit_code == 0
    (source / "XTD10" / "test_1kcaptions_it.txt").write_bytes(b"changed after scoring\n")
    outcome = verify(str(path), "--source", str(source))
    assert outcome.exit_code == 1
    assert "dataset.file_sha256[XTD10/test_1kcaptions_it.txt]" in outcome.output


def test_without_ranks_a_file_is_unverified_but_its_aggregates_are_checked(tmp_path):
    data = load("random.json")
    data.pop("per_query")
    path = save(tmp_path / "old.json", data)
    outcome = verify(str(path))
    assert outcome.exit_code == 0
    assert "unverified" in outcome.output
    assert verify(str(path), "--require-ranks").exit_code == 1
    broken = copy.deepcopy(data)
    broken["metrics"][row_index(broken, "text", "x2en", "avg_non_en", "all", "MeanR")]["value"] += 1.0
    outcome = verify(str(save(tmp_path / "old.json", broken)))
    assert outcome.exit_code == 1
    assert "text/x2en/avg_non_en/all/MeanR: value" in outcome.output
    assert "is not the mean of its 10 languages" in outcome.output


def test_an_unreadable_file_is_one_schema_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"schema": "xtd10.result", "schema_version": 1', encoding="utf-8")
    outcome = verify(str(path))
    assert outcome.exit_code == 1
    lines = [line for line in outcome.output.splitlines() if line.startswith(str(path))]
    assert len(lines) == 1 and lines[0].startswith(f"{path}: schema:")
    assert "Traceback" not in outcome.output


@pytest.mark.parametrize("model", ["random", "offline-labels"])
def test_a_fresh_bench_run_verifies(tmp_path, model):
    out = tmp_path / f"{model}.json"
    run = CliRunner().invoke(cli, ["bench", "run", "--model", model, "--dataset", "demo", "--bootstrap", "200",
                                   "--seed", "3", "--no-cache", "--out", str(out)])
    assert run.exit_code == 0, run.output
    outcome = verify(str(out))
    assert outcome.exit_code == 0, outcome.output
    assert "metric rows recomputed" in outcome.output


def test_the_leaderboard_marks_results_without_ranks_as_unverified(tmp_path):
    from xtd10.leaderboard import build_leaderboard

    results = tmp_path / "results"
    results.mkdir()
    ranked = load("random.xtd10-demo.json")
    save(results / "random.xtd10-demo.json", ranked)
    old = load("offline-labels.xtd10-demo.json")
    old.pop("per_query")
    save(results / "offline-labels.xtd10-demo.json", old)
    build_leaderboard(tmp_path / "out", results, None, plots=False)
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    rows = {line.split(" | ")[4]: line for line in readme.splitlines() if ".xtd10-demo.json</code>" in line}
    assert rows["<code>offline-labels.xtd10-demo.json</code>"].endswith("| unverified |")
    assert rows["<code>random.xtd10-demo.json</code>"].endswith("| per-query ranks |")
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    rows_html = [r for r in page.split("<tr ") if "<td>" in r and "data-dataset=" in r]
    offline = [r for r in rows_html if old["encoder"]["name"] in r]
    randoms = [r for r in rows_html if ranked["encoder"]["name"] in r]
    assert offline and all('class="badge unverified"' in r and "failures/" not in r for r in offline)
    assert randoms and all('class="badge unverified"' not in r for r in randoms)
    assert all('href="failures/random.xtd10-demo/index.html"' in r for r in randoms)
    assert not (tmp_path / "out" / "failures" / "offline-labels.xtd10-demo").exists()
