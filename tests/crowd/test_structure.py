"""One source of truth: every platform the CLI offers is one record of the platform registry."""

from __future__ import annotations

import click

from xtd10.cli.crowd import group
from xtd10.crowd.platforms import DECISION_FORMATS, PLATFORMS, REGISTRY


def _choices(command: str, option: str) -> list[str]:
    params = {p.name: p for p in group.commands[command].params}
    kind = params[option].type
    assert isinstance(kind, click.Choice)
    return list(kind.choices)


def test_cli_platforms_are_the_registry():
    assert _choices("ingest", "platform") == list(PLATFORMS) == list(REGISTRY)
    assert _choices("decide", "fmt") == list(DECISION_FORMATS)
    assert all(REGISTRY[name].decisions is not None for name in DECISION_FORMATS)
