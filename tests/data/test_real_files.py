"""Integration on the real caption files (skipped with a reason when absent)."""

import xtd10
from xtd10.data import LocalSource
from xtd10.data.upstream import UPSTREAM_COMMIT, UPSTREAM_SHA256
from xtd10.languages import REGISTRY


def _file_lines(path):
    return path.read_bytes().decode("utf-8").replace("\r\n", "\n").rstrip("\n").split("\n")


def test_eleven_languages_by_1000_rows(real_source):
    dd = xtd10.load(source=real_source)
    assert list(dd) == list(xtd10.XTD10_CODES)
    for code, ds in dd.items():
        lines = _file_lines(real_source / REGISTRY.get(code).upstream_path)
        assert len(ds) == 1000, code
        assert ds[0]["caption"] == lines[0], code
        assert ds[999]["caption"] == lines[-1], code


def test_800_train_200_val(real_source):
    frame = xtd10.load_frame("en", source=real_source)
    assert frame["coco_split"].value_counts().to_dict() == {"train2014": 800, "val2014": 200}
    assert (frame["coco_split"].iloc[800:] == "val2014").all()
    assert len(xtd10.load("ko", source=real_source, subset="val2014")) == 200


def test_real_files_are_the_pinned_release(real_source):
    assert LocalSource(real_source).revision(list(UPSTREAM_SHA256)) == UPSTREAM_COMMIT
