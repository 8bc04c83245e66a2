"""The runner on the real XTD10 caption files (skipped when they are absent), with
generated stand-in images in a flat folder, since COCO cannot be fetched offline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from xtd10.benchmark import evaluate
from xtd10.data import read_images, resolve_source
from xtd10.encoders.protocol import EncoderMeta

pytestmark = pytest.mark.integration


class ImageIndexEncoder:
    """Knows which XTD10 image a caption belongs to (from the source), and reads the image
    index painted into each generated picture: retrieval is perfect except where the
    language's captions are shared between images."""

    def __init__(self, caption_to_image: dict[tuple[str, str], int], dim: int = 32):
        self.meta = EncoderMeta(name="oracle", spec="fake:oracle", revision="1", embedding_dim=dim,
                                modalities=("text", "image"))
        self.lookup = caption_to_image
        self.basis = np.random.default_rng(0).normal(size=(1000, dim))
        self.images_seen = 0

    def encode_text(self, texts, *, language):
        return self.basis[[self.lookup[(language, t)] for t in texts]]

    def encode_image(self, images):
        self.images_seen += len(images)
        return self.basis[[int(img.getpixel((0, 0))[0]) * 4 + int(img.getpixel((0, 0))[1]) // 64 for img in images]]


def test_image_track_on_real_captions_with_generated_images(real_source, tmp_path):
    from xtd10.data import load_frame

    source = resolve_source(real_source)
    entries = read_images(source)
    folder = tmp_path / "images"
    folder.mkdir()
    for entry in entries:  # encode the index in the first pixel: red = i // 4, green = (i % 4) * 64
        # PNG bytes under the .jpg name: lossless, and PIL detects the format from content
        Image.new("RGB", (4, 4), (entry.index // 4, (entry.index % 4) * 64, 0)).save(folder / entry.file_name,
                                                                                          format="PNG")
    frame = load_frame(["en", "de"], source=source)
    lookup = {(row.language, row.caption): row.index for row in frame.itertuples()}
    encoder = ImageIndexEncoder(lookup)
    result = evaluate(encoder, languages="en,de", tracks="both", images=folder, source=source,
                      bootstrap=0, progress=False)
    assert encoder.images_seen == 1000  # once, for 2 languages x 2 directions x 2 subsets
    n = {(r["subset"], r["direction"]): r["n_queries"] for r in result.metrics
         if r["language"] == "de" and r["metric"] == "R@1"}
    assert n[("all", "t2i")] == n[("all", "i2t")] == 1000
    assert n[("val2014", "t2i")] == 200
    assert result.value("image", "t2i", "de", "all", "R@1") > 0.95
    assert result.value("text", "x2en", "de", "val2014", "R@1") > 0.95
    assert result.dataset["revision"] and set(result.dataset["file_sha256"]) >= {"XTD10/test_image_names.txt"}
