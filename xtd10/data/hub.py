"""Building a Hub-native dataset folder (parquet + card + licence) and pushing it.

The folder is exactly what a Hugging Face dataset repository should contain, so
``datasets.load_dataset(folder, "es", split="test")`` works on it offline and the same
folder can be uploaded unchanged. Images, when included, are embedded as bytes: a
parquet file holding only paths would break as soon as the image folder moved.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import datasets
import pandas as pd

from xtd10.data.card import CardInputs, ConfigInfo, licence_text, render_card
from xtd10.data.images import ImagesArg, resolve_images
from xtd10.data.loading import FEATURES
from xtd10.data.sources import Source, resolve_source
from xtd10.data.table import descriptor_named, load_frame
from xtd10.errors import HubError, XTD10Error, first_line
from xtd10.files import atomic_open, atomic_write_text
from xtd10.schema import XTD10, DatasetDescriptor

log = logging.getLogger(__name__)

IMAGE_FEATURES = datasets.Features(
    {
        "image_id": datasets.Value("int64"),
        "file_name": datasets.Value("string"),
        "coco_split": datasets.Value("string"),
        "image": datasets.Image(),
    }
)


@dataclass
class BuildReport:
    out: Path
    revision: str
    configs: list[ConfigInfo]
    with_images: bool


def _features_yaml(features: datasets.Features) -> list[dict]:
    out = []
    for name, feature in features.items():
        dtype = "image" if isinstance(feature, datasets.Image) else feature.dtype
        out.append({"name": name, "dtype": dtype})
    return out


def _write_parquet(frame: pd.DataFrame, features: datasets.Features, path: Path) -> int:
    """Write one config's parquet file; returns its Arrow size for the card's ``num_bytes``."""
    ds = datasets.Dataset.from_pandas(frame, features=features, preserve_index=False)
    quiet = not datasets.utils.are_progress_bars_disabled()
    if quiet:
        datasets.utils.disable_progress_bars()
    try:
        with atomic_open(path, "wb") as handle:
            ds.to_parquet(handle)
    finally:
        if quiet:
            datasets.utils.enable_progress_bars()
    return int(ds.data.nbytes)


def _image_cells(names: Iterable[str], paths: dict[str, Path]) -> list[dict]:
    return [{"bytes": paths[name].read_bytes(), "path": name} for name in names]


def build_hub_dataset(
    out: str | os.PathLike,
    *,
    source: str | Source | None = None,
    languages: str | Iterable[str] | None = None,
    images: ImagesArg = None,
    known_issues: list[dict] | None = None,
    dataset: str | DatasetDescriptor = XTD10,
) -> BuildReport:
    """Write a Hub dataset repository for ``dataset`` (XTD10, XTD200, Flickr30k-200) into ``out``.

    Per-language configs (with embedded images when ``images`` is given), an ``all``
    config in long format (text only, so image bytes are not stored eleven times), an
    ``images`` config with the 1000 images when images are included, the card and the
    upstream licence (or, where the release has none, the terms the descriptor states).
    ``known_issues`` (rows from :func:`xtd10.crowd.audit.known_issues_table`) adds the crowd
    audit's findings to the card.
    """
    out = Path(out)
    descriptor = descriptor_named(dataset)
    src = resolve_source(source, descriptor)
    frame = load_frame(languages, source=src, dataset=descriptor)
    codes = list(dict.fromkeys(frame["language"]))
    registry = src.registry
    revision = src.revision(src.relpaths(codes))
    image_paths = None
    if images:
        image_paths = resolve_images(list(dict.fromkeys(frame["file_name"])), images, source=src)

    lang_features = FEATURES.copy()
    if image_paths is not None:
        lang_features["image"] = datasets.Image()
    configs: list[ConfigInfo] = []
    for code in codes:
        part = frame[frame["language"] == code].reset_index(drop=True)
        if image_paths is not None:
            part = part.assign(image=_image_cells(part["file_name"], image_paths))
        rel = f"data/{code}/test.parquet"
        size = _write_parquet(part, lang_features, out / rel)
        lang = registry.get(code)
        configs.append(ConfigInfo(code, rel, len(part), size, _features_yaml(lang_features),
                                  f"{lang.name} captions" + (" with images" if image_paths else "")))
    rel = "data/all/test.parquet"
    size = _write_parquet(frame, FEATURES, out / rel)
    configs.append(ConfigInfo("all", rel, len(frame), size, _features_yaml(FEATURES),
                              "every language, one row per caption (long format, no image bytes)"))
    if image_paths is not None:
        imgs = frame.drop_duplicates("file_name")[["image_id", "file_name", "coco_split"]].reset_index(drop=True)
        imgs = imgs.assign(image=_image_cells(imgs["file_name"], image_paths))
        rel = "data/images/test.parquet"
        size = _write_parquet(imgs, IMAGE_FEATURES, out / rel)
        configs.append(ConfigInfo("images", rel, len(imgs), size, _features_yaml(IMAGE_FEATURES),
                                  f"the {'COCO ' if descriptor.image_kind == 'coco2014' else ''}images once each, "
                                  "to join on `image_id`"))

    audit_rows = list(known_issues or [])
    counts = frame.groupby("language", sort=False).size().to_dict()
    card = render_card(CardInputs([registry.get(c) for c in codes], configs, revision, counts,
                                  image_paths is not None, audit_rows, src.descriptor))
    atomic_write_text(out / "README.md", card)
    if descriptor.licence_file:
        with atomic_open(out / "LICENSE.md", "wb") as handle:
            handle.write(src.path(descriptor.licence_file).read_bytes())
    else:
        atomic_write_text(out / "LICENSE.md", licence_text(descriptor))
    log.info("built %s (%d configs, revision %s)", out, len(configs), revision)
    return BuildReport(out, revision, configs, image_paths is not None)


def push_hub_dataset(
    folder: str | os.PathLike, repo_id: str, *, private: bool = True,
    commit_message: str = "Upload XTD10 built with the xtd10 toolkit", token: str | None = None,
) -> str:
    """Upload a built folder to the Hub as a dataset repository; returns the commit URL.

    Kept thin on purpose: it cannot be exercised against the real Hub from here. Failures a
    user can act on (no network, not logged in, no write access) become one-line
    :class:`HubError` messages instead of an HTTP client's traceback.
    """
    folder = Path(folder)
    if not (folder / "README.md").is_file() or not (folder / "LICENSE.md").is_file():
        raise XTD10Error(f"{folder} is not a built XTD10 folder (README.md and LICENSE.md missing); "
                         "run `xtd10 data build` first")
    from huggingface_hub import HfApi

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 commit_message=commit_message)
    except Exception as err:
        message = push_failure(repo_id, api.endpoint, err)
        if message is None:
            raise
        raise HubError(message) from None
    return str(getattr(info, "commit_url", info))


LOGIN_HINT = "log in with `hf auth login` (older huggingface_hub: `huggingface-cli login`) or set HF_TOKEN"
# Transport failures of the HTTP clients huggingface_hub has used (httpx, httpx2, requests),
# by class name so that no particular client has to be importable here.
_TRANSPORT_ERRORS = frozenset({"TransportError", "NetworkError", "TimeoutException", "ConnectError", "ConnectTimeout",
                               "ProxyError", "ConnectionError", "Timeout"})


def push_failure(repo_id: str, endpoint: str, err: Exception) -> str | None:
    """One line for an upload that failed for a reason the user can act on (network, login,
    permissions, a bad repo id); None for anything else, which is re-raised as it is."""
    what = f"push to {repo_id} failed"
    detail = first_line(err)
    status = getattr(getattr(err, "response", None), "status_code", None)
    names = {cls.__name__ for cls in type(err).__mro__}
    if "OfflineModeIsEnabled" in names:
        return f"{what}: offline mode is on (HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE is set); unset it to upload to {endpoint}"
    if "LocalTokenNotFoundError" in names:
        return f"{what}: no Hugging Face token; {LOGIN_HINT}"
    if isinstance(status, int):
        if status == 401:
            return f"{what}: {endpoint} answered HTTP 401 Unauthorized (no valid token); {LOGIN_HINT}"
        if status == 403:
            return (f"{what}: {endpoint} answered HTTP 403 Forbidden (the token may not write to {repo_id} or "
                    f"create repositories in its namespace); {LOGIN_HINT} with a token that has write access")
        return f"{what}: {endpoint} answered HTTP {status}: {detail}"
    if names & _TRANSPORT_ERRORS or isinstance(err, (ConnectionError, TimeoutError)):
        return f"{what}: cannot reach {endpoint} ({type(err).__name__}: {detail})"
    if isinstance(err, ValueError):  # invalid repo id and similar, raised before any request
        return f"{what}: {detail}"
    return None


