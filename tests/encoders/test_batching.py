"""Batching helpers shared by every adapter."""

from __future__ import annotations

import numpy as np
import pytest

from xtd10.encoders.batching import encode_in_batches


@pytest.mark.parametrize("progress", [False, True])
def test_batches_keep_order_and_size(progress):
    seen: list[int] = []

    def encode(batch):
        seen.append(len(batch))
        return np.array([[float(x), 2.0 * x] for x in batch])

    out = encode_in_batches(list(range(7)), encode, batch_size=3, dim=2, progress=progress)
    assert seen == [3, 3, 1]
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 0], np.arange(7))
    assert encode_in_batches([], encode, batch_size=3, dim=2).shape == (0, 2)
