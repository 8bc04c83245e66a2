"""Rank distributions per language, for the failure view (PNG and SVG, byte-stable).

Why distributions and not means: two languages with the same mean rank can fail very
differently (a few far misses vs many near misses), and a language whose captions were
written independently of the English ones (Japanese) shifts the whole curve. Each figure
shows, per model, the share of queries whose right item is within rank r, for every r
(an empirical CDF on a log axis): R@1, R@5 and R@10 are three points on each curve.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from xtd10.schema import DIRECTION_DESCRIPTIONS

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# Same bytes for the same ranks: pinned SVG hash salt, no dates or versions in the files.
RC: dict[RcKeyType, Any] = {"svg.hashsalt": "xtd10-explain", "svg.fonttype": "path", "text.parse_math": False,
      "font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}
SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
PNG_METADATA = {"Software": None}



@dataclass(frozen=True)
class RankPlot:
    """A rendered figure: its title, and the bytes of each file it is saved as (by path
    under the view's folder); :mod:`xtd10.benchmark.explain_files` writes them."""

    title: str
    stem: str

    @property
    def png(self) -> str:
        return f"plots/{self.stem}.png"

    svg_too: bool = True
    rendered: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)

    @property
    def svg(self) -> str | None:
        return f"plots/{self.stem}.svg" if self.svg_too else None

    @property
    def files(self) -> list[str]:
        return [self.png] + ([f"plots/{self.stem}.svg"] if self.svg_too else [])


def rank_distribution_plots(ex, *, svg: bool = True) -> list[RankPlot]:
    """One figure per direction: a panel per model, a curve per language (rendered, not written)."""
    import matplotlib

    figures = []
    with matplotlib.rc_context(RC):
        for direction in ex.directions:
            rows = ex.ranks[ex.ranks["direction"] == direction]
            models = [m.label for m in ex.models if m.label in set(rows["model"])]
            if not models:
                continue
            fig = Figure(figsize=(4.2 * len(models) + 1.4, 3.4))
            axes = fig.subplots(1, len(models), squeeze=False, sharey=True)[0]
            languages = [c for c in ex.languages if c in set(rows["language"])]
            colours = _colours(len(languages))
            for ax, model in zip(axes, models, strict=True):
                mine = rows[rows["model"] == model]
                for colour, language in zip(colours, languages, strict=True):
                    ranks = np.sort(mine.loc[mine["language"] == language, "rank"].to_numpy())
                    if len(ranks) == 0:
                        continue
                    share = np.arange(1, len(ranks) + 1) / len(ranks)
                    style = "--" if language == "ja" else "-"
                    ax.step(ranks, share, where="post", color=colour, linestyle=style, linewidth=1.1,
                            label=language)
                ax.set_xscale("log")
                ax.set_xlim(1, max(ex.n_images, 2))
                ax.set_ylim(0, 1.0)
                ax.set_xlabel("rank of the right item (log)")
                ax.set_title(model[:48], fontsize=9)
                ax.grid(alpha=0.3)
            axes[0].set_ylabel("share of queries at or above rank")
            axes[-1].legend(fontsize=7, loc="lower right", ncol=2, frameon=False)
            fig.suptitle(f"Rank distribution per language, {DIRECTION_DESCRIPTIONS.get(direction, direction)}", fontsize=9)
            fig.tight_layout()
            figures.append(_render(fig, f"ranks-{direction}",
                                 f"Rank distribution per language ({DIRECTION_DESCRIPTIONS.get(direction, direction)})",
                                 svg))
    return figures


def _colours(n: int) -> list:
    from matplotlib import colormaps

    cmap = colormaps["tab20"] if n > 10 else colormaps["tab10"]
    return [cmap(i % cmap.N) for i in range(n)]


def _render(fig: Figure, stem: str, title: str, svg: bool) -> RankPlot:
    figure = RankPlot(title=title, stem=stem, svg_too=svg)
    for fmt, metadata in (("png", PNG_METADATA), ("svg", SVG_METADATA))[: 2 if svg else 1]:
        buffer = io.BytesIO()
        FigureCanvasAgg(fig)
        fig.savefig(buffer, format=fmt, metadata=metadata, dpi=90)
        figure.rendered[f"plots/{stem}.{fmt}"] = buffer.getvalue()
    return figure
