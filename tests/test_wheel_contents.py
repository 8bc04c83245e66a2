"""What the release ships: the wheel, built through the sdist as a release builds it, holds
every module of the package, every data file beside them, and the repository's
``crowdsourcing/`` folder (the one copy of the language settings, the task page and the
guidelines) as ``xtd10/_crowdsourcing/``. The package list in ``pyproject.toml`` is written
out, so a new subpackage left out of it fails here rather than in a user's install."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA_SUFFIXES = {".json", ".yaml", ".txt", ".html", ".md", ".tsv"}


def _build(outdir: Path) -> tuple[Path, Path]:
    """The sdist and the wheel built from it. With a setuptools that writes wheels itself
    (70.1+) in this environment the build runs here, in a few seconds; else in an isolated one."""
    isolated = importlib.util.find_spec("setuptools.command.bdist_wheel") is None
    command = [sys.executable, "-m", "build", "--outdir", str(outdir), str(REPO)]
    if not isolated:
        command[3:3] = ["--no-isolation", "--skip-dependency-check"]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return next(outdir.glob("xtd10-*.tar.gz")), next(outdir.glob("xtd10-*.whl"))


def _expected() -> set[str]:
    """The files an installed package needs, from the checkout."""
    tracked = subprocess.run(["git", "ls-files", "xtd10", "crowdsourcing"], cwd=REPO, capture_output=True,
                             text=True)
    if tracked.returncode != 0:
        pytest.fail(f"git ls-files failed in the checkout: {tracked.stderr.strip()}")
    wanted = set()
    for name in tracked.stdout.splitlines():
        path = Path(name)
        if path.suffix != ".py" and path.suffix not in DATA_SUFFIXES:
            continue
        if path.parts[0] == "crowdsourcing":
            wanted.add(str(Path("xtd10", "_crowdsourcing", *path.parts[1:])))
        else:
            wanted.add(name)
    return wanted


def test_the_wheel_built_from_the_sdist_ships_every_module_and_the_crowdsourcing_folder(tmp_path):
    sdist, wheel = _build(tmp_path)
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if not n.startswith("xtd10-")}
    expected = _expected()
    assert expected - shipped == set(), "missing from the wheel (add the package to pyproject.toml's list)"
    crowd = sorted(n for n in shipped if n.startswith("xtd10/_crowdsourcing/"))
    assert "xtd10/_crowdsourcing/templates/task.html" in crowd
    assert "xtd10/_crowdsourcing/guidelines/translation.md" in crowd
    assert "xtd10/_crowdsourcing/languages/de.yaml" in crowd
    # one copy: nothing of crowdsourcing/ is also kept under the package's own folders
    names = {Path(n).name for n in crowd}
    assert not [n for n in shipped if n.startswith("xtd10/crowd/") and Path(n).name in names]
    with tarfile.open(sdist) as archive:
        in_sdist = {m.name.split("/", 1)[1] for m in archive.getmembers() if "/" in m.name}
    assert {"crowdsourcing/templates/task.html", "crowdsourcing/languages/de.yaml"} <= in_sdist


def test_no_file_of_crowdsourcing_has_a_copy_inside_the_package_sources():
    shipped = {p.read_bytes(): p for p in (REPO / "crowdsourcing").rglob("*") if p.is_file()}
    copies = [f"{p.relative_to(REPO)} = {shipped[p.read_bytes()].relative_to(REPO)}"
              for p in (REPO / "xtd10").rglob("*") if p.is_file() and p.read_bytes() in shipped]
    assert copies == []
