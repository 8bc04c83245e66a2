"""Running the rules over a batch, summarising workers, and deciding per submission.

Each submission gets one of three decisions: ``reject`` (a reject-outcome rule fired),
``review`` (only review-outcome rules fired, or its worker is escalated) and ``approve``
(nothing fired). Worker-level evidence escalates: a worker who gives one text for several
images, or most of whose submissions are flagged, has every submission sent to review
and is suggested for a block, because their unflagged answers are no more trustworthy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from xtd10.crowd import langid
from xtd10.crowd.errors import CrowdError
from xtd10.crowd.language_settings import LanguageSettings
from xtd10.crowd.rule_context import Context
from xtd10.crowd.rules import REJECT, REVIEW, Rule, get_rules, normalise
from xtd10.crowd.semantic import Scores, Semantic, as_semantic, score
from xtd10.crowd.settings import load_settings
from xtd10.encoders.protocol import Encoder

log = logging.getLogger(__name__)

FLAG_COLUMNS = ["submission_id", "worker_id", "image", "language", "rule", "severity", "detail", "text",
                "outcome"]
DECISIONS = ("approve", "review", "reject")
BATCH_COLUMNS = ("submission_id", "worker_id", "image", "language", "text", "english")
# Worker escalation: one text for this many images, or this share of submissions flagged.
REUSE_IMAGES = 3
FLAGGED_SHARE = 0.5
MIN_SUBMISSIONS = 3
ESCALATION_RULES = {
    "worker_reuses_text": "You gave the same answer for several different images; all your answers are "
                          "being checked by a person.",
    "worker_mostly_flagged": "Most of your answers were flagged; all your answers are being checked by a person.",
}
APPROVED_MESSAGE = "Thank you, approved."
REVIEW_MESSAGE = "A person will check this answer."


def worker_messages(rules: list[Rule], settings: LanguageSettings | None = None) -> dict[str, str]:
    """Message id -> what a worker reads: each rule's plain explanation, the escalations, the
    approval and the review note; in the batch's language where its settings' ``feedback``
    gives one, else English. Never a rule id."""
    messages = {r.id: r.explanation for r in rules} | ESCALATION_RULES | {"approved": APPROVED_MESSAGE,
                                                                         "review": REVIEW_MESSAGE}
    return messages | (settings.feedback if settings is not None else {})


def batch_settings(frame: pd.DataFrame, settings_dir: str | os.PathLike | None = None) -> LanguageSettings | None:
    """The settings of a one-language batch (its feedback language); None for a mixed one."""
    languages = frame["language"].dropna().astype(str).unique() if "language" in frame else []
    return load_settings(str(languages[0]), settings_dir, warn=False) if len(languages) == 1 else None


@dataclass
class Validation:
    submissions: pd.DataFrame
    flags: pd.DataFrame
    workers: pd.DataFrame
    decisions: pd.DataFrame
    rules: list[Rule]
    semantic: dict[str, dict] = field(default_factory=dict)  # per language: encoder used, or why skipped
    messages: dict[str, str] = field(default_factory=dict)  # message id -> worker's text (worker_messages)


def read_batch(path: str | os.PathLike, *, what: str = "batch",
               required: tuple[str, ...] = BATCH_COLUMNS) -> pd.DataFrame:
    """A parquet table written by ``crowd ingest`` (or ``decide --accepted``); anything
    else (a CSV export, a damaged file, another table) is a one-line error naming it."""
    import pyarrow as pa

    path = Path(path)
    if not path.is_file():
        raise CrowdError(f"{path}: no such {what} file (create it with 'xtd10 crowd ingest')")
    try:
        frame = pd.read_parquet(path)
    except (pa.ArrowException, OSError, ValueError) as err:
        detail = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise CrowdError(f"{path}: not a parquet {what} written by 'xtd10 crowd ingest' ({detail[:160]}); "
                         "ingest the platform export first") from None
    missing = set(required) - set(frame.columns)
    if missing:
        raise CrowdError(f"{path}: not a canonical {what}, missing columns {sorted(missing)} "
                         "(tables written by 'xtd10 crowd ingest' have them)")
    for column in ("submission_id", "worker_id", "image", "language", "text", "english"):
        if column in frame and not (frame[column].isna() | frame[column].map(lambda v: isinstance(v, str))).all():
            raise CrowdError(f"{path}: column {column!r} must hold text, found {frame[column].dtype} values")
    return frame


def run_rules(
    frame: pd.DataFrame,
    *,
    encoder: Encoder | Semantic | None = None,
    rules: list[Rule] | None = None,
    settings_dir: str | os.PathLike | None = None,
    settings: Mapping[str, LanguageSettings] | None = None,
    scores: Scores | None = None,
) -> pd.DataFrame:
    """One row per (submission, rule) that fired. ``encoder``: one encoder (used for the
    languages it covers) or a :class:`~xtd10.crowd.semantic.Semantic` choosing per language.
    ``settings`` (language -> settings) replaces the settings files for the languages it
    names, and ``scores`` replaces the encoding: the audit of a whole dataset builds both
    itself (settings from the language table, vectors from the embedding cache)."""
    rules = rules if rules is not None else get_rules()
    frame = frame.reset_index(drop=True)
    if "work_time_s" not in frame:
        frame = frame.assign(work_time_s=np.nan)
    wants_langid = any(r.needs == "langid" for r in rules) or any(r.id == "untranslated" for r in rules)
    use_langid = wants_langid and langid.available()
    if wants_langid and not use_langid:
        log.warning("py3langid is not installed: language identification is skipped")
    semantic = as_semantic(encoder)
    wants_refusal = any(r.id == "refusal" for r in rules)
    if scores is None and semantic is not None and (any(r.needs == "encoder" for r in rules) or wants_refusal):
        # The encoder reads at most the longest max_chars of the batch's languages (too_long
        # rejects longer answers), so a megabyte of hostile text is never encoded.
        cap = max(load_settings(str(code), settings_dir, warn=False).max_chars for code in frame["language"].unique())
        scores = score(frame.assign(text=frame["text"].fillna("").str.slice(0, cap)), semantic,
                       refusals=wants_refusal)
    found = []
    for language, group in frame.groupby("language", sort=False):
        language_settings = (settings or {}).get(str(language)) or load_settings(str(language), settings_dir)
        # Every rule but too_long reads at most max_chars characters: too_long rejects the
        # rest, and no other rule then spends time on megabytes of hostile text.
        full = group
        group = group.assign(text=group["text"].fillna("").str.slice(0, language_settings.max_chars))
        ids = None
        if use_langid:
            ids = pd.DataFrame(langid.identify(group["text"]), columns=["label", "prob"],
                               index=group.index)
        ctx = Context(settings=language_settings, langid=ids)
        if scores is not None:
            ctx.similarity, ctx.refusal = scores.similarity.loc[group.index], scores.refusal.loc[group.index]
            ctx.encoder = scores.encoder.loc[group.index]
        for rule in rules:
            detail = rule.check(full if rule.id == "too_long" else group, ctx)
            hit = detail.ne("")
            if hit.any():
                part = group.loc[hit, ["submission_id", "worker_id", "image", "language", "text"]].copy()
                part["rule"], part["severity"], part["detail"] = rule.id, rule.severity, detail[hit]
                part["outcome"] = rule.outcome_for(language_settings)
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


def text_reuse(frame: pd.DataFrame) -> pd.Series:
    """Per worker: the most images they gave one (normalised, non-empty) text for, counting
    only images with different English sources (one source on two images is one text)."""
    keyed = pd.DataFrame({"worker": frame["worker_id"], "norm": normalise(frame["text"]),
                          "english": normalise(frame["english"]) if "english" in frame else frame["image"]})
    keyed = keyed[keyed["norm"].ne("")]
    if keyed.empty:
        return pd.Series(dtype=int)
    return keyed.groupby(["worker", "norm"])["english"].nunique().groupby(level=0).max()


def worker_summary(frame: pd.DataFrame, flags: pd.DataFrame, *, block_rate: float = 0.5,
                   reject_rate: float = 0.2, min_submissions: int = MIN_SUBMISSIONS,
                   reuse_images: int = REUSE_IMAGES, flagged_share: float = FLAGGED_SHARE) -> pd.DataFrame:
    """Per worker: submissions, rejected and flagged shares, flag rate per rule, the most
    images one text was reused for, agreement, escalation, recommendation and a risk score
    (the table is sorted by it, riskiest first)."""
    counts = frame.groupby("worker_id").size().rename("submissions")
    out = counts.to_frame()
    outcome = flags["outcome"] if "outcome" in flags else flags["severity"]
    rejected = flags[outcome == REJECT].groupby("worker_id")["submission_id"].nunique()
    flagged = flags.groupby("worker_id")["submission_id"].nunique()
    out["rejected"] = rejected.reindex(out.index).fillna(0).astype(int)
    out["reject_rate"] = out["rejected"] / out["submissions"]
    out["flagged"] = flagged.reindex(out.index).fillna(0).astype(int)
    out["flagged_share"] = out["flagged"] / out["submissions"]
    # Reuse of a text that is rejected anyway ("n/a" for three images) is no sign of pasting
    # a caption; only texts that could pass as captions count.
    rejected_ids = set(flags.loc[outcome == REJECT, "submission_id"])
    candidates = frame[~frame["submission_id"].isin(rejected_ids)]
    out["reused_text_images"] = text_reuse(candidates).reindex(out.index).fillna(0).astype(int)
    if not flags.empty:
        per_rule = flags.groupby(["worker_id", "rule"])["submission_id"].nunique().unstack(fill_value=0)
        for rule in per_rule.columns:
            out[f"rate_{rule}"] = (per_rule[rule].reindex(out.index).fillna(0) / out["submissions"]).round(4)
    out["agreement"] = trigram_agreement(frame).reindex(out.index)
    reuse = out["reused_text_images"] >= reuse_images
    mostly = (out["flagged_share"] >= flagged_share) & (out["submissions"] >= min_submissions)
    out["escalation"] = np.where(reuse, "worker_reuses_text", np.where(mostly, "worker_mostly_flagged", ""))
    out["recommendation"] = np.where(
        out["escalation"].ne("") | ((out["reject_rate"] >= block_rate) & (out["submissions"] >= min_submissions)),
        "block", np.where(out["reject_rate"] >= reject_rate, "reject",
                          np.where(out["flagged"] > 0, "review", "approve")))
    out["risk"] = (np.maximum(out["reject_rate"], out["flagged_share"]) + out["escalation"].ne("")).round(4)
    return out.reset_index().sort_values(["risk", "submissions", "worker_id"], ascending=[False, False, True],
                                         ignore_index=True)


def escalation_flags(frame: pd.DataFrame, workers: pd.DataFrame) -> pd.DataFrame:
    """One review flag per submission of each escalated worker, as evidence for ``decide``."""
    reasons = workers.set_index("worker_id")["escalation"]
    reasons = reasons[reasons.ne("")]
    rows = frame[frame["worker_id"].isin(reasons.index)]
    if rows.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    part = rows[["submission_id", "worker_id", "image", "language", "text"]].copy()
    part["rule"] = part["worker_id"].map(reasons)
    part["severity"] = part["outcome"] = REVIEW
    detail = {"worker_reuses_text": "this worker gave one text for several images",
              "worker_mostly_flagged": "most of this worker's submissions are flagged"}
    part["detail"] = part["rule"].map(detail)
    part["text"] = part["text"].fillna("").str.slice(0, 1000)
    return part[FLAG_COLUMNS]


def decide(frame: pd.DataFrame, flags: pd.DataFrame, rules: list[Rule], *,
           reject_review: bool = False, messages: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per submission: approve, review or reject, the rules behind it and the feedback a
    worker sees (``messages``, default :func:`worker_messages` in English; an id without a
    message is left out rather than shown). ``reject_review`` turns every review into a
    reject (no person available)."""
    explanations = dict(messages) if messages is not None else worker_messages(rules)
    columns = ["submission_id", "worker_id", *(c for c in ("assignment_id", "task_id") if c in frame),
               "image", "language", "text"]
    out = frame[columns].copy()
    outcome = flags["outcome"] if "outcome" in flags else flags["severity"]
    ids = out["submission_id"]
    rejected = set(flags.loc[outcome == REJECT, "submission_id"])
    reviewed = set(flags.loc[outcome == REVIEW, "submission_id"])
    all_rules = flags.groupby("submission_id")["rule"].agg(lambda r: sorted(set(r)))
    reject_rules = flags[outcome == REJECT].groupby("submission_id")["rule"].agg(lambda r: sorted(set(r)))
    decision = np.where(ids.isin(rejected), "reject", np.where(ids.isin(reviewed), "review", "approve"))
    if reject_review:
        decision = np.where(decision == "review", "reject", decision)
    out["decision"] = decision
    listed = ids.map(all_rules)
    out["rules"] = listed.map(lambda r: ",".join(r) if isinstance(r, list) else "")

    def feedback(sid: str, verdict: str) -> str:
        if verdict == "approve":
            return explanations.get("approved", APPROVED_MESSAGE)
        reasons = reject_rules.get(sid) if verdict == "reject" and sid in reject_rules.index else all_rules.get(sid)
        text = " ".join(explanations[i] for i in (reasons or []) if i in explanations)
        return text if verdict == "reject" else f"{explanations.get('review', REVIEW_MESSAGE)} {text}".strip()

    out["feedback"] = [feedback(sid, verdict) for sid, verdict in zip(ids, out["decision"], strict=True)]
    return out


def validate(frame: pd.DataFrame, *, encoder: Encoder | Semantic | None = None, rule_ids: list[str] | None = None,
             exclude: list[str] | None = None, settings_dir: str | os.PathLike | None = None,
             reject_review: bool = False) -> Validation:
    rules = get_rules(rule_ids, exclude)
    semantic = as_semantic(encoder)
    flags = run_rules(frame, encoder=semantic, rules=rules, settings_dir=settings_dir)
    workers = worker_summary(frame, flags)
    # Escalation changes decisions (and shows in their ``rules``), but is not a rule firing:
    # ``flags`` stays one row per rule that fired on a text.
    escalated = escalation_flags(frame, workers)
    evidence = pd.concat([flags, escalated], ignore_index=True) if not escalated.empty and not flags.empty \
        else (escalated if not escalated.empty else flags)
    messages = worker_messages(rules, batch_settings(frame, settings_dir))
    return Validation(frame, flags, workers, decide(frame, evidence, rules, reject_review=reject_review,
                                                    messages=messages), rules,
                      semantic.summary() if semantic is not None else {}, messages)
