"""Every script under ``benchmark/`` runs as its README says: each answers ``--help``, and
each runs end to end on its smallest input (scripts that need CLIP_benchmark, an open_clip
model or a GPU run the part that needs none of them). A script added without a run here
fails ``test_every_script_has_a_smoke_run``. Figures are not checked, only that the script
finishes and prints what it promises."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import real_source_dir

REPO = Path(__file__).resolve().parents[2]
BENCHMARK = REPO / "benchmark"

# script (relative to benchmark/) -> (arguments of its smallest run, a line fragment it prints,
# whether the run reads the real XTD10 caption files). "{source}" is their folder.
RUNS: dict[str, tuple[list[str], str, bool]] = {
    "speed/bench_scoring.py": (["--queries", "200", "--gallery", "1000", "--dim", "8", "--resamples", "10"],
                               "chunked 200 x 1000", False),
    "speed/bench_harness.py": (["--ms-per-item", "0", "--bootstrap", "10"], "cached re-run encoded 0 items: ok",
                               False),
    "speed/bench_ingest.py": (["--rows", "200"], '"rows_per_s"', False),
    # its tiny CPU run, with the figures it reports: test_bench_baseline_gpu.py
    "speed/bench_baseline_gpu.py": (["--help"], "--scale", False),
    "speed/bench_load.py": (["--source", "{source}", "--repeats", "1"], "languages: 11  rows: 11000", True),
    "speed/bench_crowd.py": (["--source", "{source}", "--rows", "300", "--rule-rows", "50", "--semantic", "0"],
                             '"semantic_refusal_rows_per_s"', True),
    "speed/bench_offline_text.py": (["--source", "{source}", "--per-language", "2", "--languages", "de",
                                     "--encoders", "muse"], "repeat run bit-identical", True),
    # the side-by-side needs CLIP_benchmark; its compute ratio needs neither tool
    "speed/bench_vs_clip_benchmark.py": (["--source", "{source}", "--compute-only", "--languages", "de",
                                          "--images", "10"], "compute ratio CLIP_benchmark / harness", True),
    # an open_clip model (minutes on a CPU): --help only
    "speed/bench_open_clip_towers.py": (["--help"], "--random ARCH", False),
    "calibration/calibrate_semantic.py": (["--source", "{source}", "--images", "20", "--encoder", "random"],
                                          "refusal check", True),
    "calibration/crowd_planted.py": (["--source", "{source}", "--workdir", "{tmp}/planted"], '"goals_met"', True),
    # a GPU and CLIP_benchmark: its argument check only
    "speed/gpu_check.sh": ([], "usage: gpu_check.sh SOURCE", False),
}


# runs that take more than a few seconds (a model or a tokenizer loads, or CLI commands run)
SLOW = {"speed/bench_offline_text.py", "speed/bench_vs_clip_benchmark.py", "calibration/crowd_planted.py"}


def _scripts() -> list[str]:
    return sorted(str(p.relative_to(BENCHMARK)) for p in BENCHMARK.rglob("*") if p.suffix in (".py", ".sh"))


def _run(script: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    command = ["bash"] if script.endswith(".sh") else [sys.executable]
    return subprocess.run([*command, str(BENCHMARK / script), *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_every_script_has_a_smoke_run():
    assert _scripts() == sorted(RUNS)


@pytest.mark.parametrize("script", sorted(s for s, run in RUNS.items() if s.endswith(".py") and run[0] != ["--help"]))
def test_the_script_answers_help(script, tmp_path):
    done = _run(script, ["--help"], tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "usage:" in done.stdout


@pytest.mark.parametrize("script", [pytest.param(s, marks=pytest.mark.slow) if s in SLOW else s for s in sorted(RUNS)])
def test_the_script_runs_on_its_smallest_input(script, tmp_path):
    args, promised, real_data = RUNS[script]
    source = real_source_dir()
    if real_data and source is None:
        from tests.conftest import REAL_DATA_SKIP

        pytest.skip(REAL_DATA_SKIP)
    args = [a.replace("{source}", str(source)).replace("{tmp}", str(tmp_path)) for a in args]
    done = _run(script, args, tmp_path)
    output = done.stdout + done.stderr
    if script.endswith(".sh"):
        assert done.returncode != 0 and promised in output, output[-3000:]
        return
    assert done.returncode == 0, output[-3000:]
    assert promised in output, output[-3000:]
