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
@click.option("--no-failures", is_flag=True, help="Skip the failure views (OUT/failures/<result>/).")
def build(results_dir: Path | None, reported_dir: Path | None, out_dir: Path, no_plots: bool,
          no_failures: bool) -> None:
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
    report = build_leaderboard(out_dir, results_dir, reported_dir, plots=not no_plots, failures=not no_failures)
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


@group.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--source", type=click.Path(path_type=Path, file_okay=False),
              help="Caption files (a promoted dataset with languages.json, for local- revisions; any copy, to count queries).")
@click.option("--require-ranks", is_flag=True, help="Fail on files without per-query ranks (unverified).")
def verify(files: tuple[Path, ...], source: Path | None, require_ranks: bool) -> None:
    """Recompute every number of result FILES from their per-query ranks and check their data.

    One line per problem (file, cell, what); exit status 1 when any file has a problem.
    """
    from xtd10.leaderboard.verify import verify_files

    failed = 0
    for report in verify_files(list(files), source=source):
        for problem in report.problems:
            click.echo(str(problem))
        for note in report.notes:
            click.echo(f"{report.file}: {note}", err=True)
        if report.problems or (require_ranks and not report.verified):
            failed += 1
        elif report.verified:
            click.echo(f"{report.file}: ok, {report.rows_checked} metric rows recomputed from per-query ranks")
        else:
            click.echo(f"{report.file}: ok, unverified (no per-query ranks)")
        if report.reproducibility and not report.problems:
            click.echo(f"{report.file}: a re-run reproduces it: {report.reproducibility}")
    if failed:
        raise SystemExit(f"{failed} of {len(files)} file(s) failed verification")


@group.command()
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=DEFAULT_OUT,
              show_default=True, help="Leaderboard folder: the file goes to OUT/results, then OUT is rebuilt.")
@click.option("--replace", is_flag=True, help="Overwrite an earlier run of the same encoder on the same data.")
@click.option("--source", type=click.Path(path_type=Path, file_okay=False),
              help="Caption files (a promoted dataset with languages.json, for local- revisions; any copy, to count queries).")
@click.option("--no-build", is_flag=True, help="Place the file only; do not rebuild the leaderboard.")
@click.option("--no-plots", is_flag=True, help="Rebuild without the figures (faster).")
def submit(file: Path, out_dir: Path, replace: bool, source: Path | None, no_build: bool, no_plots: bool) -> None:
    """Verify FILE, place it under OUT/results (never silently over another run), rebuild OUT."""
    from xtd10.leaderboard.submit import submit as place

    placement = place(file, out_dir / "results", replace=replace, source=source)
    click.echo(placement.message)
    if no_build or placement.action == "unchanged":
        return
    from xtd10.leaderboard import build_leaderboard

    reported = out_dir / "reported"
    report = build_leaderboard(out_dir, out_dir / "results", reported if reported.is_dir() else None,
                               plots=not no_plots)
    click.echo(f"rebuilt {report.out_dir}: {report.n_measured} measured entries, {len(report.files)} files")
