"""``xtd10 crowd``: collect, ingest, validate, decide, promote, audit (thin wrappers)."""

from __future__ import annotations

from pathlib import Path

import click

from xtd10.cli.options import LANGUAGES_HELP, dataset_option, source_option


@click.group("crowd")
def group() -> None:
    """Collect, validate and promote crowdsourced captions; audit published ones."""


_settings = click.option("--settings", "settings_dir", default=None, type=click.Path(exists=True, file_okay=False),
                         help="Directory of per-language settings (<code>.yaml, each overriding the packaged "
                              "settings of its language key by key); default: the packaged ones.")


def _language(code: str) -> str:
    """The canonical code (``jp`` -> ``ja``), as every file this toolkit writes uses;
    codes not shaped like a language tag are refused."""
    from xtd10.crowd.settings import canonical_code

    return canonical_code(code)


def _distinct(**paths) -> None:
    """Refuse an output that is one of the inputs (or another output): see
    :func:`xtd10.cli.options.distinct_paths`."""
    from xtd10.cli.options import distinct_paths

    distinct_paths(**paths)


@group.command("task")
@click.option("--language", required=True,
              help="Target language code (e.g. hi; jp is read as ja). Its settings give the page's title, "
                   "instructions, guidelines with examples, and the checks run before submitting.")
@click.option("--out", "out", default=None, type=click.Path(dir_okay=False), help="Platform input CSV.")
@click.option("--image-url-template", default=None, help="e.g. https://host/{split}/{file_name}")
@click.option("--page", type=click.Path(dir_okay=False), default=None, help="Also write the task page here.")
@click.option("--platform", type=click.Choice(["mturk", "plain"]), default="mturk", show_default=True)
@click.option("--preview", type=click.Path(dir_okay=False), default=None,
              help="Write a local preview: the page with one real item filled in (submitting only checks it).")
@click.option("--item", "item_index", type=int, default=0, show_default=True,
              help="Which image (0-999, XTD10 order) the preview shows.")
@source_option
@_settings
def task_cmd(language, out, image_url_template, page, platform, preview, item_index, source, settings_dir):
    """Write the input file for the 1000 images (and optionally the task page or a preview)."""
    from xtd10.crowd.csv_files import write_csv
    from xtd10.crowd.settings import load_settings
    from xtd10.crowd.task import preview_page, render_template, task_input
    from xtd10.data.upstream import COCO_IMAGE_URL
    from xtd10.files import atomic_write_text

    if not (out or page or preview):
        raise click.UsageError("give --out (the input CSV), --page and/or --preview")
    language = _language(language)
    load_settings(language, settings_dir)  # warns now if the language has no settings
    frame = task_input(language, source=source, image_url_template=image_url_template or COCO_IMAGE_URL)
    if out:
        write_csv(frame, out)
        click.echo(f"wrote {len(frame)} items to {out}")
    if page:
        atomic_write_text(page, render_template(language, platform, settings_dir=settings_dir))
        click.echo(f"wrote the {platform} task page to {page}")
    if preview:
        atomic_write_text(preview, preview_page(language, frame, item_index, settings_dir=settings_dir))
        click.echo(f"wrote a preview of item {item_index} to {preview}")


@group.command("ingest")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--platform", required=True, type=click.Choice(["mturk", "toloka", "appen", "labelstudio", "csv"]))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="YAML file for a custom task design: 'columns: {canonical_field: column_name}' (fields: "
                   "submission_id, worker_id, image, text, english, work_time_s, start, end, ...), optional "
                   "'delimiter' and, for Label Studio, 'text_field'. See docs/crowdsourcing.md.")
@click.option("--language", required=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--encoding", default=None,
              help="The export's text encoding (e.g. cp1252), when detection is wrong; default: UTF-8/UTF-16 by "
                   "BOM, else UTF-8 with undecodable rows reported, cp1252 only if no line is UTF-8.")
