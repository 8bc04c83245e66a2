"""Calibrate the semantic rule's threshold per encoder on XTD10 itself.

True pairs: the English caption of an image and the same image's caption in each
non-English language. Mismatched pairs: the English caption and another image's caption
in that language (a fixed derangement). For each encoder the threshold is the highest
value that flags at most ``--false-flag`` of the true pairs pooled over the languages it
covers; the script prints the false-flag rate (true pairs under the threshold) and the
miss rate (mismatched pairs at or over it) per encoder and per language.

    python benchmark/calibration/calibrate_semantic.py --source DIR [--images 300] [--cache .cache/calib]
        [--encoder muse --encoder e5-small] [--json out.json] [--write-settings]

``--write-settings`` stores the thresholds in the packaged semantic data
(``xtd10/crowd/semantic.yaml``), which every language's settings fall back to.
Embeddings are cached per encoder and language under ``--cache``, so reruns are cheap.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from xtd10.crowd.calibration import refusal_threshold, update_packaged_thresholds
from xtd10.crowd.refusals import phrase_vectors
from xtd10.crowd.semantic import encoder_languages
from xtd10.data import load_frame, resolve_source
from xtd10.encoders import get
from xtd10.files import atomic_write_text

REPO = Path(__file__).resolve().parents[2]
# The one copy of the language settings; the build ships it inside the package.
SETTINGS_FOLDER = REPO / "crowdsourcing" / "languages"


def set_language_thresholds(code: str, values: dict[str, float], folder: Path = SETTINGS_FOLDER) -> Path | None:
    """Write ``semantic.thresholds`` into a language's settings file, keeping its comments
    and every other line as they are; None where the language has no file."""
    block = "  thresholds:\n" + "".join(f"    {spec}: {value:.2f}\n" for spec, value in sorted(values.items()))
    path = folder / f"{code}.yaml"
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("semantic:\n")
    end = start + 1
    while end < len(lines) and lines[end].startswith("  "):
        end += 1
    kept = [x for x in lines[start + 1:end] if not x.startswith("  thresholds:") and not x.startswith("    ")]
    atomic_write_text(path, "".join(lines[:start + 1] + kept + [block] + lines[end:]))
    return path


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def embed(encoder, spec: str, texts: list[str], language: str, cache: Path | None) -> np.ndarray:
    """Unit vectors for ``texts``; cached on disk by encoder, language and the texts' hash."""
    key = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:16]
    path = cache / f"{spec}-{language}-{key}.npy" if cache else None
    if path is not None and path.is_file():
        return np.load(path)
    vectors = unit(np.asarray(encoder.encode_text(texts, language=language), dtype=np.float32))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def pair_scores(frame: pd.DataFrame, encoder, spec: str, cache: Path | None, seed: int) -> pd.DataFrame:
    """One row per (language, image, kind) with the cosine to the English caption."""
    english = frame[frame["language"] == "en"].set_index("index")["caption"]
    rows = []
    rng = np.random.default_rng(seed)
    for code, group in frame[frame["language"] != "en"].groupby("language"):
        group = group.drop_duplicates("index").sort_values("index")
        ids = group["index"].to_numpy()
        en = embed(encoder, spec, [english[i] for i in ids], "en", cache)
        tx = embed(encoder, spec, list(group["caption"]), str(code), cache)
        true = np.einsum("ij,ij->i", en, tx)
        order = rng.permutation(len(ids))
        other = np.empty_like(order)
        other[order] = np.roll(order, 1)  # a derangement: no image is paired with itself
        mismatched = np.einsum("ij,ij->i", en, tx[other])
        rows.append(pd.DataFrame({"language": code, "index": ids, "kind": "true", "score": true}))
        rows.append(pd.DataFrame({"language": code, "index": ids, "kind": "mismatched", "score": mismatched}))
    return pd.concat(rows, ignore_index=True)


def refusal_scores(frame: pd.DataFrame, encoder, spec: str, cache: Path | None) -> pd.DataFrame:
    """Best cosine between each real caption (every language, English too) and the packaged
    refusal phrases: how close ordinary captions come to the refusal check."""
    vectors = phrase_vectors(encoder, spec)
    rows = []
    for code, group in frame.groupby("language"):
        group = group.drop_duplicates("index").sort_values("index")
        tx = embed(encoder, spec, list(group["caption"]), str(code), cache)
        rows.append(pd.DataFrame({"language": code, "caption": group["caption"].to_numpy(),
                                  "score": (tx @ vectors.T).max(axis=1)}))
    return pd.concat(rows, ignore_index=True)


def pick_threshold(true_scores: np.ndarray, mismatched: np.ndarray, false_flag: float) -> float:
    """Among thresholds (steps of 0.01) that flag at most ``false_flag`` of the true pairs,
    the one with the fewest errors (false flags + misses); the lower one on a tie."""
    best, best_errors = 0.0, np.inf
    for t in np.round(np.arange(-1.0, 1.0, 0.01), 2):
        flagged = (true_scores < t).mean()
        if flagged > false_flag:
            break
        errors = flagged + (mismatched >= t).mean()
        if errors < best_errors - 1e-12:
            best, best_errors = float(t), errors
    return round(best, 2)


