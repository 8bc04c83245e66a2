"""The README's two commands: the first install says what it installs and roughly how long
it takes before pip starts (pip itself runs quietly)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_the_install_recipe_announces_itself_before_pip_runs():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # -n prints the recipe without running it; a fresh VENV path makes the install step due
    recipe = subprocess.run(["make", "-n", "run", "VENV=/nonexistent-venv"], cwd=REPO, capture_output=True,
                            text=True, check=True).stdout.splitlines()
    announce = next(i for i, line in enumerate(recipe) if line.startswith("echo \"Installing the toolkit"))
    first_pip = next(i for i, line in enumerate(recipe) if "pip install" in line)
    assert announce < first_pip
    assert "about 5 minutes" in recipe[announce] and "constraints.txt" in recipe[announce]
