from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from tests.data.loopback import LoopbackServer
from xtd10.data.http import RetryPolicy
from xtd10.languages import BUILTIN_LANGUAGES

FAST_RETRY = RetryPolicy(attempts=4, backoff_base=0.01, backoff_max=0.05, timeout=5)

IMAGE_NAMES = [
    "COCO_train2014_000000000009.jpg",
    "COCO_train2014_000000000025.jpg",
    "COCO_val2014_000000000042.jpg",
    "COCO_val2014_000000000073.jpg",
]


def jpeg_bytes(seed: int) -> bytes:
    img = Image.new("RGB", (32, 24), (seed * 40 % 256, 90, 200 - seed * 30 % 200))
    buf = io.BytesIO()
    img.save(buf, format="JPEG")
    return buf.getvalue()


def write_tiny_source(root: Path, *, crlf_langs=("es",), names=IMAGE_NAMES) -> Path:
    """A small source in the upstream layout: len(names) images, captions '<code> caption i'."""
    (root / "XTD10").mkdir(parents=True, exist_ok=True)
    (root / "XTD10" / "test_image_names.txt").write_text("".join(f"{n}\n" for n in names))
    for lang in BUILTIN_LANGUAGES:
        path = root / lang.upstream_path
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"{lang.code} caption {i}" for i in range(len(names))]
        if lang.code in crlf_langs:
            path.write_bytes("\r\n".join(lines).encode())  # CRLF, no final newline (as upstream)
        else:
            path.write_bytes(("\n".join(lines) + "\n").encode())
    (root / "LICENSE.md").write_text("Adobe Research License (test stand-in)\n")
    return root


@pytest.fixture
def tiny_source(tmp_path) -> Path:
    return write_tiny_source(tmp_path / "src")


@pytest.fixture
def image_dir(tmp_path) -> Path:
    """COCO-root layout with one corrupt and one missing image."""
    root = tmp_path / "coco"
    for i, name in enumerate(IMAGE_NAMES):
        split = "train2014" if "train2014" in name else "val2014"
        (root / split).mkdir(parents=True, exist_ok=True)
        (root / split / name).write_bytes(jpeg_bytes(i))
    return root


@pytest.fixture
def served_real_source(real_source, tmp_path):
    copy = tmp_path / "served"
    shutil.copytree(real_source, copy)
    with LoopbackServer(copy) as server:
        yield server
