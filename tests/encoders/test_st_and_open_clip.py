"""``st:`` on tiny sentence-transformers folders; ``open_clip:`` parsing, its missing-package
error, and its adapter code against a stand-in ``open_clip`` module."""

from __future__ import annotations

import sys
import types

import numpy as np
import pytest
from PIL import Image

import xtd10.encoders as encoders
from tests.installed import need
from xtd10.encoders import EncoderError
from xtd10.encoders.openclip import parse_open_clip_argument

IMAGE = Image.fromarray(np.random.default_rng(2).integers(0, 256, (40, 40, 3), dtype=np.uint8))


def test_st_text_model_paired_with_a_clip_image_model(tiny_models, tiny_st_models):
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, XLMRobertaModel

    torch = need("torch")
    spec = f"st:{tiny_st_models['st-text']}+{tiny_st_models['st-clip']}"
    encoder = encoders.get(spec, batch_size=2)
    assert encoders.supports_images(encoder) and encoder.meta.embedding_dim == 24
    texts = ["un gato rojo", "a dog sits on the mat", "perro"]
    ours = encoder.encode_text(texts, language="es")
    assert ours.shape == (3, 24) and ours.dtype == np.float32

    # reference: XLM-R token vectors, mean over the mask, then Dense = tanh(W x + b)
    model = XLMRobertaModel.from_pretrained(tiny_models["xlmr"]).eval()
    tokenizer = AutoTokenizer.from_pretrained(tiny_models["xlmr"])
    dense = load_file(str(next((tiny_st_models["st-text"] / "2_Dense").glob("*.safetensors"))))
    weight = dense["linear.weight"].numpy()
    bias = dense["linear.bias"].numpy()
    with torch.no_grad():
        for text, vector in zip(texts, ours, strict=True):
            hidden = model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0].numpy()
            np.testing.assert_allclose(vector, np.tanh(hidden.mean(axis=0) @ weight.T + bias), atol=1e-5)

    clip = encoders.get(f"hf:{tiny_models['clip']}")
    np.testing.assert_allclose(encoder.encode_image([IMAGE]), clip.encode_image([IMAGE]), atol=1e-5)
    assert "+" in encoder.meta.revision and encoder.meta.modalities == ("text", "image")


def test_st_clip_model_alone_encodes_both(tiny_models, tiny_st_models):
    encoder = encoders.get(f"st:{tiny_st_models['st-clip']}")
    clip = encoders.get(f"hf:{tiny_models['clip']}")
    assert encoders.supports_images(encoder)
    np.testing.assert_allclose(encoder.encode_text(["a cat"], language="en"),
                               clip.encode_text(["a cat"], language="en"), atol=1e-5)
    assert encoder.encode_text([], language="en").shape == (0, 24)


def test_st_text_only_and_errors(tiny_st_models, tiny_models, tmp_path):
    text_only = encoders.get(f"st:{tiny_st_models['st-text']}")
    assert not encoders.supports_images(text_only) and text_only.meta.modalities == ("text",)
    with pytest.raises(EncoderError, match="does not encode images"):
        encoders.get(f"st:{tiny_st_models['st-text']}+{tiny_st_models['st-text']}")
    with pytest.raises(EncoderError, match="could not load sentence-transformers model"):
        encoders.get(f"st:{tmp_path / 'missing'}")


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("ViT-B-32/laion2b_s34b_b79k", ("ViT-B-32", "laion2b_s34b_b79k")),
        ("xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k", ("xlm-roberta-base-ViT-B-32", "laion5b_s13b_b90k")),
        ("hf-hub:org/name", ("hf-hub:org/name", "")),
    ],
)
def test_open_clip_argument(argument, expected):
    assert parse_open_clip_argument(argument) == expected


def test_open_clip_bad_argument_and_missing_package(monkeypatch):
    with pytest.raises(EncoderError, match="expected open_clip:<architecture>/<pretrained>"):
        encoders.get("open_clip:ViT-B-32")
    monkeypatch.setitem(sys.modules, "open_clip", None)  # import open_clip -> ImportError
    with pytest.raises(EncoderError, match=r"pip install -e '\.\[clip\]' in the toolkit's checkout"):
        encoders.get("open_clip:ViT-B-32/openai")


def _stand_in_open_clip(calls: list):
    """The slice of open_clip's API the adapter uses, over a tiny torch model."""
    torch = need("torch")

    class Model(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.text = torch.nn.EmbeddingBag(100, 8)
            self.image = torch.nn.Linear(3, 8)

        def encode_text(self, tokens):
            return self.text(tokens)

        def encode_image(self, pixels):
            return self.image(pixels.mean(dim=(2, 3)))

    def preprocess(image):
        return torch.from_numpy(np.asarray(image.resize((4, 4)), dtype=np.float32).transpose(2, 0, 1) / 255)

    def tokenizer(texts):
        return torch.tensor([[len(word) % 100 for word in [*text.split(), "", ""][:3]] for text in texts])

    def create_model_and_transforms(architecture, pretrained=None, device=None):
        calls.append((architecture, pretrained, str(device)))
        return Model().to(device), None, preprocess

    return types.SimpleNamespace(
        create_model_and_transforms=create_model_and_transforms,
        get_tokenizer=lambda architecture: tokenizer, __version__="test",
    ), Model, preprocess, tokenizer


def test_open_clip_adapter_drives_the_open_clip_api(monkeypatch):
    torch = need("torch")
    calls: list = []
    module, _, preprocess, tokenizer = _stand_in_open_clip(calls)
    monkeypatch.setitem(sys.modules, "open_clip", module)
    encoder = encoders.get("open_clip:ViT-T/test_tag", batch_size=2, device="cpu")
    assert calls == [("ViT-T", "test_tag", "cpu")]
    texts = ["a cat", "un gato rojo", "x"]
    with torch.no_grad():
        expected_text = encoder.model.encode_text(tokenizer(texts)).numpy()
        expected_image = encoder.model.encode_image(torch.stack([preprocess(IMAGE)] * 3)).numpy()
    np.testing.assert_allclose(encoder.encode_text(texts, language="en"), expected_text, atol=1e-6)
    np.testing.assert_allclose(encoder.encode_image([IMAGE] * 3), expected_image, atol=1e-6)
    assert encoder.meta.embedding_dim == 8 and encoder.meta.extra["pretrained"] == "test_tag"
