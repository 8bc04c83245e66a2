"""``evaluate``: score one encoder on XTD10 (or the demo set), every language, both tracks.

Order of work, chosen for speed and fairness:

1. every image is encoded once (cached), every caption once per language (cached);
2. each (track, direction, language, subset) cell is scored from those embeddings with a
   blocked dot product, giving per-query ranks;
3. metrics and seeded bootstrap intervals come from the per-query ranks; the same seed is
   used for every cell, so languages with aligned queries (query i = image i) share their
   resamples and the interval of the language average is a proper paired one.
"""

from __future__ import annotations

import datetime as dt
import inspect
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from xtd10 import __version__
from xtd10.benchmark.dataset import BenchData, BenchmarkError, load_bench_data
from xtd10.benchmark.embeddings import EmbeddingStore
from xtd10.benchmark.hardware import describe_hardware
from xtd10.benchmark.metrics import (
    bootstrap_distributions,
    check_bootstrap_size,
    check_ks,
    embedding_query_stats,
    metrics_from_stats,
    percentile_interval,
    rank_consistency,
)
from xtd10.benchmark.progress import RunProgress
from xtd10.benchmark.public_paths import public_command, public_name, public_source, public_spec
from xtd10.benchmark.result import per_query_entry
from xtd10.encoders.base import ADAPTERS, EncoderError, EncoderMeta, build, parse_spec, supports_images
from xtd10.languages import ENGLISH
from xtd10.schema import (
    AGGREGATES,
    ALL_LANGUAGES,
    AVG,
    BOTH_TRACKS,
    CONSISTENCY,
    DEFAULT_KS,
    IMAGE_TRACK,
    SUBSET_ALL,
    TEXT_TRACK,
    TRACKS,
    XTD10,
    QueryStats,
    Result,
    clean_float,
    dataset_descriptor,
    metric_names,
)

if TYPE_CHECKING:
    from xtd10.data.images import ImagesArg
    from xtd10.data.sources import SourceArg

log = logging.getLogger(__name__)

TRACK_NAMES = tuple(TRACKS)


@dataclass
class Cell:
    """One scored (track, direction, language, subset) combination."""

    track: str
    direction: str
    language: str
    subset: str
    stats: QueryStats
    query_images: np.ndarray  # image index of each query (for per-image consistency)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.track, self.direction, self.language, self.subset)


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


def _query_positions(gallery_images: np.ndarray) -> dict[int, np.ndarray]:
    """image index -> positions in the gallery holding it."""
    order = np.argsort(gallery_images, kind="stable")
    sorted_images = gallery_images[order]
    bounds = np.flatnonzero(np.diff(sorted_images)) + 1
    groups = np.split(order, bounds)
    return {int(gallery_images[g[0]]): g for g in groups if len(g)}


def _positives(query_images: np.ndarray, gallery_images: np.ndarray, what: str) -> list[np.ndarray] | np.ndarray:
    """Gallery positions relevant to each query: those showing / describing its image."""
    if len(np.unique(gallery_images)) == len(gallery_images):  # one gallery item per image: vectorised
        lookup = np.full(int(max(gallery_images.max(initial=0), query_images.max(initial=0))) + 1, -1)
        lookup[gallery_images] = np.arange(len(gallery_images))
        found = lookup[query_images]
        if (found >= 0).all():
            return found
    by_image = _query_positions(gallery_images)
    missing = sorted({int(i) for i in query_images} - set(by_image))
    if missing:
        raise BenchmarkError(f"{what}: no gallery item for image(s) {missing[:5]}{' ...' if len(missing) > 5 else ''}")
    lists = [by_image[int(i)] for i in query_images]
    if all(len(p) == 1 for p in lists):
        return np.asarray([p[0] for p in lists], dtype=np.int64)
    return lists


def covered_images(chosen: np.ndarray, caption_images: np.ndarray, where: str) -> np.ndarray:
    """The images of the subset that the language has captions for.

    XTD10's own languages cover all 1000 images; a language added through the crowd tools
    may cover fewer (a first batch, a pilot). Its cells are then scored on the images it
    covers, in both directions and against English on the same images, and a warning says
    so: such numbers are not directly comparable with those of a full-coverage language.
    """
    covered = np.intersect1d(chosen, caption_images)
    if len(covered) == 0:
        log.warning("%s: no captions for any of the subset's %d images; not scored", where, len(chosen))
        return covered
    if len(covered) < len(chosen):
        log.warning("%s: captions cover %d of the subset's %d images; scored on those %d only "
                    "(not directly comparable with full-coverage languages)", where, len(covered), len(chosen),
                    len(covered))
        return covered
    return chosen


