"""The main job (``xtd10 demo``): a real, fully offline benchmark run.

1. The embedded demo set (real photos from installed packages, captions in 11 languages)
   scored with the offline image-text encoder: both tracks, every language.
2. When XTD10 caption files are available locally (``--source``/``XTD10_SOURCE``, or the
   pinned upstream already cached), mUSE on the XTD10 text track, every language.

Nothing here reaches the network: an unavailable XTD10 source is reported, not fetched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from xtd10.benchmark.placement import save_result
from xtd10.benchmark.result import Result, default_result_path
from xtd10.benchmark.runner import evaluate
from xtd10.schema import DEMO, TEXT_TRACK, TRACKS, XTD10

DEMO_IMAGE_ENCODER = "offline-labels"
DEMO_TEXT_ENCODER = "muse"


@dataclass
class DemoRun:
    """What the demo did: dataset summaries, results and where they were written."""

    demo_images: list[dict]
    demo_languages: list[str]
    xtd10_info: object  # xtd10.data.info.DatasetInfo
    runs: list[tuple[str, Result, Path]] = field(default_factory=list)  # (title, result, path)
    skipped: list[str] = field(default_factory=list)


def run_demo(
    out_dir: str | os.PathLike | None = None,
    *,
    source: str | None = None,
    bootstrap: int = 1000,
    image_encoder: str = DEMO_IMAGE_ENCODER,
    text_encoder: str = DEMO_TEXT_ENCODER,
    batch_size: int = 64,
    command: str | None = None,
    progress: bool = True,
) -> DemoRun:
    from xtd10.data import demo
    from xtd10.data.info import dataset_info

    info = dataset_info(source)
    report = DemoRun(
        demo_images=[{"key": img.key, "credit": img.credit, "license": img.license} for img in demo.demo_images()],
        demo_languages=demo.demo_languages(),
        xtd10_info=info,
    )
    result = evaluate(image_encoder, dataset=DEMO.key, tracks=tuple(TRACKS), bootstrap=bootstrap,
                      batch_size=batch_size, command=command, progress=progress)
    path = save_result(result, default_result_path(result, out_dir)).path
    report.runs.append((f"{image_encoder} on the embedded demo set (image and text tracks)", result, path))
    if info.available:
        result = evaluate(text_encoder, dataset=XTD10.key, tracks=(TEXT_TRACK,), source=source,
                          bootstrap=bootstrap, batch_size=batch_size, command=command, progress=progress)
        path = save_result(result, default_result_path(result, out_dir)).path
        report.runs.append((f"{text_encoder} on the XTD10 text track", result, path))
    else:
        report.skipped.append(
            f"{text_encoder} on the XTD10 text track: no local XTD10 caption files. Point --source or "
            "XTD10_SOURCE at a copy of the upstream repository (XTD10/, MIC/, STAIR/), or run "
            "`xtd10 data info --fetch` once with network access."
        )
    return report
