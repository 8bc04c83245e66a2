"""``hf:`` on tiny locally built models, checked against hand-written forward passes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import xtd10.encoders as encoders
from tests.installed import need
from xtd10.encoders import EncoderError, validate_embeddings

torch = need("torch")
need("transformers")

CLIP_MEAN = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
CLIP_STD = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
TEXTS = ["a cat", "a dog sits on the mat", "red bus", "a photo of a cat on the red mat next to a dog and a bus"]


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    small = Image.fromarray(rng.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    large = Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8))
    grey = Image.fromarray(rng.integers(0, 256, (32, 32), dtype=np.uint8))
    return [small, large, grey]


def _reference_pixels(image: Image.Image) -> np.ndarray:
    """CLIP preprocessing written out: RGB, bicubic resize to 32x32, /255, normalise, CHW."""
    rgb = image.convert("RGB").resize((32, 32), Image.Resampling.BICUBIC)
    return ((np.asarray(rgb, dtype=np.float32) / 255.0 - CLIP_MEAN) / CLIP_STD).transpose(2, 0, 1)


def test_tiny_clip_matches_a_direct_computation(tiny_models):
    from transformers import CLIPModel, CLIPTokenizer

    encoder = encoders.get(f"hf:{tiny_models['clip']}", batch_size=2, device="cpu")
    assert encoders.supports_images(encoder)
    assert encoder.meta.modalities == ("text", "image") and encoder.meta.embedding_dim == 24
    assert encoder.meta.parameters > 0 and encoder.meta.revision.startswith("local-sha256:")

    texts = encoder.encode_text(TEXTS, language="en")
    images = encoder.encode_image(_images())
    validate_embeddings(texts, len(TEXTS), "tiny", dim=24)
    validate_embeddings(images, 3, "tiny", dim=24)

    model = CLIPModel.from_pretrained(tiny_models["clip"]).eval()
    tokenizer = CLIPTokenizer.from_pretrained(tiny_models["clip"])
    with torch.no_grad():
        for text, ours in zip(TEXTS, texts, strict=True):  # one at a time: no padding involved
            ids = tokenizer(text, truncation=True, max_length=16, return_tensors="pt")["input_ids"]
            pooled = model.text_model(input_ids=ids).pooler_output
            np.testing.assert_allclose(ours, (pooled @ model.text_projection.weight.T)[0].numpy(), atol=1e-5)
        pixels = torch.from_numpy(np.stack([_reference_pixels(image) for image in _images()]))
        pooled = model.vision_model(pixel_values=pixels).pooler_output
        expected = (pooled @ model.visual_projection.weight.T).numpy()
    np.testing.assert_allclose(images, expected, atol=1e-4)


def test_batching_does_not_change_embeddings(tiny_models):
    one = encoders.get(f"hf:{tiny_models['clip']}", batch_size=1)
    many = encoders.get(f"hf:{tiny_models['clip']}", batch_size=64)
    np.testing.assert_allclose(one.encode_text(TEXTS, language="en"), many.encode_text(TEXTS, language="en"),
                               atol=1e-5)
    assert one.encode_text([], language="en").shape == (0, 24)
    assert one.encode_image([]).shape == (0, 24)


def test_text_only_model_is_mean_pooled(tiny_models):
    from transformers import AutoTokenizer, XLMRobertaModel

    encoder = encoders.get(f"hf:{tiny_models['xlmr']}", batch_size=3)
    assert not encoders.supports_images(encoder) and encoder.meta.modalities == ("text",)
    texts = ["un gato rojo", "the dog", "a cat sits on the mat"]
    ours = encoder.encode_text(texts, language="es")
    model = XLMRobertaModel.from_pretrained(tiny_models["xlmr"]).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_models["xlmr"])
    with torch.no_grad():
        for text, vector in zip(texts, ours, strict=True):
            hidden = model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0].numpy()
            np.testing.assert_allclose(vector, hidden.mean(axis=0), atol=1e-5)


def test_revision_identifies_the_weights_not_the_path(tiny_models, tmp_path):
    from tests.encoders.tiny_models import save_tiny_clip
    from xtd10.encoders.revisions import local_revision

    same = save_tiny_clip(tmp_path / "same")  # same seed, same weights, other place
    other = save_tiny_clip(tmp_path / "other", seed=7)
    assert local_revision(same) == local_revision(tiny_models["clip"])
    assert local_revision(other) != local_revision(tiny_models["clip"])


def test_hub_revision_reads_the_snapshot_commit(monkeypatch):
    import huggingface_hub

    from xtd10.encoders.revisions import hub_revision

    commit = "0123456789abcdef0123456789abcdef01234567"
    monkeypatch.setattr(
        huggingface_hub, "try_to_load_from_cache",
        lambda repo, name, revision=None: f"/cache/models--a--b/snapshots/{commit}/config.json",
    )
    assert hub_revision("a/b") == commit
    monkeypatch.setattr(huggingface_hub, "try_to_load_from_cache", lambda repo, name, revision=None: None)
    assert hub_revision("a/b", "v1.0") == "v1.0"


def test_long_texts_are_truncated_to_the_text_tower(tiny_models):
    encoder = encoders.get(f"hf:{tiny_models['clip']}")
    assert encoder.encode_text(["a cat " * 50], language="en").shape == (1, 24)


def test_loading_and_option_errors_are_clear(tiny_models, tmp_path):
    with pytest.raises(EncoderError, match="could not load the model of"):
        encoders.get(f"hf:{tmp_path}")
    with pytest.raises(EncoderError, match="^hf:no-such-org/no-such-model: HF_HUB_OFFLINE is set and the model "
                                           "is not in the local cache"):
        encoders.get("hf:no-such-org/no-such-model")  # HF_HUB_OFFLINE=1: fails fast, no network
    with pytest.raises(EncoderError, match="precision fp16 needs a CUDA device"):
        encoders.get(f"hf:{tiny_models['clip']}", precision="fp16", device="cpu")
    with pytest.raises(EncoderError, match="precision must be one of"):
        encoders.get(f"hf:{tiny_models['clip']}", precision="int3")
    if not torch.cuda.is_available():
        with pytest.raises(EncoderError, match="CUDA is not available"):
            encoders.get(f"hf:{tiny_models['clip']}", device="cuda")
    with pytest.raises(EncoderError, match="invalid device"):
        encoders.get(f"hf:{tiny_models['clip']}", device="gpu0")
    encoder = encoders.get(f"hf:{tiny_models['clip']}")
    with pytest.raises(EncoderError, match="image 1 is a str"):
        encoder.encode_image([Image.new("RGB", (8, 8)), "cat.jpg"])


def test_siglip_texts_are_padded_to_max_length(tiny_models):
    """SigLIP pools its last position, so only fixed-length padding reproduces the model:
    a short text must embed as if padded to max_length, whatever else is in the batch."""
    from transformers import AutoTokenizer, SiglipModel

    encoder = encoders.get(f"hf:{tiny_models['siglip']}")
    assert encoder.meta.extra["model_type"] == "siglip" and encoder.meta.extra["max_length"] == 12
    ours = encoder.encode_text(["a cat", "a dog sits on the red mat"], language="en")
    model = SiglipModel.from_pretrained(tiny_models["siglip"]).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_models["siglip"])
    with torch.no_grad():
        fixed = tokenizer(["a cat"], padding="max_length", max_length=12, return_tensors="pt")["input_ids"]
        unpadded = tokenizer(["a cat"], return_tensors="pt")["input_ids"]
        # SigLIP's text pooling written out: last position's hidden state, then the head
        last = model.text_model(input_ids=fixed).last_hidden_state[0, -1]
        head = next(module for name, module in model.text_model.named_modules() if name.endswith("head"))
        expected = (last @ head.weight.T + head.bias).numpy()
        other = model.get_text_features(input_ids=unpadded).pooler_output[0].numpy()
    np.testing.assert_allclose(ours[0], expected, atol=1e-5)
    assert not np.allclose(ours[0], other, atol=1e-3)
    assert encoder.encode_image(_images()[:1]).shape == (1, ours.shape[1])
