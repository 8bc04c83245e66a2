"""``evaluate``: score one encoder on XTD10 (or the demo set), every language, both tracks.

Order of work, chosen for speed and fairness:

1. every image is encoded once (cached), every caption once per language (cached);
2. each (track, direction, language, subset) cell is scored from those embeddings with a
   blocked dot product, giving per-query ranks;
3. metrics and seeded bootstrap intervals come from the per-query ranks; the same seed is
   used for every cell, so languages with aligned queries (query i = image i) share their
   resamples and the interval of the language average is a proper paired one.

Steps 2 and 3 live in :mod:`xtd10.benchmark.scoring`; this module loads, encodes and
assembles the result.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from xtd10 import __version__
from xtd10.benchmark.dataset import BenchData, BenchmarkError, load_bench_data
from xtd10.benchmark.embeddings import EmbeddingStore
from xtd10.benchmark.hardware import describe_hardware
from xtd10.benchmark.metrics import check_bootstrap_size, check_ks
from xtd10.benchmark.progress import RunProgress
from xtd10.benchmark.public_paths import public_command, public_name, public_source, public_spec
from xtd10.benchmark.result import per_query_entry
from xtd10.benchmark.scoring import Cell, metric_rows, score_cells
from xtd10.encoders.protocol import EncoderError, EncoderMeta, supports_images
from xtd10.encoders.registry import ADAPTERS, build, parse_spec
from xtd10.languages import ENGLISH
from xtd10.schema import (
    BOTH_TRACKS,
    DEFAULT_KS,
    IMAGE_TRACK,
    SUBSET_ALL,
    TEXT_TRACK,
    TRACKS,
    XTD10,
    Result,
    dataset_descriptor,
)

if TYPE_CHECKING:
    from xtd10.data.images import ImagesArg
    from xtd10.data.sources import SourceArg

log = logging.getLogger(__name__)

TRACK_NAMES = tuple(TRACKS)


def normalise_tracks(tracks: str | Iterable[str]) -> list[str]:
    if isinstance(tracks, str):
        tracks = list(TRACKS) if tracks in (BOTH_TRACKS, "all") else [t for t in tracks.split(",") if t]
    out = []
    for track in tracks:
        if track not in TRACKS:
            raise BenchmarkError(f"unknown track {track!r}; choose image, text or both")
        if track not in out:
            out.append(track)
    if not out:
        raise BenchmarkError("no track selected")
    return out


def build_encoder(spec: str, *, device: str | None = None, batch_size: int | None = None,
                  trust_code: bool = False, precision: str | None = None) -> object:
    """``build(spec)``, passing ``device``/``batch_size``/``precision`` only to adapters that
    take them (``trust_code``: see :func:`xtd10.encoders.build`). An adapter without a
    precision setting (mUSE, e5-small: numpy and C engines) runs as it always does, with a
    warning when another precision was asked for, so that a sweep at bf16 still scores them."""
    prefix, _ = parse_spec(spec)
    options = {"device": device, "batch_size": batch_size, "precision": precision}
    adapter = ADAPTERS.get(prefix)
    accepted: set[str] = set()
    if adapter is not None:
        params = inspect.signature(adapter.factory).parameters
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
            accepted = set(options)
        else:
            accepted = set(params)
    if precision not in (None, "fp32") and "precision" not in accepted:
        log.warning("encoder %s has no precision setting; ignoring precision=%r", spec, precision)
    return build(spec, trust_code=trust_code,
                 **{k: v for k, v in options.items() if v is not None and k in accepted})


def _resolve(data: BenchData, languages: str | Iterable[str]) -> list[str]:
    """The dataset's codes for the user's selection (codes in any spelling, ``script:X``)."""
    out = []
    for norm in data.registry.resolve_many(languages):
        if norm not in data.languages:
            raise BenchmarkError(f"dataset {data.name!r} has no captions in language {norm!r}")
        out.append(norm)
    return out


def evaluate(
    encoder_or_spec: str | object,
    *,
    languages: str | Iterable[str] | None = "all",
    tracks: str | Iterable[str] = TRACK_NAMES,
    subsets: Iterable[str] | None = None,
    images: ImagesArg = None,
    source: SourceArg = None,
    dataset: str = XTD10.key,
    batch_size: int = 64,
    device: str | None = None,
    bootstrap: int = 1000,
    seed: int = 0,
    cache: bool = True,
    ks: Sequence[int] = DEFAULT_KS,
    command: str | None = None,
    progress: bool = True,
    trust_code: bool = False,
    precision: str | None = None,
    name: str | None = None,
) -> Result:
    """Score an encoder (object or spec string) and return a :class:`Result`.

    ``tracks``: ``image`` (t2i, i2t), ``text`` (x2en, en2x) or both; a text-only encoder
    runs the text track only. ``subsets`` defaults to the dataset descriptor's default
    subsets (all + val2014 on XTD10, ``all`` on the demo set, whose images are not from
    COCO). ``images`` is passed to :func:`xtd10.data.images.resolve_images` (COCO root,
    flat folder, URL or True). ``trust_code`` lets a checkpoint (``baseline:PATH``) name
    ``py:`` encoders to import. ``precision`` (fp32, bf16, fp16, auto) goes to the torch
    adapters; their default is fp32. ``name`` is the model's name on the leaderboard (default:
    the encoder's own, a local model's folder or file name rather than its path).
    """
    started = time.perf_counter()
    # the data, languages and subsets are checked before the model loads: a typo fails at once
    data, scored, subset_list = _load_data(dataset, languages, normalise_tracks(tracks), subsets, source, images)
    check_ks(ks)  # and a bootstrap too large for the largest cell, before any encoding
    check_bootstrap_size(bootstrap, int(data.frame["language"].value_counts().max()) if len(data.frame) else 1)
    encoder, spec, wanted_tracks = _prepare_encoder(encoder_or_spec, tracks, device, batch_size, trust_code,
                                                    precision)
    load_s = time.perf_counter() - started

    store = EmbeddingStore(encoder, batch_size=batch_size, cache=cache, progress=progress)
    image_emb, text_emb = _encode(store, data, wanted_tracks, scored, spec)

    scoring_started = time.perf_counter()
    cells = score_cells(data, wanted_tracks, scored, subset_list, image_emb, text_emb)
    if not cells:
        raise BenchmarkError("nothing to score (the text track scores non-English languages only)")
    rows = metric_rows(cells, bootstrap, seed, ks)
    scoring_s = time.perf_counter() - scoring_started

    timings = {"encode_text_s": round(store.stats.text_s, 4), "encode_image_s": round(store.stats.image_s, 4),
               "scoring_s": round(scoring_s, 4), "total_s": round(time.perf_counter() - started, 4),
               "load_s": round(load_s, 4), "harness_encode_s": round(store.stats.harness_s, 4)}
    return _assemble_result(encoder, spec, data, scored, cells, rows, store, timings, command=command,
                            settings={"tracks": wanted_tracks, "subsets": subset_list, "bootstrap": int(bootstrap),
                                      "seed": int(seed), "batch_size": int(batch_size)},
                            device=device, ks=ks, display_name=name)


def _prepare_encoder(encoder_or_spec: str | object, tracks: str | Iterable[str], device: str | None,
                     batch_size: int, trust_code: bool = False, precision: str | None = None
                     ) -> tuple[object, str, list[str]]:
    """Step 1: the encoder (built from its spec), its spec, and the tracks it can run."""
    wanted_tracks = normalise_tracks(tracks)
    encoder = build_encoder(encoder_or_spec, device=device, batch_size=batch_size, trust_code=trust_code,
                            precision=precision) \
        if isinstance(encoder_or_spec, str) else encoder_or_spec
    meta = getattr(encoder, "meta", None)
    if not isinstance(meta, EncoderMeta):
        raise EncoderError(f"{type(encoder).__name__} object is not an encoder: it needs a `meta` attribute "
                           "(xtd10.encoders.EncoderMeta) and encode_text(texts, *, language); see docs/encoders.md")
    spec = encoder_or_spec if isinstance(encoder_or_spec, str) else meta.spec
    if IMAGE_TRACK in wanted_tracks and not supports_images(encoder):
        if wanted_tracks == [IMAGE_TRACK]:
            raise BenchmarkError(f"encoder {spec!r} encodes text only; it cannot run the image track")
        log.warning("encoder %s encodes text only: skipping the image track", spec)
        wanted_tracks.remove(IMAGE_TRACK)
    return encoder, spec, wanted_tracks


def _load_data(dataset: str, languages: str | Iterable[str] | None, wanted_tracks: list[str],
               subsets: Iterable[str] | None, source: SourceArg, images: ImagesArg
               ) -> tuple[BenchData, list[str], list[str]]:
    """Step 2: the captions and images, the languages to score and the subsets (checked)."""
    if isinstance(languages, str) and languages.strip().lower() != "all":
        languages = [c for c in languages.split(",") if c.strip()]
    selected = None if languages is None or languages == "all" else list(languages)
    load_languages = selected
    if selected is not None and TEXT_TRACK in wanted_tracks:
        load_languages = [*selected, ENGLISH]  # English is the pivot of the text track
    data = load_bench_data(dataset, load_languages, source=source, images=images)
    scored = data.languages if selected is None else _resolve(data, selected)
    if TEXT_TRACK in wanted_tracks and ENGLISH not in data.languages:
        raise BenchmarkError("the text track needs the English captions")
    descriptor = dataset_descriptor(dataset)
    subset_list = list(subsets) if subsets else list(descriptor.default_subsets if descriptor else (SUBSET_ALL,))
    for subset in subset_list:
        data.subset_images(subset)  # fail early on an empty/unknown subset
    return data, scored, subset_list


def _encode(store: EmbeddingStore, data: BenchData, wanted_tracks: list[str], scored: list[str], label: str
            ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
    """Step 3: every image once, then the captions of every language once (cached), under
    one progress bar for the whole run when the store shows progress."""
    paths = data.image_paths() if IMAGE_TRACK in wanted_tracks else {}  # before the bar: it may download
    needed = list(scored)
    if TEXT_TRACK in wanted_tracks and ENGLISH not in needed:
        needed.append(ENGLISH)
    overall = None
    if store.progress is True:
        overall = store.progress = RunProgress(
            label, {"image": len(paths), "text": sum(len(data.captions(lang)) for lang in needed)},
            len(needed) + bool(paths))
    try:
        image_emb = store.images([paths[name] for name in data.image_files]) if paths else None
        text_emb: dict[str, np.ndarray] = {}
        for language in needed:
            text_emb[language] = store.texts(data.captions(language)["caption"].tolist(), language)
    finally:
        if overall is not None:
            overall.close()
    return image_emb, text_emb


def _assemble_result(encoder: object, spec: str, data: BenchData, scored: list[str], cells: list[Cell],
                     rows: list[dict], store: EmbeddingStore, timings: dict, *, command: str | None,
                     settings: dict, device: str | None, ks: Sequence[int], display_name: str | None = None
                     ) -> Result:
    """Step 5: the self-describing result (data identity, encoder, settings, hardware)."""
    meta: EncoderMeta = encoder.meta  # type: ignore[attr-defined]
    stats = store.stats
    # where the encoder actually ran, when it says (adapters pick cuda under "auto", and
    # CPU-only ones ignore a requested GPU): never just the device that was asked for
    used_device = str(getattr(encoder, "device", None) or meta.extra.get("device") or device or "cpu")
    encoder_dict = meta.to_dict()
    # no machine paths in results: a local model is named by its folder or file (or --name)
    encoder_dict["spec"] = public_spec(spec)
    encoder_dict["name"] = display_name or public_name(str(meta.name))
    return Result(
        toolkit_version=__version__,
        created=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        command=public_command(command or "python: xtd10.benchmark.evaluate(" + repr(spec) + ")"),
        dataset={"name": data.name, "source": public_source(data.source), "revision": data.revision,
                 "file_sha256": data.file_sha256, "languages": scored},
        encoder=encoder_dict,
        config={**settings, "device": used_device, "ks": [int(k) for k in ks],
                "precision": meta.extra.get("precision")},
        metrics=rows,
        timings=timings,
        hardware=describe_hardware(used_device),
        per_query=[per_query_entry(cell.key, cell.stats) for cell in cells],
        extra={"encoding": {"text_calls": stats.text_calls, "image_calls": stats.image_calls,
                            "texts_encoded": stats.texts_encoded, "images_encoded": stats.images_encoded,
                            "chunks_cached": stats.chunks_cached, "chunks_computed": stats.chunks_computed}},
    )
