"""``build_leaderboard``: read the inputs once, write README.md, leaderboard.csv, plots/ and index.html.

Every output depends only on the input files (no clock, no environment), so rebuilding from
the same inputs gives byte-identical files and a diff in review shows real changes only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from xtd10.escaping.csv_cells import csv_text
from xtd10.files import atomic_write_text, replace_previous_outputs
from xtd10.leaderboard.collect import Leaderboard, collect
from xtd10.leaderboard.errors import LeaderboardError
from xtd10.leaderboard.failures import write_failure_views
from xtd10.leaderboard.markdown import render_markdown
from xtd10.leaderboard.page import render_html
from xtd10.leaderboard.plots import render_plots
from xtd10.leaderboard.tables import tidy_frame

log = logging.getLogger(__name__)


@dataclass
class BuildReport:
    """What a build wrote, for the CLI to summarise."""

    out_dir: Path
    n_measured: int
    n_reported: int
    n_scores: int
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def build_leaderboard(out_dir: Path, results_dir: Path | None = None, reported_dir: Path | None = None,
                      *, plots: bool = True, failures: bool = True) -> BuildReport:
    """Validate every input, then write all outputs into ``out_dir``; ``failures``: also a
    failure view per measured result (``failures/<name>/``), linked from its rows.

    A build with no input at all is an error naming where it looked: an empty board
    written over a real one would look like success.
    """
    board = collect(results_dir, reported_dir)
    if not board.entries:
        looked = [str(p) for p in (results_dir, reported_dir) if p is not None]
        raise LeaderboardError("no result or reported files to build a leaderboard from (looked in "
                               f"{' and '.join(looked) or 'no folder'}); pass --results DIR with *.json result files")
    return write_outputs(board, out_dir, plots=plots, results_dir=results_dir if failures else None)


def write_outputs(board: Leaderboard, out_dir: Path, *, plots: bool = True,
                  results_dir: Path | None = None) -> BuildReport:
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    links = write_failure_views(board, results_dir, out_dir) if results_dir is not None else {}
    figures = render_plots(board, out_dir, draw=plots)  # without plots: the figures already there
    if plots:
        written.extend(out_dir / f for p in figures for f in (p.png, p.svg))  # without new figures there is nothing to tell stale ones from: keep them all
        # figures of models that are gone would linger: remove those the last build wrote
        replace_previous_outputs(out_dir / "plots", written, boundary=out_dir)
    # every text cell may come from an input file; people open this in spreadsheets
    written.append(atomic_write_text(out_dir / "leaderboard.csv", csv_text(tidy_frame(board))))
    readme = render_markdown(board, [(p.title, p.png) for p in figures])
    written.append(atomic_write_text(out_dir / "README.md", readme))
    written.append(atomic_write_text(out_dir / "index.html", render_html(board, figures, links)))
    log.info("wrote %d files to %s", len(written), out_dir)
    return BuildReport(out_dir=out_dir, n_measured=len(board.measured()), n_reported=len(board.reported()),
                       n_scores=len(board.scores), files=written, warnings=list(board.warnings))