@source_option
def ingest_cmd(file, platform, mapping, language, output, encoding, source):
    """Read a platform export into the canonical parquet table."""
    from xtd10.crowd.ingest import ingest, load_mapping
    from xtd10.crowd.settings import warn_if_generic
    from xtd10.data import load_frame

    language = _language(language)
    _distinct(FILE=file, **{"-o": output}, **({"--mapping": mapping} if mapping else {}))
    warn_if_generic(language)  # now, not only at validate
    english = load_frame("en", source=source)
    english = english[english["caption_index"] == 0]
    report = ingest(file, platform=platform, language=language, output=output,
                    image_names=list(english["file_name"]), english=dict(zip(english["file_name"],
                                                                            english["caption"], strict=True)),
                    mapping=load_mapping(mapping), encoding=encoding)
    for line, message in report.errors:
        click.echo(f"{file}:{line}: {message}", err=True)
    if report.bad_rows > len(report.errors):
        click.echo(f"... and {report.bad_rows - len(report.errors)} more bad rows", err=True)
    click.echo(f"ingested {report.rows} submissions ({report.bad_rows} bad rows skipped, "
               f"encoding {report.encoding}) -> {output}")


def _validation(batch, semantic, encoder_spec, rules, exclude, settings_dir, reject_review, force=False):
    from xtd10.crowd.semantic import semantic_from_spec
    from xtd10.crowd.validate import read_batch, validate

    encoder = semantic_from_spec(encoder_spec, force=force) if semantic else None
    return validate(read_batch(batch), encoder=encoder, rule_ids=list(rules) or None, exclude=list(exclude),
                    settings_dir=settings_dir, reject_review=reject_review)


_rules = [
    click.option("--semantic/--no-semantic", default=True, help="Run the encoder-based semantic rule (slower)."),
    click.option("--encoder", "encoder_spec", default="auto", show_default=True,
                 help="Encoder spec for the semantic and refusal rules; auto: per language, an offline "
                      "encoder trained on it (muse, else e5-small)."),
    click.option("--force-encoder", "force", is_flag=True,
                 help="Use --encoder even for languages it was not trained on (otherwise they are skipped)."),
    click.option("--rule", "rules", multiple=True, help="Only these rule ids (repeatable)."),
    click.option("--exclude", multiple=True, help="Skip these rule ids (repeatable)."),
    click.option("--reject-review", "--reject-warnings", "reject_review", is_flag=True,
                 help="Reject what would go to review (when nobody will review the batch)."),
    _settings,
]


def _with_rules(f):
    for option in reversed(_rules):
        f = option(f)
    return f


@group.command("validate")
@click.argument("batch", type=click.Path(exists=True, dir_okay=False))
@click.option("--report", "report_dir", required=True, type=click.Path(file_okay=False))
@_with_rules
def validate_cmd(batch, report_dir, semantic, encoder_spec, force, rules, exclude, reject_review, settings_dir):
    """Run the rules; write report.html, summary.md, flags.csv, workers.csv, decisions.csv."""
    from xtd10.crowd.report import markdown_summary, write_report

    _distinct(BATCH=batch, **{"--report": report_dir})
    v = _validation(batch, semantic, encoder_spec, rules, exclude, settings_dir, reject_review, force)
    paths = write_report(v, report_dir)
    click.echo(markdown_summary(v))
    click.echo(f"report: {paths['html']}")


@group.command("review")
@click.argument("batch", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="The review page (HTML).")
@click.option("--images", default=None, help="Folder (flat or COCO layout) or base URL of the images; "
                                             "without it the page shows file names only.")
@_with_rules
def review_cmd(batch, output, images, semantic, encoder_spec, force, rules, exclude, reject_review, settings_dir):
    """Write one offline page for deciding, by keyboard, the submissions the rules sent to
    review; its exported CSV goes to 'decide --reviews'."""
    from xtd10.crowd.review_page import render_review_page
    from xtd10.crowd.reviews import review_queue
    from xtd10.files import atomic_write_text

    v = _validation(batch, semantic, encoder_spec, rules, exclude, settings_dir, reject_review, force)
    page = render_review_page(v, images=images, title=Path(batch).name)
    atomic_write_text(output, page)
    click.echo(f"{len(review_queue(v.decisions))} submissions to review -> {output}")


