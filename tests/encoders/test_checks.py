"""The checks at the encoder boundary: inputs an adapter refuses, outputs the harness refuses,
each error naming the encoder."""

from __future__ import annotations

import numpy as np
import pytest

from xtd10.encoders.checks import check_batch_size, check_texts, validate_embeddings
from xtd10.encoders.protocol import EncoderError


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "8"])
def test_batch_size_must_be_a_positive_int(bad):
    with pytest.raises(EncoderError, match="'m': batch_size must be a positive integer"):
        check_batch_size(bad, "m")


def test_check_texts_names_the_bad_position():
    assert check_texts(("a", "b"), "m") == ["a", "b"]
    with pytest.raises(EncoderError, match="text 1 is a int"):
        check_texts(["a", 3], "m")


def test_validate_embeddings_accepts_and_converts():
    values = validate_embeddings(np.arange(6, dtype=np.float64).reshape(3, 2), 3, "demo")
    assert values.dtype == np.float32 and values.flags.c_contiguous
    np.testing.assert_array_equal(values, np.arange(6).reshape(3, 2))
    assert validate_embeddings([[1, 2]], 1, "demo", dim=2).shape == (1, 2)


@pytest.mark.parametrize(
    ("array", "n", "dim", "pattern"),
    [
        (np.zeros((3,)), 3, None, r"shape \(3,\); expected \(3, d\)"),
        (np.zeros((2, 2, 2)), 2, None, r"shape \(2, 2, 2\)"),
        (np.zeros((2, 4)), 3, None, "returned 2 embeddings for 3 inputs"),
        (np.zeros((3, 4)), 3, 5, "returned 4-d embeddings; expected 5-d"),
        (np.zeros((3, 0)), 3, None, "zero-dimensional"),
        (np.array([["a", "b"]]), 1, None, "non-numeric"),
        (np.array([[0.0, np.nan], [1.0, 1.0], [np.inf, 0.0]]), 3, None, r"NaN or infinite values in 2 row\(s\): 0, 2"),
        (np.array([[1e300, 0.0]]), 1, None, "NaN or infinite"),  # overflows float32
    ],
)
def test_validate_embeddings_errors_name_the_encoder(array, n, dim, pattern):
    with pytest.raises(EncoderError, match=pattern) as caught:
        validate_embeddings(array, n, "my-model", dim=dim)
    assert "'my-model'" in str(caught.value)
