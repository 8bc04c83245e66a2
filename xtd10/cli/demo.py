"""``xtd10 demo``: the README's main job, fully offline (see xtd10.benchmark.demo)."""

from __future__ import annotations

import click

from xtd10.cli.bench import command_line, echo_result_summary
from xtd10.schema import XTD10


def echo_plan(plan) -> None:
    """What is about to run and why, before any model loads (that takes seconds to minutes)."""
    info = plan.xtd10_info
    click.echo("xtd10 demo: scores real encoders on real data, fully offline, to show the toolkit works here.")
    click.echo("XTD10 is 1000 MSCOCO 2014 images (800 train2014, 200 val2014) with captions in 11 languages.")
    click.echo(f"\nThe demo set ships with the toolkit: {len(plan.demo_images)} photos from scikit-image, "
               f"scikit-learn and matplotlib, one caption each in {len(plan.demo_languages)} languages "
               f"({', '.join(plan.demo_languages)}).")
    if info.available:
        counts = ", ".join(f"{row['code']} {row['captions']}" for row in info.languages)
        click.echo(f"XTD10 caption files: {info.source['kind']} {info.source['location']} "
                   f"(revision {info.revision}); captions: {counts}")
        if info.note:
            click.echo(f"note: {info.note}")
    click.echo("\nSteps:")
    for number, step in enumerate(plan.steps, 1):
        if step.skipped:
            state = "not run"
        elif step.dataset == XTD10.key:
            state = (f"will run ({step.items:,} captions: minutes on a CPU the first time, with a progress bar and "
                     "an estimate; seconds later, as the embeddings are cached)")
        else:
            state = "will run (under a minute)"
        click.echo(f"  {number}. {step.title}: {state}")
        if step.skipped:
            click.echo(f"     {step.skipped}")


@click.command(name="demo")
@click.option("--out", type=click.Path(file_okay=False),
              help="Directory for the result files (default: $XTD10_RESULTS, else ./results).")
@click.option("--committed", type=click.Path(file_okay=False), default="leaderboards/results", show_default=True,
              help="Committed results to compare the fresh numbers with (the file of the same name; "
                   "nothing is compared where there is none).")
@click.option("--source", help="XTD10 caption source for the text track (default: $XTD10_SOURCE).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--image-model", default="offline-labels", show_default=True, help="Encoder for the demo set.")
@click.option("--text-model", default="muse", show_default=True, help="Encoder for the XTD10 text track.")
def group(out: str | None, committed: str, source: str | None, bootstrap: int, image_model: str,
          text_model: str) -> None:
    """Score the offline image-text encoder on the embedded demo set and, when XTD10
    caption files are available locally, mUSE on the XTD10 text track."""
    from xtd10.benchmark.agreement import agreement_with_folder
    from xtd10.benchmark.demo import iter_demo, plan_demo
    from xtd10.benchmark.result import results_folder

    plan = plan_demo(source=source, image_encoder=image_model, text_encoder=text_model)
    echo_plan(plan)
    total = len(plan.steps)
    ran = []
    steps = iter_demo(plan, out or results_folder(), source=source, bootstrap=bootstrap, command=command_line())
    for number, (step, result, path) in enumerate(steps, 1):
        if result is None or path is None:
            continue
        click.echo(f"\n=== step {number} of {total}: {step.title}")
        echo_result_summary(result, path)
        same = agreement_with_folder(result, path, committed)
        if same is not None:
            click.echo(f"metrics: {same.describe()}")
        ran.append(path)
    skipped = [s for s in plan.steps if s.skipped]
    click.echo(f"\nDone: {len(ran)} of {total} steps ran; result files: {', '.join(str(p) for p in ran)}")
    for step in skipped:
        click.echo(f"Optional, not run: {step.title} (it needs the XTD10 caption files; see Steps above).")
