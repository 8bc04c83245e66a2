"""What the harness costs on top of the encoder.

A simulated fast encoder (``--ms-per-item`` of model time per text or image, plus cheap
deterministic vectors) is run through ``evaluate``:

* on the embedded demo set (both tracks, 11 languages): counts image encodes, which must
  equal the number of images, not images x languages x directions;
* on the XTD10 text track when a caption source is given (``--source`` or XTD10_SOURCE):
  11k captions, 84 cells, 1000 bootstrap resamples each;

and prints the harness overhead (everything that is not the encoder: loading, hashing,
caching, scoring, bootstrap) as a ratio to the raw encoder time of the same run; the goal
is at most 10% for a fast encoder. A second, cached run must encode nothing.

Run: python benchmark/speed/bench_harness.py [--source DIR] [--ms-per-item 2]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
import time

import numpy as np

from xtd10.encoders.protocol import EncoderMeta


class SimulatedEncoder:
    """Deterministic vectors plus a fixed amount of "model time" per item."""

    def __init__(self, seconds_per_item: float, dim: int = 256):
        self.meta = EncoderMeta(name="simulated", spec=f"simulated-{seconds_per_item}", revision="1",
                                embedding_dim=dim, modalities=("text", "image"))
        self.seconds_per_item = seconds_per_item
        self.dim = dim
        self.calls = {"text": 0, "image": 0}
        self.items = {"text": 0, "image": 0}

    def _vectors(self, keys: list[bytes]) -> np.ndarray:
        out = np.empty((len(keys), self.dim), dtype=np.float32)
        for i, key in enumerate(keys):
            seed = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little")
            out[i] = np.random.default_rng(seed).standard_normal(self.dim)
        return out

    def _work(self, kind: str, n: int) -> None:
        self.calls[kind] += 1
        self.items[kind] += n
        deadline = time.perf_counter() + self.seconds_per_item * n
        while time.perf_counter() < deadline:  # busy "model time", measured like a real model
            pass

    def encode_text(self, texts, *, language):
        self._work("text", len(texts))
        return self._vectors([t.encode() for t in texts])

    def encode_image(self, images):
        self._work("image", len(images))
        return self._vectors([img.tobytes()[:4096] for img in images])


def report(label: str, result, encoder: SimulatedEncoder, wall: float) -> None:
    t = result.timings
    raw = t["encode_text_s"] + t["encode_image_s"]
    overhead = wall - raw
    ratio = overhead / raw if raw > 0 else float("inf")
    print(f"{label}: wall {wall:.2f}s, raw encoder {raw:.2f}s, harness {overhead:.2f}s "
          f"(load {t['load_s']:.2f}s, encode bookkeeping {t['harness_encode_s']:.2f}s, scoring {t['scoring_s']:.2f}s)"
          f" -> overhead {ratio:.1%} of encoder time")
    print(f"  encoder calls: {encoder.calls}, items encoded: {encoder.items}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=os.environ.get("XTD10_SOURCE"))
    parser.add_argument("--ms-per-item", type=float, default=2.0)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()

    from xtd10.benchmark import evaluate
    from xtd10.data import demo

    with tempfile.TemporaryDirectory() as cache:
        os.environ["XTD10_CACHE"] = cache  # cold cache, removed afterwards
        seconds = args.ms_per_item / 1000
        runs = [("demo set, both tracks", {"dataset": "demo"})]
        if args.source:
            runs.append(("XTD10 text track", {"dataset": "xtd10", "source": args.source, "tracks": "text"}))
        else:
            print("(no --source / XTD10_SOURCE: skipping the XTD10 text track)")
        for label, options in runs:
            for attempt in ("cold", "cached"):
                encoder = SimulatedEncoder(seconds)
                started = time.perf_counter()
                result = evaluate(encoder, bootstrap=args.bootstrap, batch_size=args.batch_size, progress=False,
                                  **options)
                report(f"{label} [{attempt}]", result, encoder, time.perf_counter() - started)
                if options["dataset"] == "demo" and attempt == "cold":
                    n_images = len(demo.demo_images())
                    verdict = "ok" if encoder.items["image"] == n_images else "WRONG"
                    print(f"  image encodes {encoder.items['image']} for {n_images} images and "
                          f"{len(result.dataset['languages'])} languages: {verdict}")
                if attempt == "cached":
                    verdict = "ok" if sum(encoder.items.values()) == 0 else "WRONG"
                    print(f"  cached re-run encoded {sum(encoder.items.values())} items: {verdict}")


if __name__ == "__main__":
    main()
