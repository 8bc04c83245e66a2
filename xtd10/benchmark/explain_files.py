"""What ``bench explain`` writes: the failure view's folder (page, CSVs, figures, thumbnails).

Kept apart from :mod:`xtd10.benchmark.explain`, which computes the tables, so that the
page renderer can read those tables without the analysis importing the renderer back.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from xtd10.benchmark.explain import (
    Explained,
    caption_failures,
    disagreement,
    pair_difference,
    pair_tests,
    per_image_table,
    rank_summary,
    with_captions,
)
from xtd10.benchmark.explain_page import render_page
from xtd10.escaping.csv_cells import csv_text
from xtd10.files import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from xtd10.data.images import ImagesArg

# What write_explanation writes into its folder: these files, and files of its own naming
# in these folders (figures, thumbnails). A command refuses inputs among them.
PAGE_FILE = "index.html"
TABLE_FILES = ("per_image.csv", "hardest.csv", "disagreement.csv", "summary.csv", "pair.csv", "pair_tests.csv")
OUTPUT_FILES = (PAGE_FILE, *TABLE_FILES)
OUTPUT_FOLDERS = ("plots", "images")


def write_explanation(ex: Explained, out_dir: str | os.PathLike, *, images: ImagesArg = None, top: int = 10,
                      max_images: int | None = None, plots: bool = True, svg: bool = True,
                      thumbnails: bool | None = None) -> list[Path]:
    """Write index.html, the CSVs and the figures into ``out_dir``; returns the files.

    ``max_images=0`` leaves the per-image table out of the page (per_image.csv has it);
    ``svg=False`` writes the figures as PNG only (smaller, for committed views);
    ``thumbnails``: image thumbnails in the page; by default when ``images`` is given, and
    always for the demo set, whose images ship with the toolkit."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, frame in explanation_tables(ex, top).items():
        written.append(atomic_write_text(out / name, _csv(frame)))
    figures = []
    if plots:
        from xtd10.benchmark.explain_plots import rank_distribution_plots

        figures = rank_distribution_plots(ex, svg=svg)
        for figure in figures:
            written.extend(atomic_write_bytes(out / name, data) for name, data in figure.rendered.items())
    thumbs = {}
    if thumbnails is None:
        thumbnails = images is not None or ex.dataset == "xtd10-demo"
    if thumbnails and ex.file_names is not None:
        thumbs = write_thumbnails(ex, images, out)
        written.extend(out / t for t in thumbs.values())
    written.append(atomic_write_text(out / PAGE_FILE,
                                     render_page(ex, figures, thumbs, top=top, max_images=max_images)))
    return written


def explanation_tables(ex: Explained, top: int = 10) -> dict[str, pd.DataFrame]:
    """The CSV files of a failure view, by file name."""
    tables = {"per_image.csv": per_image_table(ex), "hardest.csv": with_captions(ex, caption_failures(ex).head(max(top, 100))),
              "disagreement.csv": disagreement(ex, max(top, 100)), "summary.csv": rank_summary(ex)}
    if len(ex.models) == 2:
        tables["pair.csv"] = pair_difference(ex)
        tables["pair_tests.csv"] = pair_tests(ex)
    return tables


def _csv(frame: pd.DataFrame) -> str:
    """Captions and model names are opened in spreadsheets: formula-like text is made inert."""
    return csv_text(frame, headers=True)


def write_thumbnails(ex: Explained, images: ImagesArg, out: Path, size: int = 192) -> dict[int, str]:
    """Small JPEG copies of the images, under ``out/images`` (the page loads nothing else)."""
    from PIL import Image

    from xtd10.benchmark.dataset import load_bench_data

    if ex.dataset == "xtd10-demo":
        paths = load_bench_data("demo", ["en"]).image_paths()
    else:
        from xtd10.data.images import resolve_images

        paths = resolve_images(list(ex.file_names or []), images)
    folder = out / "images"
    folder.mkdir(exist_ok=True)
    thumbs = {}
    for index, name in enumerate(ex.file_names or []):
        if index >= ex.n_images or name not in paths:
            continue
        target = folder / f"{index:04d}.jpg"
        buffer = io.BytesIO()
        with Image.open(paths[name]) as img:
            small = img.convert("RGB")
            small.thumbnail((size, size))
            small.save(buffer, format="JPEG", quality=80)
        atomic_write_bytes(target, buffer.getvalue())
        thumbs[index] = f"images/{target.name}"
    return thumbs
