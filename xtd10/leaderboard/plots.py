"""Figures for the leaderboard, written as PNG and SVG, byte-identical across rebuilds.

Only the primary revision of each dataset is plotted (other revisions are not comparable
and appear in the tables with a warning). Matplotlib is used through ``Figure`` objects
and the Agg canvas, never ``pyplot``, so a build leaves no global state behind; the SVG
hash salt and the file metadata are pinned so that the same inputs give the same bytes.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from xtd10.escaping.markup import one_line
from xtd10.files import atomic_write_bytes
from xtd10.leaderboard.collect import Leaderboard
from xtd10.leaderboard.formatting import dataset_title, view_title
from xtd10.leaderboard.per_language import (
    FIRST_METRIC,
    OTHER_SCRIPTS,
    Group,
    LanguageScore,
    groups_for,
    is_wide,
    language_scores,
)
from xtd10.leaderboard.records import DIRECTION_LABELS, MEASURED, REPORTED, Entry
from xtd10.leaderboard.tables import Row, Table, build_table, views
from xtd10.schema import AVG_NON_EN, IMAGE_TRACK, SUBSET_ALL, TRACKS, XTD10, dataset_descriptor

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

PLOT_METRIC = XTD10.headline_metric
RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "xtd10-leaderboard",
    "svg.fonttype": "path",
    "text.parse_math": False,  # a "$" in a model name must not be read as TeX
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}
MAX_LABEL = 56


@dataclass(frozen=True)
class Plot:
    title: str
    stem: str  # file name without extension, under plots/
    group: tuple[str, str] | None = None  # (dataset, revision) of a per-language figure: shown in its section

    @property
    def png(self) -> str:
        return f"plots/{self.stem}.png"

    @property
    def svg(self) -> str:
        return f"plots/{self.stem}.svg"


def render_plots(board: Leaderboard, out_dir: Path, *, draw: bool = True) -> list[Plot]:
    """Write every figure into ``out_dir / 'plots'`` and return them in reading order."""
    with matplotlib.rc_context(RC):
        return [plot for plot in _render_all(board, out_dir, draw) if plot is not None]


def _render_all(board: Leaderboard, out_dir: Path, draw: bool) -> list[Plot | None]:
    """Every figure in reading order; with ``draw`` false none is drawn, and those already
    in ``out_dir`` are listed (so a build without plots still shows the existing ones)."""
    plots: list[Plot | None] = []
    used: set[str] = set()
    for dataset, revision in board.groups():
        if not board.is_primary(dataset, revision):
            continue
        if is_wide(board, dataset, revision):
            plots.extend(_per_language_plots(board, dataset, revision, out_dir, draw, used))
            continue
        gap_tables = []
        palette = _palette([e.key for e in board.measured() if (e.dataset, e.revision) == (dataset, revision)])
        # small sets (the 12-image demo) saturate at R@10: their descriptor names R@1
        descriptor = dataset_descriptor(dataset)
        metric = descriptor.headline_metric if descriptor else PLOT_METRIC
        for view in views(board, MEASURED, dataset, revision, metrics=(metric,)):
            if view.subset != SUBSET_ALL:
                continue
            table = build_table(board, view)
            if table is None or not table.rows:
                continue
            base = _unique(f"{_slug(dataset)}-{view.track}-{view.direction}", used)
            where = dataset_title(dataset, revision)
            heading = f"{metric}, {view_title(view.track, view.direction, view.subset, view.dataset)}"
            plots.append(_save(partial(_bars, table, heading, where, palette), draw, out_dir, f"{base}-bars",
                               f"{heading}: per language, 95% CI ({where})"))
            plots.append(_save(partial(_heatmap, table, heading, where), draw, out_dir, f"{base}-heatmap",
                               f"{heading}: model × language ({where})"))
            if view.track == IMAGE_TRACK and "en" in table.languages and len(table.languages) > 1:
                gap_tables.append(table)
        if gap_tables:
            base = _unique(f"{_slug(dataset)}-image-gap", used)
            where = dataset_title(dataset, revision)
            plots.append(_save(partial(_gap, gap_tables, where), draw, out_dir, base,
                               f"Zero-shot gap: English vs mean of the other languages, {metric} ({where})"))
    for view in views(board, REPORTED, metrics=(PLOT_METRIC,)):
        if (view.track, view.direction, view.subset) != (IMAGE_TRACK, TRACKS[IMAGE_TRACK][0], SUBSET_ALL):
            continue
        table = build_table(board, view)
        if table is not None and table.rows:
            base = _unique(f"reported-{_slug(view.dataset)}-image-t2i", used)
            heading = f"Reported {PLOT_METRIC}, {view_title(view.track, view.direction, view.subset, view.dataset)}"
            plots.append(_save(partial(_heatmap, table, heading, "numbers published elsewhere, not measured here"), draw,
                               out_dir, f"{base}-heatmap", f"{heading} (published elsewhere, not measured here)"))
    return plots


def _per_language_plots(board: Leaderboard, dataset: str, revision: str, out_dir: Path, draw: bool,
                        used: set[str]) -> list[Plot | None]:
    """Per track and direction: each model's R@1 per language, sorted, coloured by script."""
    scores = language_scores(board, dataset, revision)
    groups = [g for g in groups_for(scores) if g.key.startswith("script:") or g.key == OTHER_SCRIPTS]
    colours = matplotlib.colormaps["tab10"]
    script_colours = {g.key: colours(i % colours.N) for i, g in enumerate(groups)}
    where = dataset_title(dataset, revision)
    plots: list[Plot | None] = []
    for track, direction in dict.fromkeys((s.track, s.direction) for s in scores):
        here = [s for s in scores if (s.track, s.direction) == (track, direction) and FIRST_METRIC in s.values]
        if not here:
            continue
        base = _unique(f"{_slug(dataset)}-{track}-{direction}-languages", used)
        heading = f"{FIRST_METRIC} per language, {view_title(track, direction, SUBSET_ALL, dataset)}"
        make = partial(_sorted_languages, here, groups, script_colours, heading, where)
        plot = _save(make, draw, out_dir, base, f"{heading}: sorted, coloured by script ({where})")
        plots.append(None if plot is None else Plot(plot.title, plot.stem, (dataset, revision)))
    return plots


