"""One source of truth: the editable settings examples are the packaged ones, and every
platform the CLI offers is one record of the platform registry."""

from __future__ import annotations

from pathlib import Path

import click

from xtd10.cli.crowd import group
from xtd10.crowd.platforms import DECISION_FORMATS, PLATFORMS, REGISTRY
from xtd10.crowd.settings import load_settings, packaged_codes

ROOT = Path(__file__).resolve().parents[2]


def test_settings_examples_are_the_packaged_settings_byte_for_byte():
    examples = {p.name: p.read_bytes() for p in (ROOT / "crowdsourcing" / "languages").glob("*.yaml")}
    packaged = {p.name: p.read_bytes() for p in (ROOT / "xtd10" / "crowd" / "languages").glob("*.yaml")}
    assert examples.keys() == packaged.keys()
    different = [name for name in examples if examples[name] != packaged[name]]
    assert different == [], f"edit both copies (or copy one over the other): {different}"
    for code in packaged_codes():
        assert load_settings(code).code == code  # every packaged file parses


def _choices(command: str, option: str) -> list[str]:
    params = {p.name: p for p in group.commands[command].params}
    kind = params[option].type
    assert isinstance(kind, click.Choice)
    return list(kind.choices)


def test_cli_platforms_are_the_registry():
    assert _choices("ingest", "platform") == list(PLATFORMS) == list(REGISTRY)
    assert _choices("decide", "fmt") == list(DECISION_FORMATS)
    assert all(REGISTRY[name].decisions is not None for name in DECISION_FORMATS)
