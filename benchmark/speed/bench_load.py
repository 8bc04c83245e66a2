"""Speed of the data layer: warm ``xtd10.load()`` of all 11 languages, and a text-only
Hub build. Goal: warm load under one second.

    python benchmark/speed/bench_load.py --source DIR

"Warm" means the caption files are local (a local source, or the pinned upstream already
in the cache) and the process has imported the libraries once; the first, cold call is
reported separately because it includes importing ``datasets``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None, help="caption source (default: $XTD10_SOURCE or the cache)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    start = time.perf_counter()
    import xtd10
    from xtd10.data.hub import build_hub_dataset

    first = xtd10.load(source=args.source)
    cold = time.perf_counter() - start
    warm = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        dd = xtd10.load(source=args.source)
        warm.append(time.perf_counter() - t0)
    rows = sum(len(ds) for ds in dd.values())
    assert rows == sum(len(ds) for ds in first.values())
    builds = []
    for _ in range(max(1, args.repeats // 2)):
        with tempfile.TemporaryDirectory() as out:
            t0 = time.perf_counter()
            build_hub_dataset(out, source=args.source)
            builds.append(time.perf_counter() - t0)
    print(f"languages: {len(dd)}  rows: {rows}")
    print(f"cold load (imports included): {cold:.3f} s")
    print(f"warm load, all languages: median {statistics.median(warm):.3f} s  min {min(warm):.3f} s "
          f"(goal < 1 s: {'met' if statistics.median(warm) < 1 else 'NOT met'})")
    print(f"Hub build without images: median {statistics.median(builds):.3f} s")


if __name__ == "__main__":
    main()
