"""Does a result cover the whole query set of every cell it reports, on data it identifies?

Per-query ranks prove that the stored numbers follow from *some* queries; they do not prove
that those were all the queries. A file scored on 10 captions per language (and so at
100% R@1) recomputes exactly. So the number of queries of each cell is compared with the
number the data gives: derived from the dataset's own files (the image list and caption
files whose hashes the result records, read from ``--source``, ``XTD10_SOURCE`` or the
download cache, each checked against those hashes) and, where the files are not at hand,
from the dataset descriptor (``n_images``: one caption per image for languages laid out
one line per image, on the subset of all images).

The same goes for what the data identity covers: every language a result reports must be
listed in ``dataset.languages`` (whose caption-file hashes :mod:`xtd10.leaderboard.verify`
then requires), so a language cannot be scored on an unidentified file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from xtd10.errors import XTD10Error
from xtd10.schema import (
    AGGREGATES,
    ALL_LANGUAGES,
    IMAGE_TRACK,
    SUBSET_ALL,
    TEXT_TRACK,
    TRACKS,
    DatasetDescriptor,
    Result,
)

if TYPE_CHECKING:
    from xtd10.data.sources import Source

QueryKey = tuple[str, str, str]  # (direction, language, subset)
ENGLISH = "en"


@dataclass
class QueryCounts:
    """How many queries each (direction, language, subset) cell has in the data.

    ``complete``: every cell of the data was counted (from its files); otherwise only the
    cells in ``counts`` are known, and ``unknown_why`` says why the others are not."""

    counts: dict[QueryKey, int] = field(default_factory=dict)
    complete: bool = False
    unknown_why: str = ""


def reported_languages(result: Result) -> list[str]:
    """Every language a result gives numbers or ranks for (aggregates excluded)."""
    rows: Iterable[dict] = (*result.metrics, *result.per_query)
    found = (str(row.get("language")) for row in rows if isinstance(row, dict))
    return list(dict.fromkeys(code for code in found if code not in (*AGGREGATES, ALL_LANGUAGES)))


def unlisted_languages(result: Result) -> list[str]:
    """Reported languages missing from ``dataset.languages``: their caption file is not identified."""
    listed = {str(code) for code in result.dataset.get("languages") or []}
    return [code for code in reported_languages(result) if code not in listed]


def counts_from_data(data: object, languages: Iterable[str], subsets: Iterable[str]) -> dict[QueryKey, int]:
    """The queries of every cell, counted from the captions and images as the runner scores
    them: a language is scored on the images of the subset it has captions for, the text
    track against the English captions of those images."""
    from xtd10.benchmark.dataset import BenchmarkError

    counts: dict[QueryKey, int] = {}
    t2i, i2t = TRACKS[IMAGE_TRACK]
    x2en, en2x = TRACKS[TEXT_TRACK]
    for subset in subsets:
        try:
            chosen = data.subset_images(subset)  # type: ignore[attr-defined]
        except BenchmarkError:
            continue  # not a subset of this data: no cell is expected
        in_subset = np.zeros(len(data.image_files), dtype=np.bool_)  # type: ignore[attr-defined]
        in_subset[chosen] = True
        english = None
        if ENGLISH in data.languages:  # type: ignore[attr-defined]
            en_images = data.captions(ENGLISH)["index"].to_numpy()  # type: ignore[attr-defined]
            english = en_images[in_subset[en_images]]
        for language in languages:
            if language not in data.languages:  # type: ignore[attr-defined]
                continue
            images = data.captions(language)["index"].to_numpy()  # type: ignore[attr-defined]
            caption_images = images[in_subset[images]]
            covered = np.intersect1d(chosen, caption_images)
            if len(covered) == 0:
                continue
            counts[(t2i, language, subset)] = len(caption_images)
            counts[(i2t, language, subset)] = len(covered)
            if language != ENGLISH and english is not None:
                counts[(x2en, language, subset)] = len(caption_images)
                counts[(en2x, language, subset)] = int(np.isin(english, covered).sum())
    return counts


def expected_counts(result: Result, source: str | os.PathLike | None) -> QueryCounts:
    """The query counts of the data ``result`` claims, from its files where they can be
    read and match the recorded hashes, else from its descriptor."""
    descriptor = result.descriptor
    if descriptor is None:
        return QueryCounts(unknown_why=f"unknown dataset {result.dataset.get('name')!r}")
    languages = [code for code in reported_languages(result) if code in (result.dataset.get("languages") or [])]
    subsets = list(dict.fromkeys(str(row.get("subset")) for row in result.metrics))
    wanted = [*languages, ENGLISH] if ENGLISH not in languages else languages
    data, why = _load_matching(result, descriptor, wanted, source)
    if data is not None:
        return QueryCounts(counts_from_data(data, languages, subsets), complete=True)
    return QueryCounts(_counts_from_descriptor(descriptor, languages, subsets, str(result.dataset.get("revision"))),
                       unknown_why=why)


def _load_matching(result: Result, descriptor: DatasetDescriptor, languages: list[str],
                   source: str | os.PathLike | None) -> tuple[object | None, str]:
    """The benchmark's view of the data, when its files are at hand and are byte for byte
    the ones the result records; else None and why not."""
    from xtd10.benchmark.dataset import load_bench_data

    hashes = result.dataset.get("file_sha256") or {}
    try:
        if not descriptor.takes_source:
            data = load_bench_data(descriptor.key, languages)
        else:
            found = _local_source(descriptor, source, str(result.dataset.get("revision")), hashes)
            if found is None:
                return None, "the dataset's image list and caption files are not at hand (pass --source DIR)"
            data = load_bench_data(descriptor.key, [c for c in languages if c in found.registry], source=found)
    except XTD10Error as err:
        return None, f"the dataset's files cannot be read ({err})"
    differing = sorted(rel for rel, digest in data.file_sha256.items() if hashes.get(rel) != digest)
    if differing:
        return None, f"the files at hand are not the ones the result records ({', '.join(differing[:3])})"
    return data, ""


def _local_source(descriptor: DatasetDescriptor, source: str | os.PathLike | None, revision: str,
                  hashes: dict) -> Source | None:
    """A source whose files can be read without a download: ``--source``, the dataset's
    source variable (``XTD10_SOURCE``, ``NLLB_CLIP_SOURCE``: a folder), or the pinned
    release's files already in the download cache."""
    from xtd10.data.sources import LocalSource, UrlSource

    release = descriptor.release
    if release is None:
        return None
    folder = source or os.environ.get(release.source_env)
    if folder and not str(folder).startswith(("http://", "https://")):
        return LocalSource(Path(folder), dataset=descriptor)
    if revision == release.commit:
        cached = UrlSource(dataset=descriptor)
        if all((cached.cache_dir / rel).is_file() for rel in hashes):
            return cached
    return None


