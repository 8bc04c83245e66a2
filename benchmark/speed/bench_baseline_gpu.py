"""Training speed of the baseline heads at COCO scale, over cached (synthetic) features.

COCO captions 2014 train has about 414k captions of about 83k images. The frozen
features are what the feature cache would hold (float16: 512-d mUSE captions, 1280-d
EfficientNet-Lite0 images); their values do not affect speed, so they are random here.
One epoch of head training is timed and the script prints pairs/second and peak memory
(``torch.cuda.max_memory_allocated`` on GPU; peak RSS of the process on CPU).

    python benchmark/speed/bench_baseline_gpu.py                       # cuda if present, full scale
    python benchmark/speed/bench_baseline_gpu.py --device cpu --scale 0.05
    python benchmark/speed/bench_baseline_gpu.py --loss infonce --batch-size 1024

Exit status 0 and one JSON line on stdout (after the human-readable summary) so runs can
be collected.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time

import numpy as np
import torch

from xtd10.baseline.losses import LossConfig
from xtd10.baseline.model import HeadConfig
from xtd10.baseline.trainer import PairSet, TrainConfig, resolve_device, train_heads

COCO_CAPTIONS = 414_113
COCO_IMAGES = 82_783


def synthetic_features(scale: float, text_dim: int, image_dim: int, seed: int) -> PairSet:
    n_captions = max(64, int(COCO_CAPTIONS * scale))
    n_images = max(16, int(COCO_IMAGES * scale))
    rng = np.random.default_rng(seed)
    text = rng.standard_normal((n_captions, text_dim), dtype=np.float32).astype(np.float16)
    image = rng.standard_normal((n_images, image_dim), dtype=np.float32).astype(np.float16)
    # about five captions per image, as in COCO
    image_rows = np.sort(rng.integers(0, n_images, size=n_captions))
    return PairSet(text, image, np.arange(n_captions), image_rows)


def peak_memory_mib(device: torch.device) -> tuple[str, float]:
    if device.type == "cuda":
        return "cuda_max_memory_allocated", torch.cuda.max_memory_allocated(device) / 2**20
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return "peak_rss", kib / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="auto")
    parser.add_argument("--scale", type=float, default=None,
                        help="fraction of COCO size (default 1.0 on cuda, 0.05 on cpu)")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--loss", default="m3l", choices=["m3l", "patr", "infonce"])
    parser.add_argument("--text-dim", type=int, default=512)
    parser.add_argument("--image-dim", type=int, default=1280)
    parser.add_argument("--no-amp", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    device = resolve_device(args.device)
    scale = args.scale if args.scale is not None else (1.0 if device.type == "cuda" else 0.05)
    started = time.perf_counter()
    pairs = synthetic_features(scale, args.text_dim, args.image_dim, args.seed)
    build_s = time.perf_counter() - started
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    config = TrainConfig(epochs=1, batch_size=args.batch_size, warmup_steps=100, device=str(device),
                         amp=not args.no_amp, head=HeadConfig(hidden_dim=1024), loss=LossConfig(args.loss))
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        result = train_heads(pairs, config, out, progress=sys.stderr.isatty(), save=False)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        wall = time.perf_counter() - started
    epoch = result.history[0]
    memory_kind, memory = peak_memory_mib(device)
    report = {
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "cpu": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "scale": scale, "captions": len(pairs), "images": int(pairs.image_features.shape[0]),
        "batch_size": args.batch_size, "loss": args.loss, "amp": config.amp and device.type == "cuda",
        "epoch_seconds": round(epoch["seconds"], 3), "wall_seconds_with_setup": round(wall, 3),
        "pairs_per_second": round(epoch["pairs_per_second"], 1),
        "peak_memory_kind": memory_kind, "peak_memory_mib": round(memory, 1),
        "feature_build_seconds": round(build_s, 2), "torch": torch.__version__,
    }
    print(f"{report['captions']} pairs ({report['images']} images) on {report['device']}"
          f" [{report['gpu'] or report['cpu']}], loss {args.loss}, batch {args.batch_size}: "
          f"{report['pairs_per_second']:.0f} pairs/s, epoch {report['epoch_seconds']:.1f} s, "
          f"peak memory {report['peak_memory_mib']:.0f} MiB ({memory_kind})")
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