def split(scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return (scores.loc[scores["kind"] == "true", "score"].to_numpy(),
            scores.loc[scores["kind"] == "mismatched", "score"].to_numpy())


def rates(scores: pd.DataFrame, threshold: float) -> dict:
    true = scores[scores["kind"] == "true"]["score"]
    bad = scores[scores["kind"] == "mismatched"]["score"]
    return {"false_flag": round(float((true < threshold).mean()), 4), "miss": round(float((bad >= threshold).mean()), 4),
            "true_median": round(float(true.median()), 3), "true_p05": round(float(true.quantile(0.05)), 3),
            "mismatched_median": round(float(bad.median()), 3), "mismatched_p95": round(float(bad.quantile(0.95)), 3),
            "pairs": len(true)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="XTD10 source directory")
    parser.add_argument("--images", type=int, default=300, help="images sampled (0: all 1000)")
    parser.add_argument("--encoder", action="append", help="encoder spec (repeatable; default muse, e5-small)")
    parser.add_argument("--false-flag", type=float, default=0.05, help="largest share of true pairs flagged")
    parser.add_argument("--exclude", action="append", default=[],
                        help="languages left out of the pooled threshold (e.g. ja: independent captions)")
    parser.add_argument("--cache", default=None, help="folder for cached embeddings")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the figures here")
    parser.add_argument("--write-settings", action="store_true", help="store the thresholds in the package data")
    args = parser.parse_args(argv)

    src = resolve_source(args.source)
    frame = load_frame(None, source=src)
    frame = frame[frame["caption_index"] == 0]
    if args.images:
        chosen = np.random.default_rng(args.seed).choice(sorted(frame["index"].unique()), args.images, replace=False)
        frame = frame[frame["index"].isin(set(chosen.tolist()))]
    cache = Path(args.cache) if args.cache else None
    report: dict = {"images": int(frame["index"].nunique()), "false_flag_target": args.false_flag, "encoders": {}}
    for spec in args.encoder or ["muse", "e5-small"]:
        encoder = get(spec)
        covered = encoder_languages(encoder)
        usable = frame[frame["language"].isin(covered) | frame["language"].eq("en")] if covered else frame
        scores = pair_scores(usable, encoder, spec, cache, args.seed)
        pooled = scores[~scores["language"].isin(args.exclude)]
        threshold = pick_threshold(*split(pooled), args.false_flag)
        # a language whose true pairs fall under the pooled threshold too often (or that
        # was left out of the pool) gets its own, picked the same way on its own pairs
        own = {}
        for code, group in scores.groupby("language"):
            if code in args.exclude or rates(group, threshold)["false_flag"] > args.false_flag:
                own[str(code)] = min(threshold, pick_threshold(*split(group), args.false_flag))
        entry = {"threshold": threshold, "overall": rates(pooled, threshold), "per_language_thresholds": own,
                 "languages": {str(c): {"threshold": own.get(str(c), threshold),
                                        **rates(g, own.get(str(c), threshold))}
                               for c, g in scores.groupby("language")},
                 "excluded_from_threshold": sorted(args.exclude)}
        report["encoders"][spec] = entry
        print(f"{spec}: threshold {threshold:.2f}  false-flag {entry['overall']['false_flag']:.1%}  "
              f"miss {entry['overall']['miss']:.1%}  ({entry['overall']['pairs']} true pairs, {report['images']} images)")
        for code, r in entry["languages"].items():
            print(f"  {code}: threshold {r['threshold']:.2f}  false-flag {r['false_flag']:.1%}  miss {r['miss']:.1%}  true median {r['true_median']:.2f} "
                  f"p05 {r['true_p05']:.2f}  mismatched median {r['mismatched_median']:.2f} p95 {r['mismatched_p95']:.2f}")
        refusal = refusal_scores(usable, encoder, spec, cache)
        limit = refusal_threshold(spec)
        hits = refusal[refusal["score"] >= limit] if limit is not None else refusal.iloc[:0]
        entry["refusal"] = {"threshold": limit, "captions": len(refusal), "false_hits": len(hits),
                            "max": round(float(refusal["score"].max()), 3),
                            "p999": round(float(refusal["score"].quantile(0.999)), 3),
                            "closest": refusal.nlargest(3, "score")[["language", "caption", "score"]]
                            .round(3).to_dict("records")}
        print(f"  refusal check: {len(hits)} of {len(refusal)} real captions at or over {limit} "
              f"(max {entry['refusal']['max']:.2f}, 99.9th percentile {entry['refusal']['p999']:.2f})")
        for hit in hits.itertuples():
            print(f"    {hit.language}: {hit.caption!r} ({hit.score:.2f})")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    if args.write_settings:
        path = update_packaged_thresholds({s: e["threshold"] for s, e in report["encoders"].items()})
        print(f"pooled thresholds written to {path}")
        codes = {c for e in report["encoders"].values() for c in e["per_language_thresholds"]}
        for code in sorted(codes):
            values = {s: e["per_language_thresholds"][code] for s, e in report["encoders"].items()
                      if code in e["per_language_thresholds"]}
            written = set_language_thresholds(code, values)
            if written is not None:
                print(f"{code} thresholds {values} written to {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
