"""``xtd10 demo``: the README's main job, fully offline (see xtd10.benchmark.demo)."""

from __future__ import annotations

import click

from xtd10.cli.bench import command_line, echo_result_summary


@click.command(name="demo")
@click.option("--out", type=click.Path(file_okay=False), default="leaderboards/results", show_default=True,
              help="Directory for the result files.")
@click.option("--source", help="XTD10 caption source for the text track (default: $XTD10_SOURCE).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--image-model", default="offline-labels", show_default=True, help="Encoder for the demo set.")
@click.option("--text-model", default="muse", show_default=True, help="Encoder for the XTD10 text track.")
def group(out: str, source: str | None, bootstrap: int, image_model: str, text_model: str) -> None:
    """Score the offline image-text encoder on the embedded demo set and, when XTD10
    caption files are available locally, mUSE on the XTD10 text track."""
    from xtd10.benchmark.demo import run_demo

    report = run_demo(out, source=source, bootstrap=bootstrap, image_encoder=image_model,
                      text_encoder=text_model, command=command_line())
    info = report.xtd10_info
    click.echo("XTD10: 1000 MSCOCO 2014 images (800 train2014, 200 val2014), captions in 11 languages")
    click.echo(f"source: {info.source['kind']} {info.source['location']}  revision: {info.revision}")
    click.echo(f"{'code':<5} {'language':<20} {'script':<6} {'captions':>8}  provenance")
    for row in info.languages:
        captions = "-" if row["captions"] is None else str(row["captions"])
        click.echo(f"{row['code']:<5} {row['name']:<20} {row['script']:<6} {captions:>8}  {row['provenance']}")
    if info.note:
        click.echo(f"note: {info.note}")
    click.echo(f"\ndemo set: {len(report.demo_images)} photos shipped in scikit-image, scikit-learn and "
               f"matplotlib, one caption each in {len(report.demo_languages)} languages "
               f"({', '.join(report.demo_languages)})")
    for title, result, path in report.runs:
        click.echo(f"\n=== {title}")
        echo_result_summary(result, path)
    for message in report.skipped:
        click.echo(f"\nskipped: {message}")
