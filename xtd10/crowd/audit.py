"""Running the crowd rules on a published XTD10 language.

The "submission" is a published caption, its English source the English caption of the
same image. Rules about workers and timing do not apply and are left out. Findings feed
the dataset card's known-issues table and ``flagged_indices`` (load without them).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from xtd10.crowd.rules import REJECT, get_rules
from xtd10.crowd.validate import run_rules
from xtd10.data import load_frame, resolve_source
from xtd10.data.flagged import flagged_list_path, write_flagged
from xtd10.data.loading import source_revision
from xtd10.encoders.protocol import Encoder

NOT_FOR_AUDIT = ["identical_across_workers", "too_fast"]


def language_frame(code: str, source=None) -> pd.DataFrame:
    src = resolve_source(source)
    code = src.registry.get(code).code
    frame = load_frame([code, "en"], source=src) if code != "en" else load_frame("en", source=src)
    english = frame[(frame["language"] == "en") & (frame["caption_index"] == 0)].set_index("index")["caption"]
    rows = frame[frame["language"] == code].reset_index(drop=True)
    return pd.DataFrame({
        "submission_id": [f"{code}-{i}-{k}" for i, k in zip(rows["index"], rows["caption_index"], strict=True)],
        "worker_id": "upstream", "assignment_id": "", "task_id": "", "image": rows["file_name"],
        "language": code, "text": rows["caption"], "english": rows["index"].map(english).to_numpy(),
        "work_time_s": float("nan"), "index": rows["index"],
    })


def audit_language(code: str, source=None, *, encoder: Encoder | None = None,
                   rules: list[str] | None = None) -> pd.DataFrame:
    """Flags on one published language: the flag columns plus ``index`` (image index)."""
    frame = language_frame(code, source)
    chosen = get_rules(rules, exclude=[r for r in NOT_FOR_AUDIT if not rules or r not in rules])
    flags = run_rules(frame, encoder=encoder, rules=chosen)
    index = dict(zip(frame["submission_id"], frame["index"], strict=True))
    english = dict(zip(frame["submission_id"], frame["english"], strict=True))
    return flags.assign(index=flags["submission_id"].map(index).astype("int64"),
                        english=flags["submission_id"].map(english))


def known_issues_table(source=None, *, languages: list[str] | None = None, encoder: Encoder | None = None,
                       examples: int = 3) -> list[dict]:
    """Rows ``{language, rule, severity, count, examples}`` for the dataset card."""
    src = resolve_source(source)
    codes = languages or [c for c in src.registry.codes if c != "en"]
    rows = []
    for code in codes:
        flags = audit_language(code, src, encoder=encoder)
        for rule, group in flags.groupby("rule", sort=True):
            rows.append({"language": code, "rule": rule, "severity": group["severity"].iloc[0],
                         "count": int(group["submission_id"].nunique()),
                         "examples": [f"#{i}: {t}" for i, t in zip(group["index"].head(examples),
                                                                  group["text"].head(examples), strict=True)]})
    return rows


def flagged_indices(code: str, source=None, rules: list[str] | None = None) -> set[int]:
    """Image indices whose ``code`` caption is flagged; by default by the reject-severity rules."""
    flags = audit_language(code, source, rules=rules)
    if rules is None:
        flags = flags[flags["severity"] == REJECT]
    return {int(i) for i in flags["index"]}


def record_flags(code: str, flags: pd.DataFrame, source=None) -> Path:
    """Write ``code``'s flags (from :func:`audit_language`) into the flagged-caption list that
    ``xtd10.load(..., exclude_flagged=True)`` reads for this revision of the source."""
    src = resolve_source(source)
    code = src.registry.get(code).code
    by_rule = {str(rule): (str(group["severity"].iloc[0]), frozenset(int(i) for i in group["index"]))
               for rule, group in flags.groupby("rule", sort=True)}
    revision = source_revision(src, [code])
    return write_flagged(flagged_list_path(revision), revision, code, by_rule)


def audit_and_record(code: str, source=None, *, encoder: Encoder | None = None) -> pd.DataFrame:
    """:func:`audit_language`, then :func:`record_flags`: what ``xtd10 crowd audit`` does."""
    flags = audit_language(code, source, encoder=encoder)
    record_flags(code, flags, source)
    return flags
