"""The layering contract in pyproject.toml covers every top-level module of the package,
so a new module cannot sit outside the layers unnoticed (`make test` runs lint-imports)."""

from __future__ import annotations

from pathlib import Path

import xtd10
from tests.installed import toml

tomllib = toml()

REPO = Path(__file__).resolve().parents[1]


def test_every_top_level_module_is_in_a_layer() -> None:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = config["tool"]["importlinter"]["contracts"]
    layered = {name.strip() for contract in contracts if contract["type"] == "layers"
               for layer in contract["layers"] for name in layer.split("|")}
    package = Path(xtd10.__file__).parent
    modules = {f"xtd10.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    modules |= {f"xtd10.{p.name}" for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert modules - layered == set(), "add these to [tool.importlinter] layers in pyproject.toml"
    assert layered - modules == set(), "these layers name modules that do not exist"
