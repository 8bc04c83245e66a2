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

``--dataset xtd200`` runs the same comparison on XTD200 (``--source``: a checkout of the
NLLB-CLIP repository, ``data/xtd200/``) over ``XTD200_LANGUAGES`` (20 languages, 15 scripts)
or ``--languages``: CLIP_benchmark's own ``xtd200`` dataset reads annotation files written
here from the same captions (so it downloads nothing), the harness runs ``bench run
--dataset xtd200``. Both datasets print the compute ratio of the two runs (multiply-adds
of the matrix products: CLIP_benchmark encodes every image once per language and every
caption padded to the context length, the harness every image once and every caption at
its own token count), and on XTD200 the same ratio over all 201 languages.
``--compute-only`` prints the ratios and runs neither tool.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CB_LANGUAGE = {"ja": "jp"}  # CLIP_benchmark's code for Japanese

# XTD200 languages for the side-by-side (BCP 47 tags): 20 languages in 9 scripts, drawn as
# XTD200 itself is made up, so the compute saved is that of the dataset, not of a chosen
# easy or hard corner: 12 Latin-script languages (XTD200: 126 of 201, 63%), taken at
# evenly spaced points of the Latin languages sorted by CLIP BPE tokens per caption (the
# middle of each of 12 equal slices), then the most widely spoken language of each of the
# other big scripts (both Chinese scripts). The script prints the compute ratio over these
# languages and over all 201; `--languages` runs any other set.
XTD200_LANGUAGES = (
    "su", "eu", "min", "bug", "kac", "tl", "xh", "fj", "ltg", "lg", "sq", "ig",  # Latn, by token quantile
    "ru",                         # Cyrl
    "ar",                         # Arab
    "hi",                         # Deva
    "zh-Hans", "zh-Hant",         # Hans, Hant: the two Chinese scripts
    "ja",                         # Jpan
    "ko",                         # Hang
    "he",                         # Hebr
)


@dataclass(frozen=True)
class DatasetPair:
    """How one dataset is named on both sides: CLIP_benchmark's dataset and annotation
    files, its language codes, and the harness's."""

    harness_dataset: str
    cb_dataset: str
    cb_annotation: str  # file name in the dataset root, ``{}``: CLIP_benchmark's language code
    cb_code: Callable[[str], str]  # harness language code -> CLIP_benchmark's
    default_languages: Sequence[str]


def _flores_code(tag: str) -> str:
    from xtd10.languages import table_row

    row = table_row(tag)
    if row is None:
        raise SystemExit(f"unknown XTD200 language {tag!r}")
    return row.flores


def dataset_pair(name: str) -> DatasetPair:
    from xtd10.languages import XTD10_CODES

    pairs = {
        "xtd10": DatasetPair("xtd10", "multilingual_mscoco_captions", "multilingual_mscoco_captions-{}.json",
                             lambda code: CB_LANGUAGE.get(code, code), tuple(XTD10_CODES)),
        "xtd200": DatasetPair("xtd200", "xtd200", "xtd200-{}.json", _flores_code, XTD200_LANGUAGES),
    }
    return pairs[name]


def harness_codes(pair: DatasetPair, languages: str) -> list[str]:
    """The codes the harness's result files use (XTD10 codes; BCP 47 tags on XTD200), from
    any spelling the command line accepts."""
    if languages == "all":
        return list(pair.default_languages)
    codes = [code.strip() for code in languages.split(",") if code.strip()]
    if pair.harness_dataset == "xtd200":
        from xtd10.languages import table_row

        rows = [table_row(code) for code in codes]
        unknown = [code for code, row in zip(codes, rows, strict=True) if row is None]
        if unknown:
            raise SystemExit(f"unknown XTD200 language(s): {', '.join(unknown)}")
        codes = [row.tag for row in rows]
    return codes


def trimmed_source(source: Path, out: Path, n_images: int, relpaths: Sequence[str] | None = None) -> Path:
    """A caption source in the upstream layout holding the first ``n_images`` images (of the
    files ``relpaths``, or of every ``.txt`` file under ``source``)."""
    paths = [source / rel for rel in relpaths] if relpaths is not None else sorted(source.rglob("*.txt"))
    for path in paths:
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


