"""Adapters load lazily by import path, and installed packages add their own through the
``xtd10.encoders`` entry-point group.

The fixture package in ``tests/fixtures/plugin`` is "installed" the way pip leaves a
package: its module and a ``.dist-info`` folder with ``entry_points.txt`` on a
``sys.path`` entry of its own (a temporary folder here).
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import xtd10.encoders as encoders
from xtd10.benchmark.runner import evaluate
from xtd10.cli import cli

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "plugin"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "encoders.md"


def _entry_points() -> dict[str, str]:
    """The ``[project.entry-points."xtd10.encoders"]`` table of the fixture's pyproject.toml
    (read by hand: tomllib is not in Python 3.10's standard library)."""
    text = (FIXTURE / "pyproject.toml").read_text()
    table = text.split('[project.entry-points."xtd10.encoders"]\n', 1)[1].split("\n[", 1)[0]
    pairs = [re.fullmatch(r'\s*([\w.-]+)\s*=\s*"([^"]+)"\s*', line) for line in table.splitlines() if line.strip()]
    assert all(pairs), table
    return {m.group(1): m.group(2) for m in pairs}


def install_fixture(site: Path, entry_points: dict[str, str] | None = None) -> Path:
    """What ``pip install tests/fixtures/plugin --target site`` leaves behind."""
    site.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURE / "xtd10_colour_plugin.py", site)
    info = site / "xtd10_colour_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: xtd10-colour-plugin\nVersion: 1.0\n")
    lines = [f"{name} = {target}" for name, target in (entry_points or _entry_points()).items()]
    (info / "entry_points.txt").write_text("[xtd10.encoders]\n" + "\n".join(lines) + "\n")
    return site


@pytest.fixture
def installed(tmp_path, monkeypatch):
    site = install_fixture(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delitem(sys.modules, "xtd10_colour_plugin", raising=False)
    monkeypatch.setattr("xtd10.encoders.registry.ADAPTERS._loaded", dict(encoders.registry.ADAPTERS._loaded))
    return site


def test_an_installed_plugin_is_scored_through_the_cli(installed, tmp_path):
    out = tmp_path / "result.json"
    result = CliRunner().invoke(cli, ["bench", "run", "--model", "colour-grid", "--dataset", "demo",
                                      "--bootstrap", "0", "--no-cache", "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text())
    assert saved["encoder"]["spec"] == "colour-grid" and saved["encoder"]["name"] == "colour grid"
    # the same scores as the plugin's encoder object handed to the harness directly
    import xtd10_colour_plugin

    direct = evaluate(xtd10_colour_plugin.build(), dataset="demo", bootstrap=0, cache=False, progress=False)
    got = {(m["track"], m["direction"], m["language"], m["metric"]): m["value"] for m in saved["metrics"]}
    assert got == {(m["track"], m["direction"], m["language"], m["metric"]): m["value"] for m in direct.metrics}
    listed = CliRunner().invoke(cli, ["bench", "models"])
    assert re.search(r"^colour-grid\s+Colour-grid toy encoder from an installed plugin package", listed.output, re.M)


def test_a_plugin_cannot_take_a_built_in_prefix(tmp_path, monkeypatch, caplog):
    site = install_fixture(tmp_path / "site", {"muse": "xtd10_colour_plugin:build"})
    monkeypatch.syspath_prepend(str(site))
    with caplog.at_level(logging.WARNING, logger="xtd10.encoders"):
        rows = {row.prefix: row for row in encoders.describe_adapters()}
    assert rows["muse"].description.startswith("mUSE v3")
    assert encoders.ADAPTERS["muse"].factory.__module__ == "xtd10.encoders.muse"
    assert any("ignoring entry point 'muse'" in r.getMessage() for r in caplog.records)


def test_a_broken_plugin_is_reported_not_fatal(tmp_path, monkeypatch):
    site = install_fixture(tmp_path / "site", {"broken-one": "no_such_module_xtd10:build"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr("xtd10.encoders.registry.ADAPTERS._loaded", dict(encoders.registry.ADAPTERS._loaded))
    rows = {row.prefix: row for row in encoders.describe_adapters()}
    assert not rows["broken-one:<model>"].available
    assert "no_such_module_xtd10" in rows["broken-one:<model>"].reason
    assert rows["random"].available
    with pytest.raises(encoders.EncoderError, match=r"encoder adapter 'broken-one' \(no_such_module_xtd10:build\)"):
        encoders.get("broken-one:x")


# what importing the registry may load: the protocol, the registry, its checks and the model metadata
REGISTRY_MODULES = ("xtd10.encoders.checks", "xtd10.encoders.metadata", "xtd10.encoders.protocol",
                    "xtd10.encoders.registry")


def test_the_registry_imports_no_adapter_and_not_the_baseline():
    code = ("import sys, xtd10.encoders as e; "
            "loaded = sorted(m for m in sys.modules if m.startswith(('xtd10.baseline', 'xtd10.encoders.')) "
            f"and m not in {REGISTRY_MODULES}); assert loaded == [], loaded; "
            "assert 'baseline' in e.ADAPTERS and 'xtd10.baseline.encoder' in sys.modules; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_docs_show_the_fixture_entry_point():
    text = DOCS.read_text()
    for name, target in _entry_points().items():
        assert f'{name} = "{target}"' in text
    assert '[project.entry-points."xtd10.encoders"]' in text
    assert "xtd10 bench run --model colour-grid --dataset demo" in text
