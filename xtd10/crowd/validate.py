"""Running the rules over a batch, summarising workers, and deciding per submission."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xtd10.crowd import langid
from xtd10.crowd.errors import CrowdError
from xtd10.crowd.rules import REJECT, Context, Rule, get_rules
from xtd10.crowd.semantic import Semantic, as_semantic, score
from xtd10.crowd.settings import load_settings
from xtd10.encoders.base import Encoder

log = logging.getLogger(__name__)

FLAG_COLUMNS = ["submission_id", "worker_id", "image", "language", "rule", "severity", "detail", "text"]


@dataclass
class Validation:
    submissions: pd.DataFrame
    flags: pd.DataFrame
    workers: pd.DataFrame
    decisions: pd.DataFrame
    rules: list[Rule]
    semantic: dict[str, dict] = field(default_factory=dict)  # per language: encoder used, or why skipped


def read_batch(path: str | os.PathLike) -> pd.DataFrame:
    path = Path(path)
    if not path.is_file():
        raise CrowdError(f"{path}: no such batch file (create it with 'xtd10 crowd ingest')")
    frame = pd.read_parquet(path)
    missing = {"submission_id", "worker_id", "image", "language", "text", "english"} - set(frame.columns)
    if missing:
        raise CrowdError(f"{path}: not a canonical batch, missing columns {sorted(missing)}")
    return frame


def run_rules(
    frame: pd.DataFrame,
    *,
    encoder: Encoder | Semantic | None = None,
    rules: list[Rule] | None = None,
    settings_dir: str | os.PathLike | None = None,
) -> pd.DataFrame:
    """One row per (submission, rule) that fired. ``encoder``: one encoder (used for the
    languages it covers) or a :class:`~xtd10.crowd.semantic.Semantic` choosing per language."""
    rules = rules if rules is not None else get_rules()
    frame = frame.reset_index(drop=True)
    if "work_time_s" not in frame:
        frame = frame.assign(work_time_s=np.nan)
    wants_langid = any(r.needs == "langid" for r in rules) or any(r.id == "untranslated" for r in rules)
    use_langid = wants_langid and langid.available()
    if wants_langid and not use_langid:
        log.warning("py3langid is not installed: language identification is skipped")
    scores = None
    semantic = as_semantic(encoder)
    wants_refusal = any(r.id == "refusal" for r in rules)
    if semantic is not None and (any(r.needs == "encoder" for r in rules) or wants_refusal):
        scores = score(frame, semantic, refusals=wants_refusal)
    found = []
    for language, group in frame.groupby("language", sort=False):
        settings = load_settings(str(language), settings_dir)
        ids = None
        if use_langid:
            ids = pd.DataFrame(langid.identify(group["text"].fillna("")), columns=["label", "prob"],
                               index=group.index)
        ctx = Context(settings=settings, langid=ids)
        if scores is not None:
            ctx.similarity, ctx.refusal = scores.similarity.loc[group.index], scores.refusal.loc[group.index]
            ctx.encoder = scores.encoder.loc[group.index]
        for rule in rules:
            detail = rule.check(group, ctx)
            hit = detail.ne("")
            if hit.any():
                part = group.loc[hit, ["submission_id", "worker_id", "image", "language", "text"]].copy()
                part["rule"], part["severity"], part["detail"] = rule.id, rule.severity, detail[hit]
                found.append(part[FLAG_COLUMNS])
    if not found:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    return pd.concat(found, ignore_index=True)


def trigram_agreement(frame: pd.DataFrame, max_others: int = 5) -> pd.Series:
    """Per worker: mean character-trigram Jaccard between their text and other workers'
    texts for the same image (NaN where nobody else did that image). Script-agnostic.
    Each submission is compared with at most ``max_others`` others (the next ones in
    batch order), which keeps images with hundreds of submissions linear in cost."""
    def grams(text: str) -> set[str]:
        t = " ".join(str(text).lower().split())
        return {t[i:i + 3] for i in range(max(len(t) - 2, 1))}

    scores: dict[str, list[float]] = {}
    for _, group in frame.groupby("image"):
        if group["worker_id"].nunique() < 2:
            continue
        rows = list(zip(group["worker_id"], (grams(t) for t in group["text"].fillna("")), strict=True))
        for i, (worker, g) in enumerate(rows):
            window = [rows[(i + k) % len(rows)] for k in range(1, min(len(rows), max_others + 1))]
            others = [len(g & h) / len(g | h) for w, h in window if w != worker and g | h]
            if others:
                scores.setdefault(worker, []).append(float(np.mean(others)))
    return pd.Series({w: float(np.mean(v)) for w, v in scores.items()}, dtype=float)


def worker_summary(frame: pd.DataFrame, flags: pd.DataFrame, *, block_rate: float = 0.5,
                   reject_rate: float = 0.2, min_submissions: int = 3) -> pd.DataFrame:
    """Submissions, rejectable share, flag rate per rule, agreement, recommendation."""
    counts = frame.groupby("worker_id").size().rename("submissions")
    out = counts.to_frame()
    rejected = flags[flags["severity"] == REJECT].groupby("worker_id")["submission_id"].nunique()
    out["rejected"] = rejected.reindex(out.index).fillna(0).astype(int)
    out["reject_rate"] = out["rejected"] / out["submissions"]
    if not flags.empty:
        per_rule = flags.groupby(["worker_id", "rule"])["submission_id"].nunique().unstack(fill_value=0)
        for rule in per_rule.columns:
            out[f"rate_{rule}"] = (per_rule[rule].reindex(out.index).fillna(0) / out["submissions"]).round(4)
    out["agreement"] = trigram_agreement(frame).reindex(out.index)
    recommendation = np.where(
        (out["reject_rate"] >= block_rate) & (out["submissions"] >= min_submissions), "block",
        np.where(out["reject_rate"] >= reject_rate, "reject", "approve"))
    out["recommendation"] = recommendation
    return out.reset_index().sort_values(["reject_rate", "submissions"], ascending=[False, False],
                                         ignore_index=True)


def decide(frame: pd.DataFrame, flags: pd.DataFrame, rules: list[Rule], *,
           reject_warnings: bool = False) -> pd.DataFrame:
    """Per submission: approve/reject and the feedback a worker sees."""
    explanations = {r.id: r.explanation for r in rules}
    severities = {"reject"} | ({"warning"} if reject_warnings else set())
    bad = flags[flags["severity"].isin(severities)]
    reasons = bad.groupby("submission_id")["rule"].agg(lambda r: sorted(set(r)))
    out = frame[["submission_id", "worker_id", "assignment_id", "task_id", "image", "language", "text"]].copy() \
        if {"assignment_id", "task_id"} <= set(frame) else frame[["submission_id", "worker_id", "image",
                                                                  "language", "text"]].copy()
    rule_lists = out["submission_id"].map(reasons)
    out["decision"] = np.where(rule_lists.notna(), "reject", "approve")
    out["rules"] = rule_lists.map(lambda r: ",".join(r) if isinstance(r, list) else "")
    out["feedback"] = rule_lists.map(
        lambda r: " ".join(explanations[i] for i in r) if isinstance(r, list) else "Thank you, approved.")
    return out


def validate(frame: pd.DataFrame, *, encoder: Encoder | Semantic | None = None, rule_ids: list[str] | None = None,
             exclude: list[str] | None = None, settings_dir: str | os.PathLike | None = None,
             reject_warnings: bool = False) -> Validation:
    rules = get_rules(rule_ids, exclude)
    semantic = as_semantic(encoder)
    flags = run_rules(frame, encoder=semantic, rules=rules, settings_dir=settings_dir)
    return Validation(frame, flags, worker_summary(frame, flags),
                      decide(frame, flags, rules, reject_warnings=reject_warnings), rules,
                      semantic.summary() if semantic is not None else {})
