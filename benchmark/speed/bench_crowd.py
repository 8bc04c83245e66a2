"""Speed of the crowd decision step (goal: 100k submissions, every rule but the semantic
one, the worker summary and the decisions, in under a minute on one CPU), of the
semantic and refusal rules themselves, and the semantic rule's throughput with mUSE.

    python benchmark/speed/bench_crowd.py --source DIR [--rows 100000] [--rule-rows 20000] [--semantic 300]
    python benchmark/speed/bench_crowd.py --source DIR --compare-langid

Submissions are built from the real captions of all ten non-English languages (each
with its English source), with workers, work times and about 5% planted faults.

``semantic_refusal_rules_s`` times the semantic and refusal rules over ``--rule-rows``
rows with a hashing stand-in encoder that calls itself ``muse`` (so the packaged mUSE
thresholds apply): it measures what the rules cost around the encoder (score lookups,
thresholds, details), which a real encoder's time would hide.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from xtd10.crowd.rules import get_rules
from xtd10.crowd.validate import run_rules, validate
from xtd10.data import load_frame

FAULTS = ["", "n/a", "asdfghjkl", "Could not translate", "<b>x</b> https://spam.example", "ööööööööö"]


def make_batch(source, rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = load_frame(None, source=source)
    english = frame[frame.language == "en"].set_index("index")["caption"]
    pool = frame[frame.language != "en"].reset_index(drop=True)
    pick = pool.iloc[rng.integers(0, len(pool), rows)].reset_index(drop=True)
    text = pick["caption"].to_numpy(dtype=object).copy()
    # Vary texts so that the per-distinct-text caches do not make the benchmark trivial.
    suffix = rng.integers(0, 50, rows)
    text = np.array([f"{t} {s}" if s < 45 else t for t, s in zip(text, suffix, strict=True)], dtype=object)
    faulty = rng.random(rows) < 0.05
    text[faulty] = rng.choice(FAULTS, faulty.sum())
    return pd.DataFrame({
        "submission_id": [f"s{i}" for i in range(rows)], "worker_id": [f"w{i}" for i in rng.integers(0, 500, rows)],
        "assignment_id": "", "task_id": "", "image": pick["file_name"], "language": pick["language"],
        "text": text, "english": pick["index"].map(english).to_numpy(),
        "work_time_s": rng.gamma(4, 10, rows),
    })


class HashingEncoder:
    """Instant, deterministic unit-free vectors (a hash of the text): a stand-in for an
    encoder so that the rules' own time is measured."""

    def __init__(self, spec: str = "muse", dim: int = 64):
        from xtd10.encoders.protocol import EncoderMeta

        self.meta = EncoderMeta(name=spec, spec=spec, embedding_dim=dim)
        self.dim = dim

    def encode_text(self, texts, *, language):
        import zlib

        seeds = [zlib.crc32(t.encode("utf-8")) for t in texts]
        return np.stack([np.random.default_rng(s).standard_normal(self.dim) for s in seeds]).astype(np.float32)


def time_semantic_refusal_rules(batch: pd.DataFrame) -> dict:
    """The semantic and refusal rules over ``batch`` with :class:`HashingEncoder`."""
    from xtd10.crowd.semantic import Semantic

    semantic = Semantic(explicit=HashingEncoder(), force=True)
    t = time.perf_counter()
    flags = run_rules(batch, encoder=semantic, rules=get_rules(["semantic", "refusal"]))
    elapsed = time.perf_counter() - t
    return {"rule_rows": len(batch), "semantic_refusal_rules_s": round(elapsed, 2),
            "semantic_refusal_rows_per_s": round(len(batch) / elapsed), "semantic_refusal_flags": len(flags)}


def compare_langid(source) -> dict:
    """Accuracy of py3langid and lingua on the real captions (all their languages)."""
    from lingua import LanguageDetectorBuilder

    from xtd10.crowd.langid import identify

    frame = load_frame(None, source=source)
    out: dict = {"py3langid": {}, "lingua": {}}
    t = time.perf_counter()
    labels = [label for label, _ in identify(frame["caption"])]
    out["py3langid_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    detector = LanguageDetectorBuilder.from_all_languages().build()
    found = detector.detect_languages_in_parallel_of(list(frame["caption"]))
    out["lingua_s"] = round(time.perf_counter() - t, 2)
    lingua = [f.iso_code_639_1.name.lower() if f is not None else "" for f in found]
    for code, idx in frame.groupby("language").groups.items():
        out["py3langid"][code] = round(float(np.mean([labels[i] == code for i in idx])), 3)
        out["lingua"][code] = round(float(np.mean([lingua[i] == code for i in idx])), 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", default=None)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rule-rows", type=int, default=20_000,
                        help="rows for the semantic and refusal rules with a stand-in encoder (0: skip)")
    parser.add_argument("--semantic", type=int, default=300, help="rows for the semantic throughput (0: skip)")
    parser.add_argument("--compare-langid", action="store_true")
    args = parser.parse_args()
    if args.compare_langid:
        print(json.dumps(compare_langid(args.source), indent=1))
        return
    batch = make_batch(args.source, args.rows)
    t, cpu = time.perf_counter(), time.process_time()
    v = validate(batch, exclude=["semantic"])  # the rules, the worker summary and the decisions
    elapsed, cpu = time.perf_counter() - t, time.process_time() - cpu
    counts = v.decisions["decision"].value_counts()
    result = {"rows": len(batch), "rules_s": round(elapsed, 2), "rules_cpu_s": round(cpu, 2), "rows_per_s": round(len(batch) / elapsed),
              "flags": len(v.flags), "workers": len(v.workers),
              "decisions": {d: int(counts.get(d, 0)) for d in ("approve", "review", "reject")},
              "goal_met": elapsed < 60}
    if args.rule_rows:
        result.update(time_semantic_refusal_rules(make_batch(args.source, args.rule_rows, seed=1)))
    if args.semantic:
        from xtd10.crowd.semantic import default_encoder

        encoder = default_encoder()
        sample = batch.head(args.semantic)
        t = time.perf_counter()
        run_rules(sample, encoder=encoder, rules=get_rules(["semantic"]))
        result["semantic_rows_per_s"] = round(len(sample) / (time.perf_counter() - t), 1)
        result["semantic_encoder"] = encoder.meta.name
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
