"""Speed and memory of the metric code.

1. A 1000 x 1000 retrieval cell (XTD10's size) scored with 1000 bootstrap resamples:
   should take well under a second.
2. The chunked path: 20k queries x 100k gallery scored block by block; the full score
   matrix (8 GB in float32) is never built. Prints the time and the peak RSS.

Run: python benchmark/speed/bench_scoring.py [--queries 20000 --gallery 100000 --dim 64]
Figures only; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import numpy as np

from xtd10.benchmark.metrics import (
    bootstrap_metrics,
    embedding_query_stats,
    metrics_from_stats,
    query_stats,
)


def peak_rss_mib() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return usage / (1024 * 1024) if sys.platform == "darwin" else usage / 1024


def normalised(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    x = rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def xtd10_cell(rng: np.random.Generator, dim: int, resamples: int) -> None:
    images = normalised(rng, 1000, dim)
    captions = images + 8.0 * normalised(rng, 1000, dim)  # correlated, like a real model
    started = time.perf_counter()
    scores = captions @ images.T
    stats = query_stats(scores, np.arange(1000))
    values = metrics_from_stats(stats)
    intervals = bootstrap_metrics(stats, resamples, seed=0)
    elapsed = time.perf_counter() - started
    low, high = intervals["R@1"]
    print(f"1000 x 1000 cell, {resamples} bootstrap resamples: {elapsed * 1000:.1f} ms "
          f"(R@1 {values['R@1']:.3f} [{low:.3f}, {high:.3f}])")


def chunked(rng: np.random.Generator, n_queries: int, n_gallery: int, dim: int, block: int) -> None:
    gallery = normalised(rng, n_gallery, dim)
    positives = rng.integers(0, n_gallery, size=n_queries)
    queries = gallery[positives] + 1.2 * normalised(rng, n_queries, dim)
    before = peak_rss_mib()
    started = time.perf_counter()
    stats = embedding_query_stats(queries, gallery, positives, max_block_elements=block)
    elapsed = time.perf_counter() - started
    values = metrics_from_stats(stats)
    full_gib = n_queries * n_gallery * 4 / 2**30
    print(f"chunked {n_queries} x {n_gallery} (dim {dim}): {elapsed:.1f} s, "
          f"{n_queries * n_gallery / elapsed / 1e6:.0f} M scores/s, R@1 {values['R@1']:.3f}")
    print(f"peak RSS {peak_rss_mib():.0f} MiB (inputs loaded: {before:.0f} MiB); "
          f"the full float32 score matrix would need {full_gib:.1f} GiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--gallery", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--block-elements", type=int, default=1 << 24,
                        help="scores held at once in the chunked path (default 16M = 64 MiB)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    xtd10_cell(rng, 512, args.resamples)
    chunked(rng, args.queries, args.gallery, args.dim, args.block_elements)


if __name__ == "__main__":
    main()
