"""The harness against CLIP_benchmark on the same model, images and captions.

Both tools score one randomly initialised open_clip model (``--arch``, seeded, saved as a
local checkpoint) on the same stand-in images (deterministic noise JPEGs named like the
XTD10 images) and the real XTD10 captions, image track, at fp32 (CLIP_benchmark
``--no_amp``, harness ``--precision fp32``) and at bf16 (CLIP_benchmark's default autocast,
harness ``--precision bf16``). For each tool and precision it prints wall time and peak
RSS; then the recalls side by side (CLIP_benchmark's ``image_retrieval_recall@k`` is the
harness's t2i R@k, ``text_retrieval_recall@k`` its i2t R@k), and the cosine between the
harness's vectors and open_clip's own full-length forward on a sample of captions and
images (at fp32 it must be at least 0.99999). Recall differences are listed with the
number of queries that moved across the cut-off (near-ties: tiny float differences
between the tools can move a rank when two scores are almost equal): for each such cell it
counts the queries whose relevant item sits within twice the largest caption-image score
difference between the tools (measured on the sample) of the k-th other item.

Needs a Python where open_clip_torch and clip-benchmark import beside xtd10 (see
docs/benchmark.md, "Against CLIP_benchmark"). Small check:

    python benchmark/speed/bench_vs_clip_benchmark.py --source DIR --languages de,ja --images 100

Full run (11 languages, 1000 images): drop ``--languages`` and ``--images``; ``--repeats 2``
runs each pair twice and prints the spread of the speed-up (a shared machine's speed drifts).
Figures only; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CB_LANGUAGE = {"ja": "jp"}  # CLIP_benchmark's code for Japanese


def trimmed_source(source: Path, out: Path, n_images: int) -> Path:
    """A caption source in the upstream layout holding the first ``n_images`` images."""
    for path in sorted(source.rglob("*.txt")):
        target = out / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)[:n_images]
        target.write_text("".join(lines), encoding="utf-8")
    return out


def stand_in_images(names: list[str], folder: Path) -> None:
    """One deterministic 640x480 noise JPEG per file name (COCO-sized, decoding like one)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        path = folder / name
        if not path.exists():
            rng = np.random.default_rng(index)
            coarse = rng.integers(0, 256, size=(60, 80, 3), dtype=np.uint8)
            image = Image.fromarray(coarse).resize((640, 480), Image.BILINEAR)
            image.save(path, quality=90)


def random_checkpoint(arch: str, path: Path) -> None:
    import open_clip
    import torch

    if not path.exists():
        torch.manual_seed(0)
        model = open_clip.create_model(arch)
        torch.save(model.state_dict(), path)