def score_cells(
    data: BenchData,
    tracks: Sequence[str],
    languages: Sequence[str],
    subsets: Sequence[str],
    image_emb: np.ndarray | None,
    text_emb: dict[str, np.ndarray],
) -> list[Cell]:
    cells: list[Cell] = []
    for subset in subsets:
        chosen = data.subset_images(subset)
        in_subset = np.zeros(len(data.image_files), dtype=bool)
        in_subset[chosen] = True

        def caption_rows(language: str) -> tuple[np.ndarray, np.ndarray]:
            images = data.captions(language)["index"].to_numpy()
            rows = np.flatnonzero(in_subset[images])  # noqa: B023 - used within this iteration only
            return rows, images[rows]

        for language in languages:
            rows, cap_images = caption_rows(language)
            where = f"{data.name} {language} subset {subset}"
            images_here = covered_images(chosen, cap_images, where)
            if len(images_here) == 0:
                continue
            if IMAGE_TRACK in tracks:
                assert image_emb is not None
                queries, gallery = text_emb[language][rows], image_emb[images_here]
                t2i, i2t = TRACKS[IMAGE_TRACK]
                cells.append(Cell(IMAGE_TRACK, t2i, language, subset,
                                  embedding_query_stats(queries, gallery, _positives(cap_images, images_here, where)),
                                  cap_images))
                cells.append(Cell(IMAGE_TRACK, i2t, language, subset,
                                  embedding_query_stats(gallery, queries, _positives(images_here, cap_images, where)),
                                  images_here))
            if TEXT_TRACK in tracks and language != ENGLISH:
                x2en, en2x = TRACKS[TEXT_TRACK]
                en_rows, en_images = caption_rows(ENGLISH)
                keep = np.isin(en_images, images_here)
                en_rows, en_images = en_rows[keep], en_images[keep]
                x, en = text_emb[language][rows], text_emb[ENGLISH][en_rows]
                cells.append(Cell(TEXT_TRACK, x2en, language, subset,
                                  embedding_query_stats(x, en, _positives(cap_images, en_images, where)),
                                  cap_images))
                cells.append(Cell(TEXT_TRACK, en2x, language, subset,
                                  embedding_query_stats(en, x, _positives(en_images, cap_images, where)),
                                  en_images))
    return cells


def _per_image_ranks(cell: Cell) -> dict[int, int]:
    """Best rank of each image's queries (an image may have several captions)."""
    best: dict[int, int] = {}
    for image, rank in zip(cell.query_images.tolist(), cell.stats.ranks.tolist(), strict=True):
        best[image] = min(rank, best.get(image, rank))
    return best


def _row(cell_key: tuple, metric: str, value: float, ci: tuple[float, float] | None, n: int) -> dict:
    track, direction, language, subset = cell_key
    return {"track": track, "direction": direction, "language": language, "subset": subset, "metric": metric,
            "value": clean_float(value), "ci_low": clean_float(ci[0]) if ci else None,
            "ci_high": clean_float(ci[1]) if ci else None, "n_queries": int(n)}


def metric_rows(cells: list[Cell], bootstrap: int, seed: int, ks: Sequence[int]) -> list[dict]:
    """Per-cell metrics with CIs, language averages, and cross-lingual consistency."""
    names = metric_names(ks)
    check_ks(ks)
    for cell in cells:  # every size first: nothing is computed for a request too large to finish
        check_bootstrap_size(bootstrap, len(cell.stats))
    rows: list[dict] = []
    groups: dict[tuple[str, str, str], list[tuple[Cell, dict, dict]]] = {}
    for cell in cells:
        values = metrics_from_stats(cell.stats, ks)
        dists = bootstrap_distributions(cell.stats, bootstrap, seed, ks) if bootstrap > 0 else {}
        for name in names:
            ci = percentile_interval(dists[name]) if dists else None
            rows.append(_row(cell.key, name, values[name], ci, len(cell.stats)))
        groups.setdefault((cell.track, cell.direction, cell.subset), []).append((cell, values, dists))
    for (track, direction, subset), members in groups.items():
        for aggregate in AGGREGATES:
            chosen = [m for m in members if aggregate == AVG or m[0].language != ENGLISH]
            if not chosen:
                continue
            sizes = {len(c.stats) for c, _, _ in chosen}
            paired = bootstrap > 0 and len(sizes) == 1
            n_total = sum(len(c.stats) for c, _, _ in chosen)
            for name in names:
                value = float(np.mean([v[name] for _, v, _ in chosen]))
                ci = percentile_interval(np.mean([d[name] for _, _, d in chosen], axis=0)) if paired else None
                rows.append(_row((track, direction, aggregate, subset), name, value, ci, n_total))
        if len(members) >= 2:
            per_image = [_per_image_ranks(c) for c, _, _ in members]
            common = sorted(set.intersection(*(set(p) for p in per_image)))
            ranks = {c.language: np.array([p[i] for i in common]) for (c, _, _), p in
                     zip(members, per_image, strict=True)}
            rows.append(_row((track, direction, ALL_LANGUAGES, subset), CONSISTENCY, rank_consistency(ranks), None,
                             len(common)))
    return rows


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