def _sorted_languages(scores: list[LanguageScore], groups: list[Group], colours: dict[str, tuple], heading: str,
                      where: str) -> Figure:
    """One panel per model: a bar per language, best first; hatched where the encoder was
    not trained on the language."""
    by_model: dict[str, list[LanguageScore]] = {}
    for score in scores:
        by_model.setdefault(score.entry.key, []).append(score)
    n_languages = max(len(items) for items in by_model.values())
    fig = Figure(figsize=(max(8.0, 0.075 * n_languages + 1.6), 1.2 + 2.4 * len(by_model)), dpi=100)
    labels = _row_labels([_LabelRow(items[0].entry) for items in by_model.values()])
    for k, (items, label) in enumerate(zip(by_model.values(), labels, strict=True), start=1):
        ax = fig.add_subplot(len(by_model), 1, k)
        items = sorted(items, key=lambda s: (-s.values[FIRST_METRIC], s.language.tag))
        group_of = [next(g.key for g in groups if g.test(s)) for s in items]
        ax.bar(range(len(items)), [s.values[FIRST_METRIC] for s in items], width=0.8, edgecolor="none",
               color=[colours[g] if s.trained is not False else _lighter(colours[g])
                      for g, s in zip(group_of, items, strict=True)])
        ax.set_xticks(range(len(items)), [s.language.tag for s in items], rotation=90,
                      fontsize=4.5 if len(items) > 60 else 7)
        ax.set_xlim(-0.6, len(items) - 0.4)
        ax.set_ylim(0, 100)
        ax.set_ylabel(f"{FIRST_METRIC} (%)")
        ax.set_title(label, fontsize=8, loc="left")
        ax.grid(axis="y", alpha=0.3)
    handles = [Patch(facecolor=colours[g.key], label=g.label) for g in groups]
    if any(s.trained is False for s in scores):
        handles.append(Patch(facecolor=_lighter((0.5, 0.5, 0.5, 1.0)),
                             label="lighter: the encoder was not trained on the language"))
    height = fig.get_figheight()
    fig.legend(handles=handles, loc="lower left", ncol=len(handles), fontsize=7, frameon=False,
               bbox_to_anchor=(0.01, 0.0))
    fig.suptitle(_wrap(f"{heading}\n{where}"), fontsize=9, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.3 / height, 1, 1))
    return fig


def _lighter(colour: tuple) -> tuple:
    """The colour mixed 60% with white."""
    return (*(0.4 * c + 0.6 for c in colour[:3]), 1.0)


@dataclass(frozen=True)
class _LabelRow:
    """The one attribute of a table row that :func:`_row_labels` reads."""

    entry: Entry


def _label(text: str) -> str:
    flat = one_line(text)
    return flat if len(flat) <= MAX_LABEL else flat[: MAX_LABEL - 1] + "…"


def _row_labels(rows: Sequence[Row | _LabelRow]) -> list[str]:
    """Model names, with the encoder spec added where two rows share a name."""
    names = [one_line(r.entry.model) for r in rows]
    return [_label(f"{name} [{r.entry.spec}]" if names.count(name) > 1 and r.entry.spec else name)
            for name, r in zip(names, rows, strict=True)]


def _palette(keys: list[str]) -> dict[str, tuple]:
    """One colour per entry for the whole group, so a model keeps its colour in every figure."""
    colors = matplotlib.colormaps["tab10" if len(keys) <= 10 else "tab20"]
    return {key: colors(i % colors.N) for i, key in enumerate(keys)}


