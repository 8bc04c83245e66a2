"""Images decoded ahead on threads: same images, in order, a bounded window held, errors kept."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from xtd10.benchmark.decoding import ImagePrefetcher


@pytest.fixture
def image_files(tmp_path):
    paths = []
    for i in range(10):
        path = tmp_path / f"{i}.jpg"
        Image.new("RGB", (8, 6), (i * 20, 0, 0)).save(path)
        paths.append(path)
    return paths


def test_batches_come_back_decoded_and_in_order_with_a_bounded_window(image_files):
    with ImagePrefetcher(image_files, ahead=3, workers=2) as prefetcher:
        first = prefetcher.take(image_files[0:4])
        assert len(prefetcher._futures) <= 3  # only the window ahead is held
        # a skipped run (a chunk served from the cache) is never asked for
        last = prefetcher.take(image_files[7:10])
        assert not prefetcher._futures
    reds = [int(np.asarray(image)[0, 0, 0]) for image in first + last]
    expected = [int(np.asarray(Image.open(p).convert("RGB"))[0, 0, 0]) for p in image_files[:4] + image_files[7:]]
    assert reds == expected and all(image.mode == "RGB" for image in first)


def test_a_corrupt_image_raises_when_its_batch_is_taken(image_files):
    image_files[5].write_bytes(b"not a jpeg")
    with ImagePrefetcher(image_files, ahead=8) as prefetcher:
        assert len(prefetcher.take(image_files[:5])) == 5  # decoding 5 ahead does not fail this batch
        with pytest.raises(Exception, match="cannot identify image file"):
            prefetcher.take(image_files[5:7])


def test_batches_out_of_order_are_refused(image_files):
    with ImagePrefetcher(image_files) as prefetcher:
        prefetcher.take(image_files[4:6])
        with pytest.raises(ValueError, match="not a run"):
            prefetcher.take(image_files[0:2])


def test_an_encoders_preparation_runs_on_the_threads_and_is_used_by_the_store(image_files, tmp_path):
    import threading

    from xtd10.benchmark.embeddings import EmbeddingStore
    from xtd10.encoders.protocol import EncoderMeta

    class Split:
        meta = EncoderMeta(name="split", spec="split", revision="1", embedding_dim=2, modalities=("text", "image"))

        def __init__(self):
            self.threads: set[str] = set()

        def prepare_image(self, image):
            self.threads.add(threading.current_thread().name)
            return float(np.asarray(image)[0, 0, 0])

        def encode_prepared(self, reds):
            return np.asarray([[red + 1.0, 1.0] for red in reds])

        def encode_image(self, images):  # the path the store must not take
            raise AssertionError("encode_image called although the encoder prepares its images")

        def encode_text(self, texts, *, language):
            return np.ones((len(texts), 2))

    encoder = Split()
    vectors = EmbeddingStore(encoder, batch_size=4, cache=False, root=tmp_path, progress=False).images(image_files)
    reds = np.array([np.asarray(Image.open(p).convert("RGB"))[0, 0, 0] for p in image_files], dtype=np.float32) + 1
    np.testing.assert_allclose(vectors[:, 0] / vectors[:, 1], reds, rtol=1e-5)
    assert encoder.threads and all(name.startswith("xtd10-decode") for name in encoder.threads)
