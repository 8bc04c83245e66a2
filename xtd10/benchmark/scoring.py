"""Scoring: per-query ranks of every (track, direction, language, subset) cell from the
embeddings, then the metric rows of a result from those ranks.

Kept apart from the runner (which loads data, builds the encoder and encodes) because the
leaderboard's verification and the merge of partial runs recompute the rows from the ranks
stored in result files: they need these functions and nothing that loads a model.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from xtd10.benchmark.dataset import BenchData, BenchmarkError
from xtd10.benchmark.metrics import (
    bootstrap_distributions,
    check_bootstrap_size,
    check_ks,
    embedding_query_stats,
    metrics_from_stats,
    percentile_interval,
    rank_consistency,
)
from xtd10.languages import ENGLISH
from xtd10.schema import (
    AGGREGATES,
    ALL_LANGUAGES,
    AVG,
    CONSISTENCY,
    IMAGE_TRACK,
    TEXT_TRACK,
    TRACKS,
    QueryStats,
    clean_float,
    metric_names,
)

log = logging.getLogger(__name__)


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


def _both_directions(track: str, language: str, subset: str, where: str, side_a: np.ndarray,
                     side_a_images: np.ndarray, side_b: np.ndarray, side_b_images: np.ndarray) -> list[Cell]:
    """The track's two cells: side a's items query side b's (text to image, or the language to
    English), then the reverse; an item is relevant to a query when both show the same image."""
    forward, backward = TRACKS[track]
    return [Cell(track, forward, language, subset,
                 embedding_query_stats(side_a, side_b, _positives(side_a_images, side_b_images, where)), side_a_images),
            Cell(track, backward, language, subset,
                 embedding_query_stats(side_b, side_a, _positives(side_b_images, side_a_images, where)), side_b_images)]


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
                cells += _both_directions(IMAGE_TRACK, language, subset, where, text_emb[language][rows], cap_images,
                                          image_emb[images_here], images_here)
            if TEXT_TRACK in tracks and language != ENGLISH:
                en_rows, en_images = caption_rows(ENGLISH)
                keep = np.isin(en_images, images_here)
                en_rows, en_images = en_rows[keep], en_images[keep]
                cells += _both_directions(TEXT_TRACK, language, subset, where, text_emb[language][rows], cap_images,
                                          text_emb[ENGLISH][en_rows], en_images)
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

