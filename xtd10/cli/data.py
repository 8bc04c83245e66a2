"""``xtd10 data ...``: inspect, build and publish the dataset (thin wrappers)."""

from __future__ import annotations

import click

from xtd10.cli.options import dataset_option, images_argument, images_option, languages_option, source_option


@click.group(name="data")
def group() -> None:
    """Load, inspect, build and publish the XTD10 dataset."""


@group.command()
@dataset_option()
@source_option
@click.option("--fetch", is_flag=True, help="Download the pinned caption files if they are not cached.")
def info(dataset: str, source: str | None, fetch: bool) -> None:
    """Languages, caption counts, provenance, source revision and cache state."""
    from xtd10.data.info import dataset_info
    from xtd10.data.table import descriptor_named

    report = dataset_info(source, fetch=fetch, dataset=dataset)
    click.echo(f"dataset:  {descriptor_named(dataset).title}")
    click.echo(f"source:   {report.source['kind']} {report.source['location']}")
    click.echo(f"revision: {report.revision}")
    if report.images:
        splits = ", ".join(f"{v} {k}" for k, v in report.images.items() if k != "total")
        click.echo(f"images:   {report.images['total']} ({splits})")
    click.echo(f"licence:  {descriptor_named(dataset).licence}")
    click.echo("")
    click.echo(f"{'code':<8} {'language':<30} {'script':<6} {'captions':>8}  provenance")
    for row in report.languages:
        captions = "-" if row["captions"] is None else str(row["captions"])
        click.echo(f"{row['code']:<8} {row['name']:<30} {row['script']:<6} {captions:>8}  {row['provenance']}")
    click.echo("")
    cache = report.cache
    line = f"cache:    {cache['root']} ({cache['images_cached']} images"
    if "caption_files_total" in cache:
        line += f", {cache['caption_files_cached']}/{cache['caption_files_total']} upstream files"
    click.echo(line + ")")
    if report.note:
        click.echo(f"note:     {report.note}")


@group.command()
@click.argument("out", type=click.Path(file_okay=False))
@dataset_option()
@source_option
@languages_option
@images_option("Omitted: a text-only build.")
@click.option("--audit", is_flag=True, help="Add the crowd audit's findings to the card's known issues (XTD10).")
def build(out: str, dataset: str, source: str | None, languages: str, images: str | None, audit: bool) -> None:
    """Write a Hugging Face dataset repository (parquet configs, card, licence) to OUT."""
    from xtd10.data.hub import build_hub_dataset
    from xtd10.data.table import descriptor_named

    known_issues = None
    if audit:
        from xtd10.crowd.audit import known_issues_table

        known_issues = known_issues_table(source)
    report = build_hub_dataset(out, source=source, languages=languages, images=images_argument(images),
                               known_issues=known_issues, dataset=dataset)
    click.echo(f"built {report.out} from revision {report.revision}")
    for config in report.configs:
        click.echo(f"  {config.name:<7} {config.num_rows:>6} rows  {config.path}")
    click.echo(f"load it with: datasets.load_dataset({str(report.out)!r}, 'es', split='test')")
    click.echo(f"licence: {descriptor_named(dataset).licence}; LICENSE.md is included and must travel with the data.")


@group.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option("--repo-id", required=True, help="ORG/NAME of the dataset repository.")
@click.option("--private/--public", default=True, show_default=True)
@click.option("--message", default="Upload XTD10 built with the xtd10 toolkit", show_default=True)
def push(folder: str, repo_id: str, private: bool, message: str) -> None:
    """Upload a built FOLDER to the Hugging Face Hub (needs network and a token)."""
    from xtd10.data.hub import push_hub_dataset

    click.echo(push_hub_dataset(folder, repo_id, private=private, commit_message=message))


@group.command(name="images")
@dataset_option()
@source_option
@images_option("", default="download", show_default=True)
def images_command(dataset: str, source: str | None, images: str) -> None:
    """Check (or download into the cache) the 1000 images of a dataset."""
    from xtd10.data.images import resolve_images
    from xtd10.data.sources import resolve_source
    from xtd10.data.table import descriptor_named, read_images

    src = resolve_source(source, descriptor_named(dataset))
    entries = read_images(src)
    paths = resolve_images([e.file_name for e in entries], images_argument(images), source=src)
    click.echo(f"all {len(paths)} images present and decodable")
