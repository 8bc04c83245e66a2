"""The GPU check script runs on CPU at a tiny scale and reports what it promises."""

from __future__ import annotations

import json

from tests.benchmark_scripts.scripts import loaded_script


def test_speed_script_reports_pairs_per_second_and_memory(capsys):
    with loaded_script("speed/bench_baseline_gpu.py") as module:
        assert module.main(["--device", "cpu", "--scale", "0.001", "--batch-size", "128", "--loss", "patr"]) == 0
    report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert report["captions"] == int(module.COCO_CAPTIONS * 0.001)
    assert report["pairs_per_second"] > 0 and report["peak_memory_kind"] == "peak_rss"
    assert report["peak_memory_mib"] > 10
