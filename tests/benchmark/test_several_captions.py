"""Several captions per image through the runner's scoring (XTD10 has one per language,
but promoted crowd languages or other data may have more)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from xtd10.benchmark.dataset import BenchData
from xtd10.benchmark.metrics import compute_metrics
from xtd10.benchmark.scoring import metric_rows, score_cells


def make_data() -> BenchData:
    # 3 images; English: one caption each; German: image 0 has two captions, image 2 three
    rows = [(0, "en", 0, "a"), (1, "en", 0, "b"), (2, "en", 0, "c"),
            (0, "de", 0, "a1"), (0, "de", 1, "a2"), (1, "de", 0, "b1"),
            (2, "de", 0, "c1"), (2, "de", 1, "c2"), (2, "de", 2, "c3")]
    frame = pd.DataFrame(
        [(i, f"img{i}.jpg", "val2014", lang, k, text) for i, lang, k, text in rows],
        columns=["index", "file_name", "coco_split", "language", "caption_index", "caption"],
    )
    return BenchData("test", frame, [f"img{i}.jpg" for i in range(3)], ["val2014"] * 3, {}, "r", {})


def test_i2t_counts_a_hit_if_any_caption_of_the_image_is_retrieved():
    data = make_data()
    rng = np.random.default_rng(0)
    image_emb = rng.normal(size=(3, 8)).astype(np.float32)
    de = rng.normal(size=(6, 8)).astype(np.float32)
    en = rng.normal(size=(3, 8)).astype(np.float32)
    cells = score_cells(data, ["image", "text"], ["en", "de"], ["all"], image_emb, {"en": en, "de": de})
    by_key = {c.key: c for c in cells}
    # independent: build the score matrix and the positives by hand
    de_images = np.array([0, 0, 1, 2, 2, 2])
    i2t_positives = [np.flatnonzero(de_images == i) for i in range(3)]
    expected = compute_metrics(image_emb @ de.T, i2t_positives)
    got = by_key[("image", "i2t", "de", "all")].stats
    assert got.ranks.tolist() == [int(r) for r in _ranks(image_emb @ de.T, i2t_positives)]
    assert float(np.mean(got.ranks <= 1)) == expected["R@1"]
    # t2i: 6 German caption queries, one relevant image each
    assert len(by_key[("image", "t2i", "de", "all")].stats) == 6
    # en2x: 3 English queries against 6 German captions, several relevant
    assert len(by_key[("text", "en2x", "de", "all")].stats) == 3
    rows = metric_rows(cells, bootstrap=20, seed=0, ks=(1, 5, 10))
    consistency = [r for r in rows if r["metric"] == "consistency" and r["direction"] == "t2i"]
    assert consistency and consistency[0]["n_queries"] == 3  # per image, not per caption
    # several-caption cells have different query counts across languages: no paired CI for the average
    avg = next(r for r in rows if r["language"] == "avg" and r["direction"] == "t2i" and r["metric"] == "R@1")
    assert avg["ci_low"] is None and avg["n_queries"] == 9


def _ranks(scores, positives):
    out = []
    for row, rel in zip(scores, positives, strict=True):
        best = max(row[j] for j in rel)
        out.append(1 + sum(1 for j, s in enumerate(row) if j not in set(rel.tolist()) and s >= best))
    return out


def test_a_language_covering_some_images_is_scored_on_those_images(caplog):
    """A crowd language with captions for images 0 and 2 only: every cell uses those two
    images (and their English captions), checked against a hand-built computation."""
    frame = pd.DataFrame(
        [(i, f"img{i}.jpg", "val2014", "en", 0, t) for i, t in enumerate("abc")]
        + [(0, "f.jpg", "val2014", "hi", 0, "a-hi"), (2, "f.jpg", "val2014", "hi", 0, "c-hi")],
        columns=["index", "file_name", "coco_split", "language", "caption_index", "caption"],
    )
    data = BenchData("test", frame, [f"img{i}.jpg" for i in range(3)], ["val2014"] * 3, {}, "r", {})
    rng = np.random.default_rng(1)
    image_emb = rng.normal(size=(3, 8)).astype(np.float32)
    en, hi = rng.normal(size=(3, 8)).astype(np.float32), rng.normal(size=(2, 8)).astype(np.float32)
    with caplog.at_level("WARNING"):
        cells = score_cells(data, ["image", "text"], ["hi"], ["all"], image_emb, {"en": en, "hi": hi})
    assert "captions cover 2 of the subset's 3 images" in caplog.text
    by_key = {c.key: c for c in cells}
    covered = image_emb[[0, 2]]
    expect = {"t2i": _ranks(hi @ covered.T, [np.array([0]), np.array([1])]),
              "i2t": _ranks(covered @ hi.T, [np.array([0]), np.array([1])]),
              "x2en": _ranks(hi @ en[[0, 2]].T, [np.array([0]), np.array([1])]),
              "en2x": _ranks(en[[0, 2]] @ hi.T, [np.array([0]), np.array([1])])}
    for (_, direction, _, _), cell in by_key.items():
        assert cell.stats.ranks.tolist() == expect[direction], direction
    # a subset the language does not reach at all is skipped with a warning, not an error
    caplog.clear()
    data_train = BenchData("test", frame, [f"img{i}.jpg" for i in range(3)], ["val2014", "train2014", "val2014"],
                           {}, "r", {})
    with caplog.at_level("WARNING"):
        assert score_cells(data_train, ["text"], ["hi"], ["train2014"], None, {"en": en, "hi": hi}) == []
    assert "no captions for any of the subset's 1 images" in caplog.text