def cb_annotations(frame, languages: list[str], images: Path, root: Path, pair: DatasetPair) -> None:
    """CLIP_benchmark's annotation file per language, in the layout its dataset code writes
    after a download (image paths, captions, line numbers): when the file is there it reads
    it and downloads nothing, so both tools see the same captions and images."""
    root.mkdir(parents=True, exist_ok=True)
    for language in languages:
        rows = frame[frame["language"] == language].sort_values("index")
        data = {"image_paths": [str(images / name) for name in rows["file_name"]],
                "annotations": rows["caption"].tolist(), "indicies": rows["index"].tolist()}
        name = pair.cb_annotation.format(pair.cb_code(language))
        (root / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def transformer_macs(width: int, layers: int, tokens: int, mlp_ratio: float = 4.0) -> int:
    """Multiply-adds of the matrix products of ``layers`` pre-norm transformer blocks over
    ``tokens`` positions: query, key, value and output projections (4 w^2 per position),
    the MLP (2 * mlp_ratio * w^2), and attention scores and weighted sum (2 * tokens * w).
    Norms, softmax and activations are left out (a few per cent)."""
    per_position = (4 + 2 * mlp_ratio) * width * width
    return int(layers * (tokens * per_position + 2 * tokens * tokens * width))


@dataclass(frozen=True)
class TowerCosts:
    """Multiply-adds of one image and of one caption of each token count."""

    image: int
    context_length: int
    text_by_length: tuple[int, ...]  # index: token count (start and end markers included)

    def text(self, length: int) -> int:
        return self.text_by_length[min(length, self.context_length)]


def tower_costs(config: dict) -> TowerCosts:
    """From an open_clip model config (``open_clip.get_model_config(arch)``): a ViT image
    tower (patch embedding, class token, blocks, projection) and a causal text tower."""
    vision, text, embed = config["vision_cfg"], config["text_cfg"], config["embed_dim"]
    patches = (vision["image_size"] // vision["patch_size"]) ** 2
    image = (patches * 3 * vision["patch_size"] ** 2 * vision["width"]
             + transformer_macs(vision["width"], vision["layers"], patches + 1, vision.get("mlp_ratio", 4.0))
             + vision["width"] * embed)
    context = text.get("context_length", 77)
    by_length = tuple(transformer_macs(text["width"], text["layers"], n, text.get("mlp_ratio", 4.0))
                      + text["width"] * embed for n in range(context + 1))
    return TowerCosts(image=image, context_length=context, text_by_length=by_length)


def compute_ratio(lengths: dict[str, Sequence[int]], n_images: int, costs: TowerCosts) -> float:
    """CLIP_benchmark's multiply-adds over the harness's for ``lengths`` (per language, the
    token count of each caption): CLIP_benchmark encodes the images once per language and
    every caption padded to the context length; the harness the images once and each
    caption at its own length (capped at the context, as both tools cut longer captions)."""
    n_captions = sum(len(counts) for counts in lengths.values())
    theirs = len(lengths) * n_images * costs.image + n_captions * costs.text(costs.context_length)
    ours = n_images * costs.image + sum(costs.text(n) for counts in lengths.values() for n in counts)
    return theirs / ours


def token_counts(tokenizer, frame) -> dict[str, list[int]]:
    """Per language, each caption's token count under the model's tokenizer, start and end
    markers included and not cut at the context length."""
    return {language: [len(tokenizer.encode(caption)) + 2 for caption in rows.sort_values("index")["caption"]]
            for language, rows in frame.groupby("language", sort=False)}


def print_compute(label: str, lengths: dict[str, Sequence[int]], n_images: int, costs: TowerCosts) -> None:
    counts = np.concatenate([np.asarray(c) for c in lengths.values()])
    capped = np.minimum(counts, costs.context_length)
    means = np.array([np.mean(c) for c in lengths.values()])
    print(f"{label}: {len(lengths)} languages, {n_images} images; tokens per caption (start and end included) "
          f"mean {capped.mean():.1f}, median {np.median(capped):.0f} at most {costs.context_length} "
          f"(uncut: mean {counts.mean():.1f}; {(counts > costs.context_length).mean():.1%} of the captions "
          f"are cut by both tools); {(means > 60).mean():.0%} of the languages average above 60 uncut; "
          f"compute ratio CLIP_benchmark / harness {compute_ratio(lengths, n_images, costs):.2f}x")


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
    parser.add_argument("--source", default=None,
                        help="caption source in the upstream layout (default: $XTD10_SOURCE for xtd10, "
                             "$NLLB_CLIP_SOURCE for xtd200)")
    parser.add_argument("--dataset", choices=("xtd10", "xtd200"), default="xtd10")
    parser.add_argument("--workdir", default="speed-vs-clip-benchmark", help="scratch folder (images, runs)")
    parser.add_argument("--arch", default="ViT-B-32")
    parser.add_argument("--languages", default="all",
                        help="comma-separated codes; all: XTD10's 11 languages, or XTD200_LANGUAGES on xtd200")
    parser.add_argument("--images", type=int, default=1000, help="first N images (1000: all)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--sample", type=int, default=256, help="captions and images for the cosine check")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (CLIP_benchmark uses cuda when present)")
    parser.add_argument("--repeats", type=int, default=1,
                        help="pairs of runs per precision (CLIP_benchmark then harness, alternating)")
    parser.add_argument("--compute-only", action="store_true", help="print the compute ratios and run neither tool")
    args = parser.parse_args()
    pair = dataset_pair(args.dataset)
    args.source = args.source or os.environ.get("XTD10_SOURCE" if args.dataset == "xtd10" else "NLLB_CLIP_SOURCE")
    if not args.source:
        raise SystemExit("give --source (a caption folder in the upstream layout; on xtd200 a checkout of the "
                         "NLLB-CLIP repository) or set XTD10_SOURCE / NLLB_CLIP_SOURCE")

    import open_clip

    from xtd10.data import load_frame
    from xtd10.data.sources import resolve_source
    from xtd10.schema import DATASETS

    work = Path(args.workdir).resolve()
    languages = harness_codes(pair, args.languages)
    full_source = Path(args.source).resolve()
    relpaths = resolve_source(str(full_source), DATASETS[pair.harness_dataset]).relpaths(languages)
    source = trimmed_source(full_source, work / "source", args.images, relpaths) if args.images < 1000 \
        else full_source
    frame = load_frame(languages, source=str(source), dataset=pair.harness_dataset)
    names = frame[frame["language"] == languages[0]].sort_values("index")["file_name"].tolist()

    tokenizer = open_clip.get_tokenizer(args.arch)
    costs = tower_costs(open_clip.get_model_config(args.arch))
    print_compute(f"this run ({pair.harness_dataset})", token_counts(tokenizer, frame), len(names), costs)
    if pair.harness_dataset == "xtd200":
        every = load_frame("all", source=str(full_source), dataset="xtd200")
        print_compute("all of XTD200", token_counts(tokenizer, every), every["index"].nunique(), costs)
        del every  # 201 000 captions the runs do not need
    if args.compute_only:
        return

    images = work / "images"
    stand_in_images(names, images)
    checkpoint = work / f"{args.arch}-random.pt"
    random_checkpoint(args.arch, checkpoint)
    cb_annotations(frame, languages, images, work / "cb-root", pair)

    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "XTD10_CACHE": str(work / "cache"), "HF_HUB_OFFLINE": "1"}
    rows, recalls = [], {}
    for precision in args.precisions.split(","):
        for run in range(1, args.repeats + 1):  # the tools alternate: a pair shares the machine's state
            out = work / f"cb-{precision}"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            cb = [str(bin_dir / "clip_benchmark"), "eval", "--dataset", pair.cb_dataset,
                  "--dataset_root", str(work / "cb-root"), "--task", "zeroshot_retrieval", "--model", args.arch,
                  "--pretrained", str(checkpoint), "--language", *[pair.cb_code(code) for code in languages],
                  "--recall_k", "1", "5", "10", "--batch_size", str(args.batch_size),
                  "--num_workers", "2", "--output", str(out / "{language}.json")]
            if precision == "fp32":
                cb.append("--no_amp")
            rows.append(("CLIP_benchmark", precision, run, *timed(cb, env)))
            for code in languages:
                metrics = json.loads((out / f"{pair.cb_code(code)}.json").read_text())["metrics"]
                for k in (1, 5, 10):
                    record(recalls, ("CLIP_benchmark", precision, code, "t2i", k), metrics[f"image_retrieval_recall@{k}"])
                    record(recalls, ("CLIP_benchmark", precision, code, "i2t", k), metrics[f"text_retrieval_recall@{k}"])
            result = work / f"harness-{precision}.json"
            harness = [str(bin_dir / "xtd10"), "bench", "run", "--model", f"open_clip:{args.arch}@{checkpoint}",
                       "--dataset", pair.harness_dataset,
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

    print(f"{args.arch} (random init), {pair.harness_dataset}, {len(names)} stand-in images, {len(languages)} "
          f"languages, image track, batch {args.batch_size}")
    print(f"{'tool':<16}{'precision':<11}{'run':>4}{'wall':>10}{'peak RSS':>12}")
    for tool, precision, run, wall, rss in rows:
        print(f"{tool:<16}{precision:<11}{run:>4}{wall:>9.1f}s{rss:>9.0f} MiB")
    for precision, ratios in speedups(rows).items():
        print(f"{precision}: harness {min(ratios):.2f}x to {max(ratios):.2f}x faster "
              f"(median {float(np.median(ratios)):.2f}x over {len(ratios)} pair(s) run back to back)")

    import xtd10.encoders as encoders
    from xtd10.benchmark.decoding import decode_image

    texts = frame.sort_values(["language", "index"])["caption"].tolist()
    pick = np.random.default_rng(0).permutation(len(texts))[: args.sample]
    pictures = [decode_image(images / name) for name in names]
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
