"""The main job (``xtd10 demo``): a real, fully offline benchmark run.

1. The embedded demo set (real photos from installed packages, captions in 11 languages)
   scored with the offline image-text encoder: both tracks, every language.
2. When XTD10 caption files are available locally (``--source``/``XTD10_SOURCE``, or the
   pinned upstream already cached), mUSE on the XTD10 text track, every language.

Nothing here reaches the network: an unavailable XTD10 source is reported, not fetched.
The work is split into a plan (what will run, what cannot and how to enable it) and steps,
so that a caller can say what is about to happen *before* the minutes of encoding start.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from xtd10.benchmark.placement import save_result
from xtd10.benchmark.result import default_result_path
from xtd10.benchmark.runner import evaluate
from xtd10.schema import DEMO, TEXT_TRACK, TRACKS, XTD10, Result

DEMO_IMAGE_ENCODER = "offline-labels"
DEMO_TEXT_ENCODER = "muse"
XTD10_IMAGES = 1000


@dataclass(frozen=True)
class DemoStep:
    """One benchmark run of the demo: what it scores, on what, and (if it cannot run) why."""

    title: str
    spec: str
    dataset: str  # DEMO.key or XTD10.key
    tracks: tuple[str, ...]
    items: int  # texts plus images to encode (cached ones are read back instead)
    skipped: str | None = None


@dataclass
class DemoPlan:
    """What ``xtd10 demo`` will do, known before any model is loaded."""

    demo_images: list[dict]
    demo_languages: list[str]
    xtd10_info: object  # xtd10.data.info.DatasetInfo
    steps: list[DemoStep]


def no_source_hint() -> str:
    """Why the XTD10 step cannot run, and the ways to enable it."""
    return ("optional; it needs the XTD10 caption files, which are not on this machine. Add them with "
            "`make run XTD10_SOURCE=DIR` or `xtd10 demo --source DIR`, where DIR is a checkout of the upstream "
            "repository (XTD10/, MIC/, STAIR/), or run `xtd10 data info --fetch` once with network access.")


def plan_demo(
    *,
    source: str | None = None,
    image_encoder: str = DEMO_IMAGE_ENCODER,
    text_encoder: str = DEMO_TEXT_ENCODER,
) -> DemoPlan:
    """Look at what is available (no network, no model loading) and list the steps."""
    from xtd10.data import demo
    from xtd10.data.info import dataset_info

    info = dataset_info(source)
    images = demo.demo_images()
    languages = demo.demo_languages()
    steps = [DemoStep(f"{image_encoder} on the embedded demo set (image and text tracks)", image_encoder, DEMO.key,
                      tuple(TRACKS), len(images) * (1 + len(languages)))]
    captions = sum(row["captions"] or 0 for row in info.languages) or XTD10_IMAGES * len(info.languages)
    title = f"{text_encoder} on the XTD10 text track"
    steps.append(DemoStep(title, text_encoder, XTD10.key, (TEXT_TRACK,), captions,
                          None if info.available else no_source_hint()))
    return DemoPlan(
        demo_images=[{"key": img.key, "credit": img.credit, "license": img.license} for img in images],
        demo_languages=languages,
        xtd10_info=info,
        steps=steps,
    )


def run_step(
    step: DemoStep,
    out_dir: str | os.PathLike | None = None,
    *,
    source: str | None = None,
    bootstrap: int = 1000,
    batch_size: int = 64,
    command: str | None = None,
    progress: bool = True,
) -> tuple[Result, Path]:
    """Run one runnable step and save its result file."""
    result = evaluate(step.spec, dataset=step.dataset, tracks=step.tracks,
                      source=source if step.dataset == XTD10.key else None, bootstrap=bootstrap,
                      batch_size=batch_size, command=command, progress=progress)
    return result, save_result(result, default_result_path(result, out_dir)).path


def iter_demo(plan: DemoPlan, out_dir: str | os.PathLike | None = None, **options) -> Iterator[
        tuple[DemoStep, Result | None, Path | None]]:
    """Run the plan's steps in order, yielding each (skipped steps with no result)."""
    for step in plan.steps:
        if step.skipped is not None:
            yield step, None, None
            continue
        result, path = run_step(step, out_dir, **options)
        yield step, result, path
