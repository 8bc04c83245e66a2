"""Local weights are identified by content: a different checkpoint saved under the same
path is never served the old one's cached vectors; hashes are computed once per file."""

from __future__ import annotations

import os
import sys
import time
import types

import numpy as np
import pytest

from tests.installed import need
from xtd10.benchmark.runner import evaluate
from xtd10.encoders import weights
from xtd10.encoders.weights import file_sha256, weights_identity

torch = need("torch")
ARGS = {"dataset": "demo", "languages": ["en", "es"], "tracks": "image", "bootstrap": 0, "progress": False}


def _values(result) -> dict:
    return {(m["direction"], m["language"], m["metric"]): m["value"] for m in result.metrics}


class _TinyClip(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.text = torch.nn.EmbeddingBag(100, 8)
        self.image = torch.nn.Linear(3, 8)

    def encode_text(self, tokens):
        return self.text(tokens)

    def encode_image(self, pixels):
        return self.image(pixels.mean(dim=(2, 3)))


def _stand_in_open_clip(loaded: list):
    """open_clip's API over a tiny model whose ``pretrained`` is a local safetensors file."""
    from safetensors.torch import load_file

    def preprocess(image):
        return torch.from_numpy(np.asarray(image.resize((4, 4)), dtype=np.float32).transpose(2, 0, 1) / 255)

    def tokenizer(texts):
        return torch.tensor([[sum(map(ord, w)) % 100 for w in [*text.split(), "", ""][:3]] for text in texts])

    def create_model_and_transforms(architecture, pretrained=None, device=None):
        model = _TinyClip()
        model.load_state_dict(load_file(pretrained))
        loaded.append(pretrained)
        return model, None, preprocess

    return types.SimpleNamespace(create_model_and_transforms=create_model_and_transforms,
                                 get_tokenizer=lambda architecture: tokenizer, __version__="test")


def _save_tiny_clip(path, seed: int) -> None:
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    save_file({k: v.contiguous() for k, v in _TinyClip().state_dict().items()}, str(path))


def test_open_clip_checkpoints_saved_under_one_path_are_told_apart(tmp_path, monkeypatch, isolated_cache):
    loaded: list = []
    monkeypatch.setitem(sys.modules, "open_clip", _stand_in_open_clip(loaded))
    checkpoint = tmp_path / "epoch_latest.safetensors"
    spec = f"open_clip:ViT-T/{checkpoint}"

    _save_tiny_clip(checkpoint, seed=1)
    first = evaluate(spec, device="cpu", **ARGS)
    assert loaded == [str(checkpoint)]
    assert first.encoder["revision"] == f"open_clip==test:local-sha256:{file_sha256(checkpoint)[:16]}"

    _save_tiny_clip(checkpoint, seed=2)  # another model, same file name
    second = evaluate(spec, device="cpu", **ARGS)
    assert second.extra["encoding"]["chunks_cached"] == 0  # nothing of the first model is served
    assert second.encoder["revision"] != first.encoder["revision"]
    uncached = evaluate(spec, device="cpu", cache=False, **ARGS)
    assert _values(second) == _values(uncached) != _values(first)
    again = evaluate(spec, device="cpu", **ARGS)
    assert again.extra["encoding"]["chunks_computed"] == 0 and _values(again) == _values(uncached)


def test_baseline_checkpoints_saved_under_one_path_are_told_apart(tmp_path, isolated_cache):
    from xtd10.baseline.model import DualHead, HeadConfig, save_checkpoint

    checkpoint = tmp_path / "ck"
    results = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        save_checkpoint(DualHead(512, 512, 8, HeadConfig(hidden_dim=6)), checkpoint,
                        {"text_encoder": {"spec": "random"}, "image_backbone": {"spec": "random"}})
        results.append(evaluate(f"baseline:{checkpoint}", **ARGS))
    assert results[1].extra["encoding"]["chunks_cached"] == 0
    assert results[0].encoder["revision"] != results[1].encoder["revision"]
    assert _values(results[1]) == _values(evaluate(f"baseline:{checkpoint}", cache=False, **ARGS))


def test_a_file_is_hashed_once_per_content(tmp_path, monkeypatch, isolated_cache):
    calls = []
    real = weights.sha256_file
    monkeypatch.setattr(weights, "sha256_file", lambda path: calls.append(path) or real(path))
    path = tmp_path / "w.bin"
    path.write_bytes(b"a" * 1000)
    old = time.time() - 60
    os.utime(path, (old, old))
    time.sleep(0)  # the change time is now; the racy window is measured from it
    monkeypatch.setattr(weights, "_RACY_NS", 0)
    first = file_sha256(path)
    assert file_sha256(path) == first and len(calls) == 1
    monkeypatch.setattr(weights, "_MEMO", {})  # a new process: the hash comes from the cache folder
    assert file_sha256(path) == first and len(calls) == 1
    path.write_bytes(b"b" * 1000)  # same size, same inode
    os.utime(path, (old, old))  # and the same modification time: the change time still differs
    assert file_sha256(path) != first and len(calls) == 2


def test_a_freshly_written_file_is_always_hashed(tmp_path, monkeypatch, isolated_cache):
    path = tmp_path / "w.bin"
    path.write_bytes(b"a" * 100)
    first = file_sha256(path)
    path.write_bytes(b"b" * 100)  # possibly within the same clock tick: same stamp
    assert file_sha256(path) != first


def test_directory_identity_covers_weights_and_configs_only(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "model.safetensors").write_bytes(b"1")
    (tmp_path / "README.md").write_text("hello")
    base = weights_identity(tmp_path)
    (tmp_path / "README.md").write_text("changed")
    assert weights_identity(tmp_path) == base
    (tmp_path / "model.safetensors").write_bytes(b"2")
    assert weights_identity(tmp_path) != base


def _edit_json(path, change) -> None:
    import json

    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def _permute_the_vocabulary(tokenizer: dict) -> None:
    vocab = tokenizer["model"]["vocab"]
    words = [token for token in vocab if token.endswith("</w>")]
    ids = [vocab[token] for token in words]
    vocab.update(zip(words, ids[1:] + ids[:1], strict=True))


def _shift_the_image_mean(processor: dict) -> None:
    processor["image_processor"]["image_mean"] = [0.9, 0.1, 0.5]


@pytest.mark.parametrize(("file_name", "change"), [
    ("tokenizer.json", _permute_the_vocabulary),
    ("processor_config.json", _shift_the_image_mean),
])
def test_editing_any_file_an_hf_folder_loads_from_changes_its_revision(tiny_models, tmp_path, file_name, change):
    import shutil

    folder = shutil.copytree(tiny_models["clip"], tmp_path / "clip")
    spec = f"hf:{folder}"
    args = {**ARGS, "dataset": "demo"}
    first = evaluate(spec, device="cpu", **args)

    _edit_json(folder / file_name, change)
    edited = evaluate(spec, device="cpu", **args)
    assert edited.encoder["revision"] != first.encoder["revision"]
    assert edited.extra["encoding"]["chunks_cached"] == 0  # no vector of the unedited folder is served
    assert _values(edited) == _values(evaluate(spec, device="cpu", cache=False, **args)) != _values(first)


def test_a_local_m_clip_base_whose_config_changes_is_encoded_afresh(tmp_path):
    """An M-CLIP tower builds its transformer from the config of ``modelBase``: when that is
    a local folder, editing its config changes the vectors, so it changes the revision."""
    import json

    from tests.encoders import tiny_models

    base = tiny_models.save_tiny_xlmr(tmp_path / "base")
    tower = tiny_models.save_tiny_mclip(tmp_path / "mclip", base)
    spec = f"mclip:{tower}"
    args = {**ARGS, "tracks": "text"}
    first = evaluate(spec, device="cpu", **args)

    config = json.loads((base / "config.json").read_text())
    config["layer_norm_eps"] = 0.5
    (base / "config.json").write_text(json.dumps(config))
    edited = evaluate(spec, device="cpu", **args)
    assert edited.encoder["revision"] != first.encoder["revision"]
    assert edited.extra["encoding"]["chunks_cached"] == 0
    assert _values(edited) == _values(evaluate(spec, device="cpu", cache=False, **args)) != _values(first)
