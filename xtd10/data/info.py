"""A summary of the dataset and of where it would be read from (``xtd10 data info``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from xtd10.cache import cache_root
from xtd10.data.images import image_cache_dir
from xtd10.data.sources import Source, UrlSource, resolve_source
from xtd10.data.table import descriptor_named, load_frame
from xtd10.schema import XTD10, DatasetDescriptor


@dataclass
class DatasetInfo:
    source: dict
    available: bool
    revision: str | None
    languages: list[dict]
    images: dict[str, int] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)
    note: str = ""


def dataset_info(source: str | Source | None = None, *, fetch: bool = False,
                 dataset: str | DatasetDescriptor = XTD10) -> DatasetInfo:
    """Describe the dataset. With the pinned upstream not yet cached and ``fetch`` false,
    nothing is downloaded: the summary says what is missing instead of touching the network."""
    descriptor = descriptor_named(dataset)
    src = resolve_source(source, descriptor)
    pinned = src.release.file_sha256
    cached_images = len(list(image_cache_dir().glob("*.jpg"))) if image_cache_dir().is_dir() else 0
    cache = {"root": str(cache_root()), "images_cached": cached_images}
    if isinstance(src, UrlSource):
        state = src.cached()
        cache["caption_files_cached"] = sum(state.values())
        cache["caption_files_total"] = len(state)
        if not fetch and not all(state.values()):
            languages = [_lang_row(lang, None, pinned) for lang in src.registry]
            return DatasetInfo(src.describe(), False, src.release.commit, languages, {}, cache,
                               note="caption files not cached yet: run `xtd10 data info --fetch` "
                               "(network) or point --source / XTD10_SOURCE at a local copy")
    frame = load_frame(source=src, dataset=descriptor)
    counts = frame.groupby("language", sort=False).size().to_dict()
    images = frame.drop_duplicates("index")["coco_split"].value_counts().to_dict()
    revision = src.revision(src.relpaths(counts))
    languages = [_lang_row(src.registry.get(code), n, pinned) for code, n in counts.items()]
    note = "" if revision == src.release.commit else (
        "files differ from the pinned upstream release (or add languages): revision is a local fingerprint"
    )
    return DatasetInfo(src.describe(), True, revision, languages,
                       {"total": int(sum(images.values())), **{k: int(v) for k, v in images.items()}},
                       cache, note)


def _lang_row(lang, captions: int | None, pinned) -> dict:
    return {"code": lang.code, "name": lang.name, "script": lang.script,
            "provenance": lang.provenance, "captions": captions,
            "pinned_file": lang.upstream_path in pinned}
