"""``xtd10 leaderboard``: regenerate the leaderboard from result and reported files."""

from __future__ import annotations

from pathlib import Path

import click

DEFAULT_OUT = Path("leaderboards")


@click.group(name="leaderboard")
def group() -> None:
    """Regenerate leaderboard tables, plots and page."""


@group.command()
@click.option("--results", "results_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of measured result files (*.json). Default: OUT/results if present.")
@click.option("--reported", "reported_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Folder of reported-number files (*.yaml). Default: OUT/reported if present.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
              show_default=True, help="Where README.md, leaderboard.csv, plots/ and index.html go.")
@click.option("--no-plots", is_flag=True, help="Skip the figures (faster; tables and page only).")
def build(results_dir: Path | None, reported_dir: Path | None, out_dir: Path, no_plots: bool) -> None:
    """Validate every input file and write the leaderboard into OUT."""
    from xtd10.leaderboard import build_leaderboard

    if results_dir is None and (out_dir / "results").is_dir():
        results_dir = out_dir / "results"
    if reported_dir is None and (out_dir / "reported").is_dir():
        reported_dir = out_dir / "reported"
    if results_dir is None and reported_dir is None:
        from xtd10.leaderboard import LeaderboardError

        raise LeaderboardError(f"no inputs: neither {out_dir / 'results'} nor {out_dir / 'reported'} exists; "
                               "pass --results DIR (and --reported DIR) to build from other folders")
    report = build_leaderboard(out_dir, results_dir, reported_dir, plots=not no_plots)
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"{report.n_measured} measured and {report.n_reported} reported entries, {report.n_scores} numbers; "
        f"wrote {len(report.files)} files to {report.out_dir}"
    )


@group.command()
@click.option("--results", "results_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_OUT / "results", show_default=True, help="Folder of measured result files.")
@click.option("--reported", "reported_dir", type=click.Path(path_type=Path, file_okay=False),
              default=DEFAULT_OUT / "reported", show_default=True, help="Folder of reported-number files.")
def validate(results_dir: Path, reported_dir: Path) -> None:
    """Check every input file (schema, fields, duplicates, revisions) without writing anything."""
    from xtd10.leaderboard import collect

    board = collect(results_dir if results_dir.is_dir() else None, reported_dir if reported_dir.is_dir() else None)
    for warning in board.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"ok: {len(board.measured())} measured and {len(board.reported())} reported entries, "
               f"{len(board.scores)} numbers")
