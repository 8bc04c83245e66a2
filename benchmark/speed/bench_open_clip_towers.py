"""The open_clip adapter's fast towers against open_clip's own forward, side by side.

For one open_clip model (a local checkpoint, or a random one with ``--random``) this times,
in one process and alternating so that both see the same machine:

- text: open_clip's ``encode_text`` on the full 77 tokens; the same forward on length-
  sorted batches cut after their longest caption (what the adapter did before the lean
  blocks); and the adapter's ``encode_text`` (trimmed, batches capped by padded positions,
  lean blocks);
- images: open_clip's ``encode_image`` against the adapter's pooled vision tower on the
  same preprocessed batches;
- the adapter with plain (unpacked) weights, against its packed ones (see
  xtd10/encoders/lean_blocks.py), both ways making their copies afresh each round;

and prints seconds (median of ``--rounds``), the speed-up, and the smallest cosine between
the fast vectors and open_clip's. Needs open_clip_torch beside xtd10 (see docs/benchmark.md).

    python benchmark/speed/bench_open_clip_towers.py --source DIR --random ViT-B-32 --precision fp32
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np


def _cosine_min(a: np.ndarray, b: np.ndarray) -> float:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return float((a * b).sum(1).min())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=os.environ.get("XTD10_SOURCE"))
    parser.add_argument("--model", help="open_clip:<arch>@<file> or open_clip:<arch>/<tag>")
    parser.add_argument("--random", metavar="ARCH", help="a randomly initialised architecture instead of --model")
    parser.add_argument("--precision", default="fp32", choices=("fp32", "bf16"))
    parser.add_argument("--per-language", type=int, default=100, help="captions per XTD10 language")
    parser.add_argument("--images", type=int, default=128, help="noise images")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not args.source or not (args.model or args.random):
        raise SystemExit("give --source (or set XTD10_SOURCE) and --model or --random")

    import open_clip
    import torch

    import xtd10.encoders as encoders
    from xtd10.data import load_frame
    from xtd10.encoders.batching import encode_by_length
    from xtd10.encoders.torch_runtime import inference

    spec = args.model
    if args.random:
        checkpoint = Path(tempfile.mkdtemp()) / f"{args.random}-random.pt"
        torch.manual_seed(0)
        torch.save(open_clip.create_model(args.random).state_dict(), checkpoint)
        spec = f"open_clip:{args.random}@{checkpoint}"
    encoder = encoders.get(spec, device="cpu", precision=args.precision, batch_size=args.batch_size)
    model, tokenizer = encoder.model, encoder.tokenizer
    if encoder.trimmable is None or encoder.pooled_vision is None:
        raise SystemExit(f"{spec}: the fast towers do not apply to this model (nothing to compare)")

    frame = load_frame("all", source=args.source)
    frame = frame[frame["index"] < args.per_language]
    captions = frame["caption"].tolist()
    tokens = tokenizer(captions)
    lengths = encoder.trimmable.needed_lengths(tokens).tolist()
    rng = np.random.default_rng(0)
    pixels = [torch.from_numpy(rng.standard_normal((3, 224, 224), dtype=np.float32)) for _ in range(args.images)]

    def full_text() -> np.ndarray:
        with inference(encoder.device, encoder.precision):
            return np.concatenate([model.encode_text(tokens[i:i + args.batch_size]).float().numpy()
                                   for i in range(0, len(captions), args.batch_size)])

    plain_tower = copy.copy(encoder.trimmable)
    plain_tower.lean = None  # the trimmed tower through open_clip's own blocks

    def trimmed_text() -> np.ndarray:
        with inference(encoder.device, encoder.precision):
            return encode_by_length(range(len(captions)), lengths,
                                    lambda rows: plain_tower.encode(tokens[list(rows)]).float().numpy(),
                                    batch_size=args.batch_size, dim=encoder.dim)

    def fast_text() -> np.ndarray:
        return encoder.encode_text(captions, language="xx")

    def model_images() -> np.ndarray:
        with inference(encoder.device, encoder.precision):
            return np.concatenate([model.encode_image(torch.stack(pixels[i:i + args.batch_size])).float().numpy()
                                   for i in range(0, len(pixels), args.batch_size)])

    def fast_images() -> np.ndarray:
        return encoder.encode_prepared(pixels)

    towers = (encoder.trimmable.lean, encoder.pooled_vision.lean)

    def fresh_copies(run, packing: bool = True):
        """``run`` after dropping the adapter's weight copies (each run makes its own), with
        packed weights or, for the comparison, plain ones."""
        def wrapped() -> np.ndarray:
            for lean in towers:
                lean.packing = packing
                lean.forget_copies()
            return run()
        return wrapped

    contenders = {"text, open_clip, 77 tokens": full_text, "text, open_clip, trimmed": trimmed_text,
                  "text, adapter": fresh_copies(fast_text), "images, open_clip": model_images,
                  "images, adapter": fresh_copies(fast_images)}
    contenders["text, adapter, plain weights"] = fresh_copies(fast_text, packing=False)
    contenders["images, adapter, plain weights"] = fresh_copies(fast_images, packing=False)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    vectors = {name: run() for name, run in contenders.items()}  # warm-up, and the vectors compared
    for _ in range(args.rounds):
        for name, run in contenders.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)

    print(f"{spec}, {args.precision}, {len(captions)} captions ({args.per_language} per language), "
          f"{len(pixels)} images, batch {args.batch_size}, median of {args.rounds}")
    for name, measured in times.items():
        print(f"  {name:<30}{statistics.median(measured):8.2f} s   ({', '.join(f'{t:.2f}' for t in measured)})")
    text_base, image_base = statistics.median(times["text, open_clip, trimmed"]), \
        statistics.median(times["images, open_clip"])
    print(f"  adapter text vs trimmed open_clip forward: {text_base / statistics.median(times['text, adapter']):.2f}x,"
          f" min cosine {_cosine_min(vectors['text, adapter'], vectors['text, open_clip, 77 tokens']):.7f}")
    print(f"  adapter images vs open_clip forward: {image_base / statistics.median(times['images, adapter']):.2f}x,"
          f" min cosine {_cosine_min(vectors['images, adapter'], vectors['images, open_clip']):.7f}")
    for kind in ("text", "images"):
        packed, plain = f"{kind}, adapter", f"{kind}, adapter, plain weights"
        print(f"  {kind}: packed {args.precision} weights vs plain: "
              f"{statistics.median(times[plain]) / statistics.median(times[packed]):.2f}x, "
              f"min cosine {_cosine_min(vectors[packed], vectors[plain]):.7f}")


if __name__ == "__main__":
    main()
