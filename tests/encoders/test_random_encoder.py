"""The ``random`` encoder: deterministic per content and seed, independent of batching."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import xtd10.encoders as encoders
from xtd10.encoders import EncoderError


def test_same_content_same_vector_regardless_of_batch():
    encoder = encoders.get("random", seed=3)
    texts = ["a dog", "un perro", "a dog", "ein Hund"]
    together = encoder.encode_text(texts, language="en")
    one_by_one = np.concatenate([encoder.encode_text([t], language="en") for t in reversed(texts)])[::-1]
    assert together.dtype == np.float32 and together.shape == (4, 512)
    np.testing.assert_array_equal(together, one_by_one)
    np.testing.assert_array_equal(together[0], together[2])
    assert not np.allclose(together[0], together[1])


def test_seed_changes_the_vectors_and_a_new_instance_reproduces_them():
    a = encoders.get("random", seed=1).encode_text(["x"], language="en")
    b = encoders.get("random", seed=2).encode_text(["x"], language="en")
    again = encoders.get("random", seed=1).encode_text(["x"], language="en")
    assert not np.allclose(a, b)
    np.testing.assert_array_equal(a, again)


def test_images_hash_pixels_not_identity():
    encoder = encoders.get("random", dim=16)
    red = Image.new("RGB", (8, 8), (255, 0, 0))
    red_copy = Image.new("RGB", (8, 8), (255, 0, 0))
    blue = Image.new("RGB", (8, 8), (0, 0, 255))
    vectors = encoder.encode_image([red, red_copy, blue])
    assert vectors.shape == (3, 16)
    np.testing.assert_array_equal(vectors[0], vectors[1])
    assert not np.allclose(vectors[0], vectors[2])
    assert encoder.encode_image([]).shape == (0, 16)


def test_vectors_look_like_chance():
    """Distinct inputs give nearly orthogonal vectors in high dimension (|cos| small)."""
    vectors = encoders.get("random", dim=2048).encode_text([f"caption {i}" for i in range(50)], language="en")
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    cosines = unit @ unit.T - np.eye(50)
    assert np.abs(cosines).max() < 0.15


def test_bad_arguments():
    with pytest.raises(EncoderError, match="dim must be a positive integer"):
        encoders.get("random", dim=0)
    with pytest.raises(EncoderError, match="list of strings"):
        encoders.get("random").encode_text("one string", language="en")
    with pytest.raises(EncoderError, match="expected a PIL"):
        encoders.get("random").encode_image([np.zeros((2, 2, 3))])
