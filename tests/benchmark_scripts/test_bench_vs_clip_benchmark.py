"""The CLIP_benchmark side-by-side script's XTD200 parts that need neither tool installed:
its language list, the annotation files CLIP_benchmark reads instead of downloading, the
trimmed caption source, and the compute ratio it prints."""

from __future__ import annotations

import json

import pytest

from tests.benchmark_scripts.scripts import loaded_script
from xtd10.languages import table_row

VIT_B_32 = {"embed_dim": 512, "vision_cfg": {"image_size": 224, "layers": 12, "width": 768, "patch_size": 32},
            "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 512, "heads": 8, "layers": 12}}


@pytest.fixture(scope="module")
def script():
    with loaded_script("speed/bench_vs_clip_benchmark.py") as module:
        yield module


def test_language_list_spans_twenty_xtd200_languages_in_at_least_eight_scripts(script):
    rows = [table_row(tag) for tag in script.XTD200_LANGUAGES]
    assert all(row is not None for row in rows)
    assert len({row.tag for row in rows}) == 20
    assert len({row.script for row in rows}) >= 8


def test_vit_b_32_multiply_adds_counted_layer_by_layer(script):
    costs = script.tower_costs(VIT_B_32)
    # Image: 49 patches of 3*32*32 values into 768; 50 positions through 12 blocks (q, k, v,
    # out: 4*768*768; MLP 768->3072->768: 2*768*3072; scores and weighted sum: 2*50*768 each
    # position); projection 768->512.
    block = 50 * (4 * 768 * 768 + 2 * 768 * 3072) + 2 * 50 * 50 * 768
    assert costs.image == 49 * 3072 * 768 + 12 * block + 768 * 512
    text_block = 77 * (4 * 512 * 512 + 2 * 512 * 2048) + 2 * 77 * 77 * 512
    assert costs.text(77) == 12 * text_block + 512 * 512
    assert costs.text(200) == costs.text(77)  # both tools cut a caption at the context length


def test_compute_ratio_counts_images_per_language_and_padding(script):
    costs = script.TowerCosts(image=100, context_length=4, text_by_length=(0, 1, 2, 3, 4))
    lengths = {"a": [2, 9], "b": [3, 4]}  # 9 tokens: cut to 4
    # CLIP_benchmark: 2 languages x 3 images x 100 + 4 captions x 4; harness: 3 x 100 + 2+4+3+4.
    assert script.compute_ratio(lengths, 3, costs) == pytest.approx((600 + 16) / (300 + 13))


def test_clip_benchmark_reads_annotation_files_made_from_the_same_captions(script, nllb_source, tmp_path):
    from xtd10.data import load_frame
    from xtd10.data.sources import resolve_source
    from xtd10.schema import XTD200

    pair = script.dataset_pair("xtd200")
    codes = script.harness_codes(pair, "zho_Hans,am,en")
    assert codes == ["zh-Hans", "am", "en"]
    relpaths = resolve_source(str(nllb_source), XTD200).relpaths(codes)
    source = script.trimmed_source(nllb_source, tmp_path / "source", 5, relpaths)
    assert sorted(p.relative_to(source).as_posix() for p in source.rglob("*.txt")) == sorted(relpaths)
    frame = load_frame(codes, source=str(source), dataset="xtd200")
    script.cb_annotations(frame, codes, tmp_path / "images", tmp_path / "cb-root", pair)

    full = (nllb_source / "data" / "xtd200" / "amh_Ethi.txt").read_text(encoding="utf-8").split("\n")[:5]
    names = (nllb_source / "data" / "xtd200" / "test_image_names.txt").read_text(encoding="utf-8").split()[:5]
    written = json.loads((tmp_path / "cb-root" / "xtd200-amh_Ethi.json").read_text(encoding="utf-8"))
    assert written == {"image_paths": [str(tmp_path / "images" / name) for name in names],
                       "annotations": [line.rstrip("\r") for line in full], "indicies": list(range(5))}
    assert sorted(p.name for p in (tmp_path / "cb-root").iterdir()) == [
        "xtd200-amh_Ethi.json", "xtd200-eng_Latn.json", "xtd200-zho_Hans.json"]
