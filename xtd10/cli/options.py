"""Options that several command groups share, worded once so that `--help` says the same
thing about where captions and images come from wherever it is asked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

# What ``click.option(...)`` returns: a decorator that adds the option to a command.
OptionDecorator = Callable[[Callable[..., Any]], Callable[..., Any]]

SOURCE_HELP = ("Caption source: a local checkout of the dataset's upstream repository or a base URL "
               "(default: $XTD10_SOURCE for XTD10, $NLLB_CLIP_SOURCE for XTD200 and Flickr30k-200, else the "
               "pinned upstream, downloaded once into the cache).")
IMAGES_HELP = ("Images: a COCO 2014 root (train2014/, val2014/) or a flat folder of the 1000 files (XTD10, "
               "XTD200), a folder of the 1000 Flickr30k test images (Flickr30k-200), or a base URL; "
               "'download' (COCO only): $XTD10_IMAGES if set, else the COCO server ($XTD10_IMAGE_URL for a "
               "mirror) into the cache, which needs network.")
LANGUAGES_HELP = ("Comma-separated codes (XTD10 codes, BCP 47 tags or Flores-200 codes: de, zh-Hans, deu_Latn), "
                  "script:NAME for every language in a script (script:Arab), or 'all'.")


def dataset_option(**kwargs) -> OptionDecorator:
    """``--dataset``: every dataset the toolkit has a descriptor for."""
    from xtd10.schema import DATASETS, XTD10

    names = "; ".join(f"{d.key}: {d.title}" for d in DATASETS.values())
    kwargs.setdefault("help", f"Which dataset ({names}).")
    return click.option("--dataset", type=click.Choice(list(DATASETS)), default=XTD10.key, show_default=True,
                        **kwargs)

source_option = click.option("--source", default=None, help=SOURCE_HELP)
languages_option = click.option("--languages", default="all", show_default=True, help=LANGUAGES_HELP)


def images_argument(value: str | None) -> str | bool | None:
    """The ``images=`` value for the library: ``'download'`` means True (env var, else the
    COCO server), anything else is passed on as it is."""
    return True if value == "download" else value


def images_option(when_omitted: str, **kwargs) -> OptionDecorator:
    """``--images`` with IMAGES_HELP plus what this command does without it."""
    return click.option("--images", help=f"{IMAGES_HELP} {when_omitted}".rstrip(), **kwargs)


TRUST_CODE_HELP = ("Let a file (a checkpoint's config.json, a model list, a training config) name "
                   "py:MODULE:FACTORY encoders, which imports and runs that code; only for files from people "
                   "you trust.")

trust_code_option = click.option("--trust-code", is_flag=True, help=TRUST_CODE_HELP)


precision_option = click.option(
    "--precision", type=click.Choice(["fp32", "bf16", "fp16", "auto"]), default=None,
    help="Torch adapters (hf:, open_clip:, mclip:): fp32 (default; exact, comparable numbers), bf16 "
         "(CUDA, or CPUs with native bf16), fp16 (CUDA), auto (fp16 on CUDA, bf16 where the CPU has it). "
         "Recorded in the result.")


def distinct_paths(*, folders: dict[str, str | Path] | None = None, **paths: str | Path | None) -> None:
    """Refuse an output that is one of the inputs (or another output): writing it would
    destroy the input before, or while, it is read. ``paths`` maps the option (or argument)
    that named each file to it, inputs first; ``folders`` maps an option to a folder the
    command fills with files of names it chooses, which must hold none of the ``paths``."""
    from xtd10.errors import OutputOverwritesInputError

    seen: dict[Path, str] = {}
    for option, value in paths.items():
        if value is None:
            continue
        resolved = Path(value).expanduser().resolve()
        if resolved in seen:
            raise OutputOverwritesInputError(f"{value}: {option} is the same file as {seen[resolved]}; "
                                             "choose another path")
        seen[resolved] = option
    for option, folder in (folders or {}).items():
        inside = Path(folder).expanduser().resolve()
        for resolved, name in seen.items():
            if inside in resolved.parents:
                raise OutputOverwritesInputError(f"{resolved}: {name} lies in {folder}, which {option} fills with "
                                                 "files it writes; choose another path")