def _bars(table: Table, heading: str, where: str, palette: dict[str, tuple]) -> Figure:
    columns = [*table.languages, *table.aggregates]
    rows = table.rows
    fig = Figure(figsize=(max(7.0, 0.45 * len(columns) * max(1, len(rows)) ** 0.5 + 2.5), 4.4), dpi=100)
    ax = fig.add_subplot()
    width = 0.8 / max(1, len(rows))
    for i, (row, label) in enumerate(zip(rows, _row_labels(rows), strict=True)):
        xs, ys, lo, hi = [], [], [], []
        for j, col in enumerate(columns):
            score = row.cells.get(col)
            if score is None:
                continue
            xs.append(j - 0.4 + width * (i + 0.5))
            ys.append(score.value)
            lo.append(score.value - score.ci_low if score.ci_low is not None else 0.0)
            hi.append(score.ci_high - score.value if score.ci_high is not None else 0.0)
        ax.bar(xs, ys, width=width, color=palette[row.entry.key], label=label,
               yerr=[lo, hi], capsize=2, error_kw={"elinewidth": 0.8, "capthick": 0.8})
    ax.set_xticks(range(len(columns)), [{AVG_NON_EN: "avg\nnon-en"}.get(c, c) for c in columns])
    ax.set_ylabel(f"{table.view.metric} (%)")
    ax.set_ylim(0, 100)
    ax.set_title(_wrap(f"{heading}\n{where}"), fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=min(3, max(1, len(rows))),
              frameon=False)
    fig.tight_layout()
    return fig


def _heatmap(table: Table, heading: str, where: str) -> Figure:
    columns = [*table.languages, *table.aggregates]
    rows = table.rows
    data = [[row.cells[c].value if c in row.cells else math.nan for c in columns] for row in rows]
    fig = Figure(figsize=(max(6.0, 0.6 * len(columns) + 3.5), max(2.4, 0.38 * len(rows) + 1.6)), dpi=100)
    ax = fig.add_subplot()
    image = ax.imshow(data, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    ax.set_xticks(range(len(columns)), [{AVG_NON_EN: "avg\nnon-en"}.get(c, c) for c in columns])
    ax.set_yticks(range(len(rows)), _row_labels(rows), fontsize=7)
    for i, values in enumerate(data):
        for j, value in enumerate(values):
            if not math.isnan(value):
                ax.text(j, i, f"{value:.0f}", ha="center", va="center", fontsize=7,
                        color="black" if value > 60 else "white")
    ax.spines[:].set_visible(False)
    fig.colorbar(image, ax=ax, label=f"{table.view.metric} (%)", fraction=0.04)
    ax.set_title(_wrap(f"{heading}\n{where}"), fontsize=9)
    fig.tight_layout()
    return fig


def _gap(tables: list[Table], where: str) -> Figure:
    """English score next to the mean over the other languages, one pair of bars per model."""
    n_models = max(len(t.rows) for t in tables)
    fig = Figure(figsize=(9.0, 1.0 + (1.3 + 0.45 * n_models) * len(tables)), dpi=100)
    for k, table in enumerate(tables, start=1):
        ax = fig.add_subplot(len(tables), 1, k)
        others = [c for c in table.languages if c != "en"]
        labels, english, rest = [], [], []
        for row, label in zip(table.rows, _row_labels(table.rows), strict=True):
            if "en" not in row.cells:
                continue
            values = [row.cells[c].value for c in others if c in row.cells]
            if not values:
                continue
            labels.append(label)
            english.append(row.cells["en"].value)
            rest.append(sum(values) / len(values))
        ys = range(len(labels))
        ax.barh([y - 0.2 for y in ys], english, height=0.4, color="#4c72b0", label="English")
        ax.barh([y + 0.2 for y in ys], rest, height=0.4, color="#dd8452", label="mean of the other languages")
        for y, (e, r) in enumerate(zip(english, rest, strict=True)):
            ax.text(max(e, r) + 1, y, f"en − others: {e - r:+.1f}", va="center", fontsize=7)
        ax.set_yticks(list(ys), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 110)
        ax.set_xlabel(f"{table.view.metric} (%)")
        ax.set_title(DIRECTION_LABELS.get(table.view.direction, table.view.direction), fontsize=9)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    fig.suptitle(_wrap(f"Zero-shot gap: English vs the other languages\n{where}"), fontsize=9)
    fig.tight_layout()
    return fig


def _save(make: Callable[[], Figure], draw: bool, out_dir: Path, stem: str, title: str) -> Plot | None:
    plot = Plot(title=title, stem=stem)
    if not draw:
        return plot if all((out_dir / name).is_file() for name in (plot.png, plot.svg)) else None
    fig = make()
    for fmt, metadata in (("png", PNG_METADATA), ("svg", SVG_METADATA)):
        buffer = io.BytesIO()
        FigureCanvasAgg(fig)
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=100)
        atomic_write_bytes(out_dir / "plots" / f"{stem}.{fmt}", buffer.getvalue())
    return plot


def _wrap(text: str) -> str:
    return "\n".join(_label_long(line) for line in text.split("\n"))


def _label_long(line: str, limit: int = 110) -> str:
    flat = one_line(line)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "dataset"


def _unique(stem: str, used: set[str]) -> str:
    candidate, n = stem, 2
    while candidate in used:
        candidate, n = f"{stem}-{n}", n + 1
    used.add(candidate)
    return candidate
