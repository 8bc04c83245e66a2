"""Facts about the pinned upstream release of XTD10, named for the code that is about XTD10
alone (its Hub build, the crowd tools). All of them are read from the XTD10 descriptor
(:data:`xtd10.schema.XTD10`), where the checksums of every file are recorded; code that
serves any dataset reads the descriptor it is given instead.
"""

from __future__ import annotations

from xtd10.schema import XTD10, Release

_RELEASE: Release = XTD10.release  # type: ignore[assignment]  # XTD10 always has one
UPSTREAM_REPO = _RELEASE.repo
UPSTREAM_COMMIT: str = _RELEASE.commit
LICENSE_NAME = "Adobe Research License"

# sha256 of every file at UPSTREAM_COMMIT.
UPSTREAM_SHA256: dict[str, str] = dict(_RELEASE.file_sha256)

COCO_IMAGE_URL = "http://images.cocodataset.org/{split}/{file_name}"
