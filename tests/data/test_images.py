import shutil

import datasets
import pytest

import xtd10
from tests.data.conftest import FAST_RETRY, IMAGE_NAMES, jpeg_bytes
from tests.data.loopback import LoopbackServer
from xtd10.data.images import resolve_images
from xtd10.errors import ImagesUnavailableError


def test_images_from_coco_root(tiny_source, image_dir):
    ds = xtd10.load("fr", source=tiny_source, images=str(image_dir))
    assert isinstance(ds.features["image"], datasets.Image)
    assert ds[2]["image"].size == (32, 24)


def test_images_from_flat_folder(tiny_source, image_dir, tmp_path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for path in image_dir.rglob("*.jpg"):
        shutil.copy(path, flat / path.name)
    paths = resolve_images(IMAGE_NAMES, flat, progress=False)
    assert set(paths) == set(IMAGE_NAMES)


def test_missing_and_corrupt_are_listed_not_dropped(image_dir):
    (image_dir / "val2014" / IMAGE_NAMES[3]).unlink()
    corrupt = image_dir / "train2014" / IMAGE_NAMES[1]
    corrupt.write_bytes(corrupt.read_bytes()[:200])  # truncated JPEG
    with pytest.raises(ImagesUnavailableError) as err:
        resolve_images(IMAGE_NAMES, image_dir, progress=False)
    assert err.value.missing == [IMAGE_NAMES[3]]
    assert err.value.corrupt == [IMAGE_NAMES[1]]
    assert "1 missing" in str(err.value) and "1 corrupt" in str(err.value)


def test_download_over_loopback_with_retry_resume_and_cache(tmp_path, image_dir, monkeypatch):
    with LoopbackServer(image_dir) as server:
        monkeypatch.setenv("XTD10_IMAGE_URL", server.url)
        server.faults.fail_times[f"train2014/{IMAGE_NAMES[0]}"] = (500, 1)
        server.faults.cut_after[f"val2014/{IMAGE_NAMES[2]}"] = 100
        paths = resolve_images(IMAGE_NAMES, True, retry=FAST_RETRY, progress=False)
        assert all(p.read_bytes() == jpeg_bytes(i) for i, p in enumerate(paths[n] for n in IMAGE_NAMES))
        assert server.hits(f"train2014/{IMAGE_NAMES[0]}") == 2
        ranges = [r for p, r in server.requests if p == f"val2014/{IMAGE_NAMES[2]}"]
        assert ranges == [None, "bytes=100-"]
        before = len(server.requests)
        resolve_images(IMAGE_NAMES, True, retry=FAST_RETRY, progress=False)
        assert len(server.requests) == before  # all from cache


def test_download_reports_missing_and_corrupt(image_dir, monkeypatch):
    (image_dir / "val2014" / IMAGE_NAMES[3]).unlink()
    (image_dir / "val2014" / IMAGE_NAMES[2]).write_bytes(b"not a jpeg at all")
    with LoopbackServer(image_dir) as server, pytest.raises(ImagesUnavailableError) as err:
        resolve_images(IMAGE_NAMES, server.url, retry=FAST_RETRY, progress=False)
    assert err.value.missing == [IMAGE_NAMES[3]]
    assert err.value.corrupt == [IMAGE_NAMES[2]]


def test_a_file_or_a_missing_folder_is_named_as_such(image_dir, tmp_path):
    from xtd10.errors import XTD10Error

    a_file = next(p for p in image_dir.rglob("*.jpg"))
    with pytest.raises(XTD10Error, match=r"is a file; pass the folder holding the images"):
        resolve_images(IMAGE_NAMES, a_file, progress=False)
    with pytest.raises(XTD10Error, match=r"image directory .*nowhere does not exist"):
        resolve_images(IMAGE_NAMES, tmp_path / "nowhere", progress=False)
