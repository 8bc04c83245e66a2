"""``py:`` specs: a module on the path, or a file named by its path from any directory."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from xtd10.benchmark import Result
from xtd10.cli import cli
from xtd10.encoders import get
from xtd10.encoders.registry import UnknownEncoderError

ENCODER_FILE = '''
import hashlib
import numpy as np
from xtd10.encoders import EncoderMeta

class Hashing:
    meta = EncoderMeta(name="hashing", spec="py:hashing", revision="1", embedding_dim=8, modalities=("text",))

    def encode_text(self, texts, *, language):
        seeds = [int(hashlib.sha256(t.encode()).hexdigest()[:8], 16) for t in texts]
        return np.stack([np.random.default_rng(s).normal(size=8) for s in seeds])

def build():
    return Hashing()
'''


def test_a_file_path_works_from_another_directory(tmp_path, monkeypatch):
    code = tmp_path / "code"
    code.mkdir()
    (code / "my-model.py").write_text(ENCODER_FILE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    encoder = get(f"py:{code / 'my-model.py'}:build")
    vectors = encoder.encode_text(["a", "b"], language="en")
    assert vectors.shape == (2, 8) and not np.allclose(vectors[0], vectors[1])
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["bench", "run", "--model", "py:../code/my-model.py:build", "--dataset", "demo",
                                   "--track", "text", "--bootstrap", "0", "--out", str(out)], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert Result.load(out).encoder["spec"] == "py:<path>/my-model.py:build"  # named by its file, not its path


def test_a_module_that_is_not_importable_here_says_how_to_name_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UnknownEncoderError, match=r"No module named 'nosuchpkg'.*py:path/to/file\.py:FACTORY"):
        get("py:nosuchpkg.my_encoder:build")
    with pytest.raises(UnknownEncoderError, match=r"no such file missing\.py"):
        get("py:missing.py:build")
