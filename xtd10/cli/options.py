"""Options that several command groups share, worded once so that `--help` says the same
thing about where captions and images come from wherever it is asked."""

from __future__ import annotations

import click

SOURCE_HELP = ("XTD10 caption source: a local directory in the upstream layout or a base URL "
               "(default: $XTD10_SOURCE, else the pinned upstream, downloaded once into the cache).")
IMAGES_HELP = ("XTD10 images: a COCO 2014 root (train2014/, val2014/), a flat folder of the 1000 files, or a "
               "base URL; 'download': $XTD10_IMAGES if set, else the COCO server ($XTD10_IMAGE_URL for a "
               "mirror) into the cache, which needs network.")

source_option = click.option("--source", default=None, help=SOURCE_HELP)


def images_argument(value: str | None) -> str | bool | None:
    """The ``images=`` value for the library: ``'download'`` means True (env var, else the
    COCO server), anything else is passed on as it is."""
    return True if value == "download" else value


def images_option(when_omitted: str, **kwargs) -> click.Option:
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
