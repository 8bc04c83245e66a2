"""The runner on the embedded demo set with instrumented fake encoders: encode counts,
caching and resume, numbers against an independent computation, error messages."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.benchmark.fakes import CountingEncoder
from xtd10.benchmark import evaluate
from xtd10.benchmark.dataset import BenchmarkError
from xtd10.data import demo
from xtd10.encoders.protocol import EncoderError, EncoderMeta

N_IMAGES = len(demo.demo_images())
N_LANGS = len(demo.demo_languages())


def run(encoder, **kw):
    kw.setdefault("dataset", "demo")
    kw.setdefault("bootstrap", 50)
    kw.setdefault("progress", False)
    return evaluate(encoder, **kw)


def test_each_image_and_caption_is_encoded_once(counting_encoder):
    result = run(counting_encoder)
    assert counting_encoder.images_seen == N_IMAGES  # not images x languages x tracks
    assert counting_encoder.texts_seen == N_IMAGES * N_LANGS
    assert result.extra["encoding"]["images_encoded"] == N_IMAGES
    cells = {(r["track"], r["direction"], r["language"]) for r in result.metrics}
    assert ("image", "t2i", "ja") in cells and ("text", "x2en", "de") in cells
    assert ("text", "x2en", "en") not in cells  # English is the pivot, not scored on the text track


def test_second_run_encodes_nothing_and_gives_identical_numbers(counting_encoder, demo_truth):
    first = run(counting_encoder)
    again = CountingEncoder(*demo_truth)
    second = run(again)
    assert (again.text_calls, again.image_calls) == (0, 0)
    assert second.extra["encoding"]["chunks_computed"] == 0
    assert first.metrics == second.metrics  # same seed -> same bootstrap intervals too
    # a new model revision must not reuse the old vectors
    changed = CountingEncoder(*demo_truth, revision="v2")
    run(changed)
    assert changed.images_seen == N_IMAGES


def test_no_cache_option_always_encodes(counting_encoder, isolated_cache):
    run(counting_encoder, cache=False)
    run(counting_encoder, cache=False)
    assert counting_encoder.images_seen == 2 * N_IMAGES
    assert not (isolated_cache / "embeddings").exists()


def test_interrupted_run_resumes_where_it_stopped(counting_encoder, demo_truth):
    counting_encoder.fail_after = 4  # images + 3 languages done, then "Ctrl-C"
    with pytest.raises(KeyboardInterrupt):
        run(counting_encoder)
    resumed = CountingEncoder(*demo_truth)
    run(resumed)
    assert resumed.image_calls == 0
    assert resumed.texts_seen == N_IMAGES * (N_LANGS - 3)


def _reference_t2i(encoder: CountingEncoder, language: str) -> tuple[list[int], float]:
    """Ranks by brute force: loops over normalised vectors, ties against the correct image."""
    from PIL import Image

    frame = demo.demo_frame([language])
    paths = demo.demo_image_paths()
    pictures = []
    for image in demo.demo_images():
        with Image.open(paths[image.file_name]) as img:
            pictures.append(img.convert("RGB"))
    image_vecs = [v / np.linalg.norm(v) for v in encoder.encode_image(pictures)]
    ranks = []
    for row in frame.itertuples():
        t = encoder.encode_text([row.caption], language=language)[0]
        t = t / np.linalg.norm(t)
        scores = [float(np.float32(np.dot(t, v))) for v in image_vecs]
        correct = scores[row.index]
        ranks.append(1 + sum(1 for j, s in enumerate(scores) if j != row.index and s >= correct - 1e-6))
    return ranks, sum(r <= 1 for r in ranks) / len(ranks)


def test_numbers_match_an_independent_computation(counting_encoder, demo_truth):
    result = run(counting_encoder)
    reference = CountingEncoder(*demo_truth)
    per_query = result.query_stats()
    for language in ("en", "ja"):
        ranks, r1 = _reference_t2i(reference, language)
        assert per_query[("image", "t2i", language, "all")].ranks.tolist() == ranks
        assert result.value("image", "t2i", language, "all", "R@1") == pytest.approx(r1, abs=1e-6)
    # averages and consistency from the stored per-query ranks
    langs = demo.demo_languages()
    r1s = [result.value("image", "t2i", code, "all", "R@1") for code in langs]
    assert result.value("image", "t2i", "avg", "all", "R@1") == pytest.approx(np.mean(r1s), abs=1e-6)
    assert result.value("image", "t2i", "avg_non_en", "all", "R@1") == pytest.approx(np.mean(r1s[1:]), abs=1e-6)
    stacked = np.stack([per_query[("image", "t2i", code, "all")].ranks for code in langs]).astype(float)
    expected = float(np.mean(np.var(stacked, axis=0)))
    assert result.value("image", "t2i", "all", "all", "consistency") == pytest.approx(expected, abs=1e-6)


def test_confidence_intervals_bracket_values_and_depend_on_seed(counting_encoder):
    a = run(counting_encoder, bootstrap=200, seed=1, tracks="text")
    b = run(counting_encoder, bootstrap=200, seed=2, tracks="text")
    for row in a.metrics:
        if row["ci_low"] is not None:
            assert row["ci_low"] - 1e-9 <= row["value"] <= row["ci_high"] + 1e-9 or row["metric"] == "MedR"
    assert [r["ci_low"] for r in a.metrics] != [r["ci_low"] for r in b.metrics]


def test_text_only_encoder_runs_the_text_track_only(demo_truth):
    class TextOnly:
        def __init__(self):
            self.inner = CountingEncoder(*demo_truth, spec="fake:text-only")
            self.meta = EncoderMeta(name="text only", spec="fake:text-only", embedding_dim=16)

        def encode_text(self, texts, *, language):
            return self.inner.encode_text(texts, language=language)

    result = run(TextOnly())
    assert {r["track"] for r in result.metrics} == {"text"}
    assert result.config["tracks"] == ["text"]
    with pytest.raises(BenchmarkError, match="text only"):
        run(TextOnly(), tracks="image")


def test_language_selection_keeps_english_as_pivot(counting_encoder):
    result = run(counting_encoder, languages="de,jp", tracks="text")
    assert result.dataset["languages"] == ["de", "ja"]
    assert {r["language"] for r in result.metrics} == {"de", "ja", "avg", "avg_non_en", "all"}


class BrokenEncoder(CountingEncoder):
    def __init__(self, demo_truth, mode):
        super().__init__(*demo_truth, spec=f"fake:broken-{mode}")
        self.mode = mode

    def encode_text(self, texts, *, language):
        out = super().encode_text(texts, language=language)
        if self.mode == "nan":
            out[0, 0] = np.nan
        elif self.mode == "rows":
            out = out[:-1]
        elif self.mode == "zeros":
            out = np.zeros_like(out)
        return out

    def encode_image(self, images):
        out = super().encode_image(images)
        return np.hstack([out, out]) if self.mode == "dims" else out


@pytest.mark.parametrize(("mode", "message"), [("nan", "NaN"), ("rows", "embeddings for"), ("dims", "-d"),
                                             ("zeros", "all-zero embeddings")])
def test_bad_encoder_output_is_a_clear_error_naming_the_encoder(demo_truth, mode, message):
    encoder = BrokenEncoder(demo_truth, mode)
    encoder.meta.embedding_dim = None
    with pytest.raises(EncoderError, match=message) as info:
        run(encoder)
    assert f"fake:broken-{mode}" in str(info.value)


def test_bad_requests_are_clear_errors(counting_encoder):
    with pytest.raises(BenchmarkError, match=r"subset 'val2014' has no images in dataset 'xtd10-demo'; choose one of: all"):
        run(counting_encoder, subsets=["val2014"])
    with pytest.raises(EncoderError, match=r"dict object is not an encoder: it needs a `meta` attribute"):
        run({"encode_text": None})
    with pytest.raises(BenchmarkError, match=r"source= / --source\) does not apply to the XTD10 demo set"):
        run(counting_encoder, source="/somewhere")
    with pytest.raises(BenchmarkError, match="track"):
        run(counting_encoder, tracks="audio")
    with pytest.raises(BenchmarkError, match="dataset"):
        run(counting_encoder, dataset="coco")


def test_result_file_round_trip_and_schema(counting_encoder, tmp_path):
    from xtd10.benchmark import Result
    from xtd10.schema import ResultFileError

    result = run(counting_encoder)
    path = result.save(tmp_path / "r.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema"] == "xtd10.result" and data["schema_version"] == 1
    for key in ("toolkit_version", "created", "command", "dataset", "encoder", "config", "metrics", "timings",
                "hardware"):
        assert key in data
    assert set(data["dataset"]) >= {"name", "source", "revision", "file_sha256", "languages"}
    assert data["dataset"]["name"] == "xtd10-demo"
    assert set(data["timings"]) >= {"encode_text_s", "encode_image_s", "scoring_s", "total_s"}
    row = data["metrics"][0]
    assert set(row) == {"track", "direction", "language", "subset", "metric", "value", "ci_low", "ci_high",
                        "n_queries"}
    loaded = Result.load(path)
    assert loaded.to_dict() == json.loads(json.dumps(result.to_dict()))
    data["schema_version"] = 2
    (tmp_path / "new.json").write_text(json.dumps(data))
    with pytest.raises(ResultFileError, match="new.json.*schema_version"):
        Result.load(tmp_path / "new.json")
    (tmp_path / "bad.json").write_text("{\n  oops")
    with pytest.raises(ResultFileError, match="bad.json:2"):
        Result.load(tmp_path / "bad.json")


def test_cache_identity_separates_what_changes_the_vectors():
    from xtd10.benchmark.embeddings import encoder_key
    from xtd10.encoders import EncoderMeta

    base = EncoderMeta(name="m", spec="hf:m", revision="abc", extra={"precision": "fp32", "device": "cpu"})
    fp16 = EncoderMeta(name="m", spec="hf:m", revision="abc", extra={"device": "cpu", "precision": "fp16"})
    same = EncoderMeta(name="m", spec="hf:m", revision="abc", extra={"device": "cpu", "precision": "fp32"})
    assert encoder_key(base) == encoder_key(same)  # key order does not matter
    assert encoder_key(base) != encoder_key(fp16)
    assert encoder_key(base) != encoder_key(EncoderMeta(name="m", spec="hf:m", revision="abd", extra=base.extra))


def test_result_records_where_the_encoder_ran_not_the_requested_device(demo_truth, caplog):
    """A CPU-only encoder asked for cuda warns and the result says cpu; an encoder that
    reports its own device is believed over the request."""
    from xtd10.encoders.torch_runtime import cpu_only_device

    class ReportsDevice(CountingEncoder):
        def __init__(self, requested):
            super().__init__(*demo_truth, spec="fake:cpu-only")
            self.device = cpu_only_device(requested, "fake:cpu-only", "numpy")

    with caplog.at_level("WARNING", logger="xtd10.encoders"):
        result = run(ReportsDevice("cuda"), device="cuda", tracks="text")
    assert result.config["device"] == "cpu" and result.hardware["device"] == "cpu"
    assert "runs on the CPU only (numpy); ignoring device='cuda'" in caplog.text
    caplog.clear()
    assert run(ReportsDevice("auto"), device="auto", tracks="text").config["device"] == "cpu"
    assert not caplog.records
    with pytest.raises(EncoderError, match=r"'fake:cpu-only': invalid device 'gpu'"):
        ReportsDevice("gpu")


def test_editing_your_own_encoder_code_invalidates_its_cached_vectors(tmp_path, monkeypatch):
    """Same meta, different code: the second version must be encoded, not served from the
    first one's cache; unchanged code is served from the cache."""
    import importlib
    import sys

    source = '''
import numpy as np
from xtd10.encoders.protocol import EncoderMeta

class Mine:
    meta = EncoderMeta(name="mine", spec="py:my_enc:Mine", embedding_dim=4)

    def encode_text(self, texts, *, language):
        return np.array([[len(t), SHIFT, 1.0, t.count(" ")] for t in texts], dtype=np.float32)
'''
    monkeypatch.syspath_prepend(str(tmp_path))

    def load(shift: float):
        (tmp_path / "my_enc.py").write_text(f"SHIFT = {shift}\n" + source)
        sys.modules.pop("my_enc", None)
        importlib.invalidate_caches()
        return importlib.import_module("my_enc").Mine()

    first = run(load(0.0), tracks="text")
    again = run(load(0.0), tracks="text")
    assert again.extra["encoding"]["chunks_computed"] == 0 and again.metrics == first.metrics
    edited = run(load(5.0), tracks="text")
    assert edited.extra["encoding"]["chunks_cached"] == 0 and edited.extra["encoding"]["chunks_computed"] > 0


def test_settings_are_passed_by_name(counting_encoder):
    # seventeen settings after the encoder: a positional one would silently land in the wrong slot
    with pytest.raises(TypeError):
        evaluate(counting_encoder, "en", "text")  # type: ignore[misc]
