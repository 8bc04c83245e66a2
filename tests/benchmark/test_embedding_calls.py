"""How the embedding store hands captions to encoders: whole chunks to encoders that batch by
themselves (so they can group captions of similar length), batch_size slices to the rest."""

from __future__ import annotations

import numpy as np

from xtd10.benchmark.embeddings import EmbeddingStore
from xtd10.encoders.protocol import EncoderMeta


class Recording:
    def __init__(self, batch_size=None):
        self.meta = EncoderMeta(name="rec", spec="rec", revision="1", embedding_dim=4)
        if batch_size is not None:
            self.batch_size = batch_size
        self.calls: list[int] = []

    def encode_text(self, texts, *, language):
        self.calls.append(len(texts))
        return np.asarray([[len(t), 1.0, i % 3, 2.0] for i, t in enumerate(texts)], dtype=np.float32)


def test_self_batching_encoders_get_whole_chunks_and_the_same_vectors(tmp_path):
    texts = [f"caption {'x' * (i % 7)}" for i in range(25)]
    plain, batching = Recording(), Recording(batch_size=4)
    a = EmbeddingStore(plain, batch_size=4, cache=False, root=tmp_path, chunk_size=10, progress=False)
    b = EmbeddingStore(batching, batch_size=4, cache=False, root=tmp_path, chunk_size=10, progress=False)
    first, second = a.texts(texts, "en"), b.texts(texts, "en")
    assert plain.calls == [4, 4, 2, 4, 4, 2, 4, 1]
    assert batching.calls == [10, 10, 5]
    lengths = np.array([len(t) for t in texts], dtype=np.float32)  # column 0 before normalising
    np.testing.assert_allclose(second[:, 0] / second[:, 3] * 2.0, lengths, rtol=1e-5)
    assert first.shape == second.shape == (25, 4)