def _counts_from_descriptor(descriptor: DatasetDescriptor, languages: list[str], subsets: list[str],
                            revision: str) -> dict[QueryKey, int]:
    """Without the files: the subset of all images of a dataset of ``n_images`` images has
    one query per image in every direction for a language laid out one caption per image
    (the dataset's own languages at its pinned revision)."""
    from xtd10.data.registries import registry_for

    if descriptor.n_images is None or SUBSET_ALL not in subsets or revision != descriptor.revision:
        return {}
    registry = registry_for(descriptor)
    counts: dict[QueryKey, int] = {}
    for language in languages:
        if language not in descriptor.languages or language not in registry \
                or registry.get(language).layout != "lines":
            continue
        for track, directions in TRACKS.items():
            if track == TEXT_TRACK and language == ENGLISH:
                continue
            for direction in directions:
                counts[(direction, language, SUBSET_ALL)] = descriptor.n_images
    return counts


def check_coverage(result: Result, report: object, source: str | os.PathLike | None) -> None:
    """Add a problem for every reported language the data identity does not list, and for
    every cell whose ``n_queries`` is not the number of queries its data has."""
    add = report.add  # type: ignore[attr-defined]
    for code in unlisted_languages(result):
        add("dataset.languages", f"language {code} is reported but not listed: its caption file is not identified")
    expected = expected_counts(result, source)
    unchecked: set[str] = set()
    seen: set[tuple[str, ...]] = set()
    for row in result.metrics:
        language, subset = str(row.get("language")), str(row.get("subset"))
        cell = tuple(str(row.get(k)) for k in ("track", "direction", "language", "subset"))
        if language in (*AGGREGATES, ALL_LANGUAGES) or (*cell, str(row.get("n_queries"))) in seen:
            continue
        seen.add((*cell, str(row.get("n_queries"))))
        key = (cell[1], language, subset)
        want = expected.counts.get(key)
        where = "/".join(cell)
        if want is None:
            if expected.complete:
                add(where, "the dataset has no such cell (a language or subset it does not hold)")
            else:
                unchecked.add(subset)
        elif row.get("n_queries") != want:
            add(where, f"n_queries is {row.get('n_queries')!r}, but the dataset gives {want} queries for this "
                       "cell: a result must cover the full query set")
    if unchecked:
        report.notes.append(f"number of queries of the {', '.join(sorted(unchecked))} subset cells not checked: "  # type: ignore[attr-defined]
                            f"{expected.unknown_why}")
