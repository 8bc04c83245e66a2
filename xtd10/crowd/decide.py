"""Platform-ready decision files built from per-submission decisions.

Every cell is neutralised against spreadsheet formula injection, because requesters open
these files in a spreadsheet before uploading them, and made one line, because a platform
that splits an upload on line breaks would otherwise read a caption's break as a new row. Beside the platform's file go a list
of the submissions awaiting review (``<stem>.review.csv``, each linked to its entry on the
review page) and the workers suggested for a block (``<stem>.block.csv``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from xtd10.crowd.csv_files import write_csv
from xtd10.crowd.platforms import decision_writer, get_platform
from xtd10.escaping.csv_cells import csv_text
from xtd10.files import atomic_open, atomic_write_bytes

__all__ = ["block_path", "platform_decisions", "review_path", "write_accepted",
           "write_decisions"]

REVIEW_PAGE = "review.html"


def platform_decisions(decisions: pd.DataFrame, platform: str, raw: pd.Series | None = None) -> pd.DataFrame:
    """The table ``platform`` accepts back (see each writer in :mod:`xtd10.crowd.platforms`).
    ``raw``: the original export rows (JSON strings aligned with ``decisions``)."""
    return decision_writer(get_platform(platform, for_decisions=True))(decisions, raw)


def _sibling(output: str | os.PathLike, kind: str) -> Path:
    output = Path(output)
    return output.with_name(f"{output.stem}.{kind}.csv")


def block_path(output: str | os.PathLike, platform: str = "csv") -> Path:
    return _sibling(output, "block")


def review_path(output: str | os.PathLike, platform: str = "csv") -> Path:
    return _sibling(output, "review")


def write_decisions(decisions: pd.DataFrame, workers: pd.DataFrame, platform: str,
                    output: str | os.PathLike, submissions: pd.DataFrame | None = None) -> dict[str, Path]:
    """The decision file, the review list and the block list.

    ``submissions`` (the canonical batch) supplies the original rows for the MTurk layout.
    """
    record = get_platform(platform, for_decisions=True)
    output = Path(output)
    raw = None
    if submissions is not None and "raw" in submissions:
        raw = decisions["submission_id"].map(dict(zip(submissions["submission_id"], submissions["raw"],
                                                      strict=True)))
    table = decision_writer(record)(decisions, raw)
    encoding = "utf-8" if record.decision_sep == "\t" else "utf-8-sig"
    text = csv_text(table, keep=record.decision_keep, sep=record.decision_sep)
    atomic_write_bytes(output, text.encode(encoding))
    review = decisions.loc[decisions["decision"] == "review",
                           ["submission_id", "worker_id", "image", "text", "rules"]].copy()
    review["link"] = REVIEW_PAGE + "#" + review["submission_id"].astype(str)
    write_csv(review, review_path(output, platform))
    columns = ["worker_id", "submissions", "reject_rate", *(c for c in ("flagged_share", "escalation")
                                                            if c in workers)]
    block = workers.loc[workers["recommendation"] == "block", columns].copy()
    reasons = {"worker_reuses_text": "Gave one text for several images.",
               "worker_mostly_flagged": "Most submissions were flagged by the validation rules."}
    escalation = block["escalation"] if "escalation" in block else pd.Series("", index=block.index)
    block["reason"] = escalation.map(reasons).fillna("Most submissions were rejected by the validation rules.")
    write_csv(block, block_path(output, platform))
    return {"decisions": output, "review": review_path(output, platform), "block": block_path(output, platform)}


def write_accepted(submissions: pd.DataFrame, decisions: pd.DataFrame, path: str | os.PathLike) -> Path:
    """The approved rows only, with a ``decision`` column, as parquet for ``promote`` (which
    refuses any table whose decision column says anything but approve)."""
    keep = decisions.loc[decisions["decision"] == "approve", "submission_id"]
    rows = submissions[submissions["submission_id"].isin(keep)].assign(decision="approve")
    with atomic_open(path, "wb") as handle:
        rows.to_parquet(handle, index=False)
    return Path(path)
