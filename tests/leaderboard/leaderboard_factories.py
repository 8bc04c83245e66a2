"""Builders of schema-valid result files and reported YAML files for the leaderboard tests.

A uniquely named module (not conftest) so that ``import`` cannot pick up another test
folder's conftest when the whole suite runs."""

from __future__ import annotations

import json
import random
from pathlib import Path

import yaml

from xtd10.languages import XTD10_CODES

REVISION = "d77ff16148468c84287f3efcbf602a015c5e4954"


def result_dict(spec: str, name: str | None = None, *, seed: int = 0, revision: str = REVISION,
                dataset: str = "xtd10", languages: tuple[str, ...] = XTD10_CODES,
                tracks: tuple[str, ...] = ("image", "text"), subsets: tuple[str, ...] = ("all", "val2014"),
                with_aggregates: bool = True) -> dict:
    """A schema v1 result with plausible, monotone recalls derived from ``seed``."""
    rng = random.Random(seed)
    metrics = []
    directions = {"image": ("t2i", "i2t"), "text": ("x2en", "en2x")}
    for track in tracks:
        for direction in directions[track]:
            langs = [lang for lang in languages if not (track == "text" and lang == "en")]
            for subset in subsets:
                n = 1000 if subset == "all" else 200
                per_metric: dict[str, list[float]] = {"R@1": [], "R@5": [], "R@10": []}
                for lang in langs:
                    r1 = round(rng.uniform(0.05, 0.6), 4)
                    r5 = round(min(1.0, r1 + rng.uniform(0.05, 0.25)), 4)
                    r10 = round(min(1.0, r5 + rng.uniform(0.02, 0.15)), 4)
                    for metric, value in (("R@1", r1), ("R@5", r5), ("R@10", r10)):
                        per_metric[metric].append(value)
                        metrics.append({"track": track, "direction": direction, "language": lang,
                                        "subset": subset, "metric": metric, "value": value,
                                        "ci_low": round(max(0.0, value - 0.03), 4),
                                        "ci_high": round(min(1.0, value + 0.03), 4), "n_queries": n})
                    metrics.append({"track": track, "direction": direction, "language": lang, "subset": subset,
                                    "metric": "MedR", "value": float(rng.randint(1, 40)), "ci_low": None,
                                    "ci_high": None, "n_queries": n})
                if with_aggregates:
                    for metric, values in per_metric.items():
                        non_en = [v for lang, v in zip(langs, values, strict=True) if lang != "en"]
                        for agg, vals in (("avg", values), ("avg_non_en", non_en)):
                            if vals:
                                metrics.append({"track": track, "direction": direction, "language": agg,
                                                "subset": subset, "metric": metric,
                                                "value": sum(vals) / len(vals), "ci_low": None,
                                                "ci_high": None, "n_queries": n})
    return {
        "schema": "xtd10.result",
        "schema_version": 1,
        "toolkit_version": "0.1.0",
        "created": "2026-11-28T04:00:00Z",
        "command": f"xtd10 bench run --model {spec}",
        "dataset": {"name": dataset, "source": {"kind": "local", "location": "/data"}, "revision": revision,
                    "file_sha256": {}, "languages": list(languages)},
        "encoder": {"spec": spec, "name": name or spec, "revision": None, "embedding_dim": 512,
                    "parameters": None, "license": "test", "modalities": ["text", "image"], "extra": {}},
        "config": {"tracks": list(tracks), "subsets": list(subsets), "bootstrap": 100, "seed": 0,
                   "batch_size": 64, "device": "cpu", "ks": [1, 5, 10]},
        "metrics": metrics,
        "timings": {"total_s": 1.0},
        "hardware": {"platform": "test", "python": "3.11", "cpu": "test", "device": "cpu", "gpu": None,
                     "torch": "2.13.0"},
        "an_added_field": {"readers": "must ignore it"},
    }


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def reported_dict(model: str = "Paper model", *, notes: str = "", url: str = "https://arxiv.org/abs/0000.00000",
                  values: dict | None = None) -> dict:
    return {
        "source": {"citation": "Someone et al. 2030, Table 9", "url": url},
        "entries": [{"model": model, "direction": "t2i", "scale": "percent", "metric": "R@10",
                     "values": values or {"en": 90.0, "de": 80.5, "ja": 70.25}, "notes": notes}],
    }


def write_yaml(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path
