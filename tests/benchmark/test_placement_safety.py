"""Placing a result never loses one: another model whose spec gives the same file name gets
a name of its own, each unmergeable run keeps its own file in ``unmerged/``, and two
processes saving into one file at once both keep their languages."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.benchmark.fakes import CountingEncoder
from xtd10.benchmark import evaluate
from xtd10.benchmark.placement import BESIDE_FOLDER, save_result
from xtd10.schema import Result

REPO = Path(__file__).resolve().parents[2]


def scored(demo_truth, spec: str, languages: str, *, revision: str = "v1", bootstrap: int = 0) -> Result:
    encoder = CountingEncoder(*demo_truth, spec=spec, revision=revision)
    return evaluate(encoder, dataset="demo", languages=languages, tracks="text", bootstrap=bootstrap,
                    cache=False, progress=False)


def test_two_models_with_one_file_name_are_both_kept(demo_truth, tmp_path):
    first, second = scored(demo_truth, "hf:/m/A", "es,de"), scored(demo_truth, "hf:/m/a", "es,de")
    target = tmp_path / "hf-m-a.xtd10-demo.json"
    save_result(first, target)
    placed = save_result(second, target)
    # results name a local model by its folder (hf:<path>/A), and the two folders differ in case
    assert Result.load(target).encoder["spec"] == "hf:<path>/A"  # the first model's file is untouched
    assert placed.path != target and placed.path.parent == tmp_path
    assert Result.load(placed.path).encoder["spec"] == "hf:<path>/a"
    assert "holds another encoder, hf:<path>/A" in placed.describe()
    # the same second model again lands on its own file, not on the first one's
    again = save_result(scored(demo_truth, "hf:/m/a", "es,de"), target)
    assert again.path == placed.path and Result.load(target).encoder["spec"] == "hf:<path>/A"


def test_another_revision_of_a_model_does_not_replace_its_result(demo_truth, tmp_path):
    target = tmp_path / "fake.json"
    save_result(scored(demo_truth, "fake:model", "es,de", revision="weights-1"), target)
    before = target.read_bytes()
    placed = save_result(scored(demo_truth, "fake:model", "es,de", revision="weights-2"), target)
    assert target.read_bytes() == before
    assert placed.path.parent == tmp_path / BESIDE_FOLDER and "revision weights-1" in placed.describe()


def test_every_unmergeable_run_keeps_its_own_file(demo_truth, tmp_path):
    target = tmp_path / "fake.json"
    save_result(scored(demo_truth, "fake:model", "es,de,fr", bootstrap=0), target)
    written = [save_result(scored(demo_truth, "fake:model", "es", bootstrap=b), target).path for b in (20, 30, 40)]
    assert len(set(written)) == 3 and all(p.parent == tmp_path / BESIDE_FOLDER for p in written)
    assert [Result.load(p).config["bootstrap"] for p in written] == [20, 30, 40]
    assert sorted(p.name for p in (tmp_path / BESIDE_FOLDER).iterdir()) == sorted(p.name for p in written)


def test_a_result_on_other_data_is_not_replaced_by_one_with_the_same_cells(demo_truth, tmp_path):
    # the cells (track, direction, language, subset) are the same, the numbers are of other data
    target = tmp_path / "fake.json"
    other_data = scored(demo_truth, "fake:model", "es,de")
    other_data.dataset["name"] = "xtd10"
    save_result(other_data, target)
    before = target.read_bytes()
    placed = save_result(scored(demo_truth, "fake:model", "es,de"), target)
    assert target.read_bytes() == before
    assert placed.path.parent == tmp_path / BESIDE_FOLDER and "xtd10" in placed.describe()


SAVER = textwrap.dedent("""
    import sys, time
    import xtd10.benchmark.placement as placement
    from xtd10.schema import Result

    slow = placement.merge_results
    def merge_slowly(old, new):  # widen the window between reading the file and writing it
        time.sleep(1.5)
        return slow(old, new)
    placement.merge_results = merge_slowly
    print(placement.save_result(Result.load(sys.argv[1]), sys.argv[2]).describe())
""")


def test_two_processes_merging_into_one_file_keep_both_languages(demo_truth, tmp_path):
    target = tmp_path / "fake.json"
    save_result(scored(demo_truth, "fake:model", "fr"), target)
    runs = {}
    for code in ("es", "de"):
        runs[code] = scored(demo_truth, "fake:model", code).save(tmp_path / f"{code}.json")
    script = tmp_path / "saver.py"
    script.write_text(SAVER, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [subprocess.Popen([sys.executable, str(script), str(runs[code]), str(target)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for code in runs]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    assert all("merged into" in out for out, _ in outputs), outputs
    assert sorted(Result.load(target).dataset["languages"]) == ["de", "es", "fr"]
    assert not (tmp_path / BESIDE_FOLDER).exists()