def cb_annotations(frame, languages: list[str], images: Path, root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for language in languages:
        rows = frame[frame["language"] == language].sort_values("index")
        data = {"image_paths": [str(images / name) for name in rows["file_name"]],
                "annotations": rows["caption"].tolist(), "indicies": rows["index"].tolist()}
        name = f"multilingual_mscoco_captions-{CB_LANGUAGE.get(language, language)}.json"
        (root / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"failed ({child.returncode}): {' '.join(command)}\n{child.stderr.read()[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def record(recalls: dict, key: tuple, value: float) -> None:
    """Keep one recall per cell; a tool giving another value on a repeated run is an error
    (both tools are deterministic on the CPU)."""
    if key in recalls and recalls[key] != value:
        raise SystemExit(f"{key}: {recalls[key]} on one run, {value} on another")
    recalls[key] = value


def speedups(rows: list[tuple]) -> dict[str, list[float]]:
    """Per precision, CLIP_benchmark's wall time over the harness's, for each pair of runs."""
    walls = {(tool, precision, run): wall for tool, precision, run, wall, _ in rows}
    ratios: dict[str, list[float]] = {}
    for (tool, precision, run), wall in walls.items():
        if tool == "CLIP_benchmark" and ("xtd10 harness", precision, run) in walls:
            ratios.setdefault(precision, []).append(wall / walls[("xtd10 harness", precision, run)])
    return ratios


def _normalised(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def agreement(encoder, tokenizer, captions: list[str], pictures: list, precision: str) -> tuple:
    """Min cosine between the harness adapter's vectors and open_clip's full-length forward
    (what CLIP_benchmark runs), and the largest difference between the two tools' caption-
    image similarities: how far a score may move from one tool to the other."""
    import torch

    model, preprocess, where = encoder.model, encoder.preprocess, encoder.device
    context = torch.autocast(where.type, dtype=torch.bfloat16) if precision == "bf16" else torch.inference_mode()
    with torch.inference_mode(), context:
        ref_text = torch.cat([model.encode_text(tokenizer(captions[i:i + 64]).to(where)).float().cpu()
                              for i in range(0, len(captions), 64)]).numpy()
        ref_image = torch.cat([model.encode_image(torch.stack([preprocess(p) for p in pictures[i:i + 64]]).to(where))
                               .float().cpu() for i in range(0, len(pictures), 64)]).numpy()
    ours_text, ours_image = encoder.encode_text(captions, language="xx"), encoder.encode_image(pictures)

    def cos(a, b):
        return float((_normalised(a) * _normalised(b)).sum(1).min())

    score_gap = float(np.abs(_normalised(ours_text) @ _normalised(ours_image).T
                             - _normalised(ref_text) @ _normalised(ref_image).T).max())
    return cos(ours_text, ref_text), cos(ours_image, ref_image), score_gap


def cutoff_margins(text: np.ndarray, image: np.ndarray, direction: str, k: int) -> np.ndarray:
    """Per query (caption i and image i belong together), the relevant item's similarity
    minus the k-th best other item's: a hit at k when positive (ties count against it); a
    query whose margin is within the tools' score difference can fall on either side."""
    scores = _normalised(text) @ _normalised(image).T
    if direction == "i2t":
        scores = scores.T
    positive = np.diag(scores).copy()
    others = scores.copy()
    np.fill_diagonal(others, -np.inf)
    kth_other = -np.partition(-others, k - 1, axis=1)[:, k - 1]
    return positive - kth_other


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=os.environ.get("XTD10_SOURCE"), required=False)
    parser.add_argument("--workdir", default="speed-vs-clip-benchmark", help="scratch folder (images, runs)")
    parser.add_argument("--arch", default="ViT-B-32")
    parser.add_argument("--languages", default="all")
    parser.add_argument("--images", type=int, default=1000, help="first N XTD10 images (1000: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--sample", type=int, default=256, help="captions and images for the cosine check")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (CLIP_benchmark uses cuda when present)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="pairs of runs per precision (CLIP_benchmark then harness, alternating)")
    args = parser.parse_args()
    if not args.source:
        raise SystemExit("give --source (an XTD10 caption folder in the upstream layout) or set XTD10_SOURCE")

    from xtd10.data import load_frame
    from xtd10.languages import XTD10_CODES

    work = Path(args.workdir).resolve()
    source = trimmed_source(Path(args.source), work / "source", args.images) if args.images < 1000 \
        else Path(args.source).resolve()
    languages = list(XTD10_CODES) if args.languages == "all" else args.languages.split(",")
    frame = load_frame(languages, source=str(source))
    names = frame[frame["language"] == languages[0]].sort_values("index")["file_name"].tolist()
    images = work / "images"
    stand_in_images(names, images)
    checkpoint = work / f"{args.arch}-random.pt"
    random_checkpoint(args.arch, checkpoint)
    cb_annotations(frame, languages, images, work / "cb-root")

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "XTD10_CACHE": str(work / "cache"), "HF_HUB_OFFLINE": "1"}
    rows, recalls = [], {}
    for precision in args.precisions.split(","):
        for run in range(1, args.repeats + 1):  # the tools alternate: a pair shares the machine's state
            out = work / f"cb-{precision}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            cb = [str(bin_dir / "clip_benchmark"), "eval", "--dataset", "multilingual_mscoco_captions",
                  "--dataset_root", str(work / "cb-root"), "--task", "zeroshot_retrieval", "--model", args.arch,
                  "--pretrained", str(checkpoint), "--language", *[CB_LANGUAGE.get(code, code) for code in languages],
                  "--recall_k", "1", "5", "10", "--batch_size", str(args.batch_size),
                  "--num_workers", "2", "--output", str(out / "{language}.json")]
            if precision == "fp32":
                cb.append("--no_amp")
            rows.append(("CLIP_benchmark", precision, run, *timed(cb, env)))
            for code in languages:
                metrics = json.loads((out / f"{CB_LANGUAGE.get(code, code)}.json").read_text())["metrics"]
                for k in (1, 5, 10):
                    record(recalls, ("CLIP_benchmark", precision, code, "t2i", k), metrics[f"image_retrieval_recall@{k}"])
                    record(recalls, ("CLIP_benchmark", precision, code, "i2t", k), metrics[f"text_retrieval_recall@{k}"])
            result = work / f"harness-{precision}.json"
            harness = [str(bin_dir / "xtd10"), "bench", "run", "--model", f"open_clip:{args.arch}@{checkpoint}",
                       "--source", str(source), "--images", str(images), "--languages", ",".join(languages),
                       "--track", "image", "--subset", "all", "--bootstrap", "0", "--batch-size", str(args.batch_size),
                       "--device", args.device, "--precision", precision, "--no-cache", "--out", str(result)]
            rows.append(("xtd10 harness", precision, run, *timed(harness, env)))
            for metric in json.loads(result.read_text())["metrics"]:
                if metric["subset"] == "all" and metric["language"] in languages \
                        and metric["metric"] in ("R@1", "R@5", "R@10"):
                    k = int(metric["metric"][2:])
                    record(recalls, ("xtd10 harness", precision, metric["language"], metric["direction"], k),
                           metric["value"])

    print(f"{args.arch} (random init), {len(names)} stand-in images, {len(languages)} languages, image track, "
          f"batch {args.batch_size}")
    print(f"{'tool':<16}{'precision':<11}{'run':>4}{'wall':>10}{'peak RSS':>12}")
    for tool, precision, run, wall, rss in rows:
        print(f"{tool:<16}{precision:<11}{run:>4}{wall:>9.1f}s{rss:>9.0f} MiB")
    for precision, ratios in speedups(rows).items():
        print(f"{precision}: harness {min(ratios):.2f}x to {max(ratios):.2f}x faster "
              f"(median {float(np.median(ratios)):.2f}x over {len(ratios)} pair(s) run back to back)")

    import open_clip

    import xtd10.encoders as encoders
    from xtd10.benchmark.decoding import decode_image

    texts = frame.sort_values(["language", "index"])["caption"].tolist()
    pick = np.random.default_rng(0).permutation(len(texts))[: args.sample]
    pictures = [decode_image(images / name) for name in names]
    tokenizer = open_clip.get_tokenizer(args.arch)
    for precision in args.precisions.split(","):
        encoder = encoders.get(f"open_clip:{args.arch}@{checkpoint}", device=args.device, precision=precision,
                               batch_size=args.batch_size)
        text_cos, image_cos, score_gap = agreement(encoder, tokenizer, [texts[i] for i in pick],
                                                   pictures[: args.sample], precision)
        print(f"{precision}: min cosine harness vs open_clip forward: texts {text_cos:.7f}, images {image_cos:.7f}; "
              f"caption-image similarities differ by at most {score_gap:.1e}")
        differ = [(code, direction, k, recalls[("CLIP_benchmark", precision, code, direction, k)],
                   recalls[("xtd10 harness", precision, code, direction, k)])
                  for code in languages for direction in ("t2i", "i2t") for k in (1, 5, 10)
                  if abs(recalls[("CLIP_benchmark", precision, code, direction, k)]  # CLIP_benchmark: float32
                         - recalls[("xtd10 harness", precision, code, direction, k)]) > 0.5 / len(names)]
        total = len(languages) * 6
        print(f"{precision}: recalls equal in {total - len(differ)} of {total} cells")
        image_vectors = encoder.encode_image(pictures) if differ else None
        for code, direction, k, a, b in differ:
            captions = frame[frame["language"] == code].sort_values("index")["caption"].tolist()
            margins = cutoff_margins(encoder.encode_text(captions, language=code), image_vectors, direction, k)
            near = int((np.abs(margins) <= 2 * score_gap).sum())
            print(f"   {code} {direction} R@{k}: CLIP_benchmark {a:.4f}, harness {b:.4f} "
                  f"({round(abs(a - b) * len(names))} queries moved across the cut-off; {near} queries sit within "
                  f"{2 * score_gap:.1e} of it, smallest margin {np.abs(margins).min():.1e})")


if __name__ == "__main__":
    main()