@group.command("decide")
@click.argument("batch", type=click.Path(exists=True, dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(["mturk", "toloka", "csv"]), default="csv", show_default=True)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
@click.option("--accepted", type=click.Path(dir_okay=False), default=None,
              help="Also write the approved rows (parquet, for promote); review and reject rows never go here.")
@click.option("--reviews", "reviews_file", type=click.Path(dir_okay=False), default=None,
              help="CSV exported from the 'crowd review' page: decides the submissions under review.")
@_with_rules
def decide_cmd(batch, fmt, output, accepted, reviews_file, semantic, encoder_spec, force, rules, exclude,
               reject_review, settings_dir):
    """Write platform-ready approve/review/reject files with feedback."""
    from xtd10.crowd.decide import block_path, review_path, write_accepted, write_decisions

    _distinct(BATCH=batch, **{"-o": output, "--accepted": accepted, "block list": block_path(output, fmt),
                              "review list": review_path(output, fmt), "--reviews": reviews_file})
    v = _validation(batch, semantic, encoder_spec, rules, exclude, settings_dir, reject_review, force)
    if reviews_file:
        from xtd10.crowd.reviews import apply_reviews, batch_identity, read_reviews

        v.decisions = apply_reviews(v.decisions, read_reviews(reviews_file), where=reviews_file,
                                    explanations=v.messages,
                                    batch=batch_identity(v.submissions))
    paths = write_decisions(v.decisions, v.workers, fmt, output, submissions=v.submissions)
    if accepted:
        write_accepted(v.submissions, v.decisions, accepted)
    counts = v.decisions["decision"].value_counts()
    click.echo(f"approve {int(counts.get('approve', 0))}, review {int(counts.get('review', 0))}, "
               f"reject {int(counts.get('reject', 0))} -> {paths['decisions']} "
               f"(review list: {paths['review']}; block list: {paths['block']})")


@group.command("promote")
@click.argument("accepted", type=click.Path(exists=True, dir_okay=False))
@click.option("--language", required=True)
@click.option("--name", default=None, help="Language name for the registry (default: from settings).")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Source directory to write (a copy of --source is made there).")
@click.option("--replace", is_flag=True, help="Replace an earlier promotion of this language.")
@source_option
@_settings
def promote_cmd(accepted, language, name, output, replace, source, settings_dir):
    """Turn accepted captions (from 'decide --accepted') into a dataset language."""
    from xtd10.crowd.promote import promote
    from xtd10.crowd.validate import read_batch

    table = read_batch(accepted, what="accepted table", required=("image", "text"))
    entry = promote(table, language=language, source=source, output=output, name=name,
                    replace=replace, settings_dir=settings_dir)
    click.echo(f"promoted {entry.code} ({entry.name}) into {Path(output)}; "
               f"load it with xtd10.load({entry.code!r}, source={str(output)!r})")


@group.command("audit")
@dataset_option(help="Which dataset to audit: xtd10 (its human translations) or xtd200 / flickr30k-200 "
                     "(all 201 machine-translated languages, settings from the language table).")
@click.option("--language", "language_list", multiple=True, help="Language(s) to audit (default: all but en).")
@click.option("--languages", "languages", default=None, help=LANGUAGES_HELP + " Default: all (XTD10: all but en).")
@click.option("--semantic/--no-semantic", default=False, help="Also run the encoder-based rule.")
@click.option("--encoder", "encoder_spec", default="auto", show_default=True,
              help="auto: per language, an offline encoder trained on it (XTD200 / Flickr30k-200: mUSE, else "
                   "e5-small); a name (muse, e5-small) limits the semantic rule to the languages it was trained on.")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="Write flags.csv (one row per flag, as `crowd validate` writes) into this folder (XTD10).")
@click.option("--table", "table_path", type=click.Path(dir_okay=False), default=None,
              help="XTD200 / Flickr30k-200: write the per-language flag-rate table (CSV, no caption text) here.")
@click.option("--publish", is_flag=True, default=False,
              help="XTD200 / Flickr30k-200: also write the toolkit's packaged flagged list for the pinned release "
                   "(xtd10/descriptors/audits/<dataset>.flagged.json); refused unless the files are the pinned ones.")
