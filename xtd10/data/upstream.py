"""Facts about the pinned upstream release of XTD10.

The checksums are those of the files at the pinned commit (recorded when the files were
copied byte for byte); any source claiming to be that commit must reproduce them.
"""

from __future__ import annotations

from xtd10.schema import XTD10

UPSTREAM_REPO = "adobe-research/Cross-lingual-Test-Dataset-XTD10"
UPSTREAM_COMMIT: str = XTD10.revision  # type: ignore[assignment]  # declared once, in the descriptor
UPSTREAM_BASE_URL = f"https://raw.githubusercontent.com/{UPSTREAM_REPO}/{UPSTREAM_COMMIT}"
UPSTREAM_WEB_URL = f"https://github.com/{UPSTREAM_REPO}/tree/{UPSTREAM_COMMIT}"
LICENSE_NAME = "Adobe Research License"
LICENSE_SHORT = "Adobe Research License (noncommercial research use only)"
LICENSE_URL = f"https://github.com/{UPSTREAM_REPO}/blob/{UPSTREAM_COMMIT}/LICENSE.md"

IMAGE_LIST_PATH = "XTD10/test_image_names.txt"
LICENSE_PATH = "LICENSE.md"
README_PATH = "README.md"

# sha256 of every file at UPSTREAM_COMMIT.
UPSTREAM_SHA256: dict[str, str] = {
    "LICENSE.md": "f9908a6ae7d75e49452013687f4db397b035d7bb69f3975961eb739e878a83bf",
    "README.md": "7632ce5d99130a684ea65270edb62de2200eb5f6b043837f8d15115b1ee34fe2",
    "MIC/test_1kcaptions_de.txt": "51f1e9fe05d85b7cd33543676ed2fea51b05399cc403a5fca557ca7ecdb9a207",
    "MIC/test_1kcaptions_fr.txt": "84aa16954706a0f654b59788ffb6a3bcb1b1d9d12dc9d7a3de26730bc04664b5",
    "STAIR/test_1kcaptions_jp.txt": "20908aa5763ee7b1bacc1f29aa507532d3dc6a7e6a8c43e6acd2ec72d1e80c10",
    "XTD10/test_1kcaptions_en.txt": "ac5531b6842c1d469fba80aa6f44e2af054e84a41da8f9eaf01d831e943039b9",
    "XTD10/test_1kcaptions_es.txt": "cacc43d4e7af56b02033865531ea70494049f1d0dd3ea89ff2a217e7e190c4f2",
    "XTD10/test_1kcaptions_it.txt": "b4095d3550eb1accf8c9c78314b4bef45847a3929b5c5fe15a1264ea31dec7cc",
    "XTD10/test_1kcaptions_ko.txt": "92d35e082cd081724560c9abdb2b45753ceb52aaabddb9a0f79dc04967a36800",
    "XTD10/test_1kcaptions_pl.txt": "b6af6b7941f44e902b50736dcf9a7221af28e755a259511652c599cf6ae89c78",
    "XTD10/test_1kcaptions_ru.txt": "7d93631ff85b53592091b3cbfd9ca963397e77038fb3d0fdd9374b1b02ae98a3",
    "XTD10/test_1kcaptions_tr.txt": "147e9763dcb6e6ebba0b98fc799f0145c7d90005fa03ca8ec5a7cf29a04dd136",
    "XTD10/test_1kcaptions_zh.txt": "17229ff02ac85dd2d165f8316515a24fbe5100dbf486c22aaa12105dfb3353bf",
    "XTD10/test_image_names.txt": "504a472dfd40e44f2d0facd6320b9dc1c7d64c58aac9840f0b1da4807cb3a30a",
}

NUM_IMAGES = 1000
COCO_IMAGE_URL = "http://images.cocodataset.org/{split}/{file_name}"