@_settings
@source_option
def audit_cmd(dataset, language_list, languages, semantic, encoder_spec, report_dir, table_path, publish,
              settings_dir, source):
    """Run the rules on published captions; the flags are recorded for xtd10.load(..., exclude_flagged=True)."""
    import pandas as pd

    from xtd10.crowd.csv_files import write_csv
    from xtd10.data import resolve_source
    from xtd10.schema import DATASETS, XTD10

    descriptor = DATASETS[dataset]
    chosen = ",".join([*language_list, *([languages] if languages else [])]) or None
    if descriptor.key != XTD10.key:
        _audit_dataset(descriptor, chosen, source, semantic, settings_dir, table_path, publish, encoder_spec)
        return
    from xtd10.crowd.audit import audit_and_record
    from xtd10.crowd.semantic import semantic_from_spec

    src = resolve_source(source)
    codes = src.registry.resolve_many(chosen) if chosen else [c for c in src.registry.codes if c != "en"]
    encoder = semantic_from_spec(encoder_spec) if semantic else None
    frames = []
    for code in codes:
        flags = audit_and_record(code, src, encoder=encoder)  # recorded for exclude_flagged=True
        frames.append(flags)
        counts = flags.groupby("rule")["submission_id"].nunique().to_dict()
        click.echo(f"{code}: " + (", ".join(f"{r} {n}" for r, n in sorted(counts.items())) or "no flags"))
    if report_dir:
        Path(report_dir).mkdir(parents=True, exist_ok=True)
        written = Path(report_dir) / "flags.csv"
        write_csv(pd.concat(frames, ignore_index=True), written)
        click.echo(f"wrote {written}")


def _audit_dataset(descriptor, languages, source, semantic, settings_dir, table_path, publish,
                   encoder_spec: str = "auto") -> None:
    """``crowd audit --dataset xtd200``: every language at once, settings from the language table."""
    import time

    from xtd10.crowd.audit_outputs import check_publishable, publish_flagged, rates_table, record, write_table
    from xtd10.crowd.dataset_audit import audit_dataset
    from xtd10.crowd.semantic import DEFAULT_SPECS
    from xtd10.data import resolve_source

    started = time.perf_counter()
    src = resolve_source(source, descriptor)
    encoders = DEFAULT_SPECS if encoder_spec == "auto" else (encoder_spec,)
    audit = audit_dataset(descriptor, languages or "all", src, semantic=semantic, settings_dir=settings_dir,
                          encoders=encoders)
    if publish:
        check_publishable(audit)
    table = rates_table(audit)
    written = record(audit, src)
    if publish:
        written.append(publish_flagged(audit))
    if table_path:
        written.append(write_table(table, table_path))
    for row in table.itertuples():
        click.echo(f"{row.tag}: {row.flagged} of {row.rows} rejected"
                   + (f" (not judged: {row.not_judged})" if row.not_judged else ""))
    total, rows = int(table["flagged"].sum()), int(table["rows"].sum())
    click.echo(f"{descriptor.title}: {total} of {rows} captions rejected in {len(table)} languages "
               f"({time.perf_counter() - started:.0f} s"
               + (f"; {audit.encoded_chunks} caption chunks encoded, the rest read from the embedding cache)"
                  if semantic else "; semantic rule not run: pass --semantic)"))
    for path in written:
        click.echo(f"wrote {path}")


@group.command("audit-summary")
@click.argument("tables", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Markdown file to write.")
def audit_summary_cmd(tables, out):
    """Write the markdown summary of dataset audits from their tables (`crowd audit --table`)."""
    from xtd10.crowd.audit_outputs import AUDIT_METHOD, read_table, summary_markdown
    from xtd10.files import atomic_write_text
    from xtd10.schema import DATASETS

    frames = {}
    for path in tables:
        key = Path(path).stem
        frames[DATASETS[key].title if key in DATASETS else key] = read_table(path)
    text = summary_markdown(frames, title="Audit of the machine-translated captions", method=AUDIT_METHOD)
    click.echo(f"wrote {atomic_write_text(out, text)}")
