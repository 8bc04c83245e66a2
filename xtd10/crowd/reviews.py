"""Human review of the submissions the rules could not decide: the queue, the batch
identity the review page keys its saved decisions by, and applying the CSV a reviewer
exports from that page.

Policy: a reviewer's decision replaces the rules' outcome only for submissions the rules
sent to review. A line for a submission the rules approved or rejected is an error, not
an override: such a line means the review file belongs to another run of the rules (other
``--rule``/``--exclude``/``--reject-warnings`` choices, or a different batch), and
silently flipping a rejection would let an empty or copied answer into the dataset.
``skip`` lines (and submissions without a line) stay under review and are not accepted.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from dataclasses import dataclass

import pandas as pd

from xtd10.crowd.errors import CrowdError
from xtd10.escaping.csv_cells import FORMULA_PREFIXES
from xtd10.userfiles import read_text

REVIEW = "review"
REVIEW_VALUES = ("approve", "reject", "skip")
REVIEW_COLUMNS = ("submission_id", "decision", "note", "batch", "reviewed_at")
APPROVED_FEEDBACK = "Thank you, approved."


class ReviewError(CrowdError):
    """A review file cannot be applied; the message names the file and line."""


@dataclass(frozen=True)
class Review:
    submission_id: str
    decision: str
    note: str
    line: int
    batch: str = ""  # the fingerprint of the batch the page was made for, if the file names it


def review_queue(decisions: pd.DataFrame) -> pd.DataFrame:
    """The decision rows the rules sent to a human, in batch order."""
    return decisions[decisions["decision"] == REVIEW].reset_index(drop=True)


def batch_identity(submissions: pd.DataFrame) -> str:
    """A short fingerprint of the batch (ids, workers, images and texts, in order).

    The review page keys its saved decisions by it, so decisions made on one batch never
    show up on another batch's page, and the exported CSV carries it so that applying a
    review to the wrong batch is refused.
    """
    digest = hashlib.sha256()
    for row in submissions[["submission_id", "worker_id", "image", "text"]].itertuples(index=False):
        for value in row:
            digest.update(str(value).encode("utf-8", "surrogatepass"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


def _cell(value: str) -> str:
    """Undo the quote the page puts before a cell that a spreadsheet would run as a formula."""
    if value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value


def read_reviews(path: str | os.PathLike) -> list[Review]:
    """The reviewer's lines of ``path`` (the CSV the review page exports).

    Required columns: ``submission_id`` and ``decision`` (approve, reject or skip);
    ``note`` (sent to the worker with the decision) and ``batch`` are optional. Every
    problem is a :class:`ReviewError` naming the file and line.
    """
    text = read_text(path, ReviewError, "review file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ReviewError(f"{path}: empty review file (export it from the review page)") from None
    header = [h.strip() for h in header]
    missing = [c for c in ("submission_id", "decision") if c not in header]
    if missing:
        raise ReviewError(f"{path}:1: missing column(s) {', '.join(missing)}; a review file has columns "
                          f"{', '.join(REVIEW_COLUMNS)}")
    col = {name: header.index(name) for name in REVIEW_COLUMNS if name in header}
    reviews: list[Review] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ReviewError(f"{path}:{line}: {len(row)} fields, expected {len(header)} (as in the header)")
        sid = _cell(row[col["submission_id"]])
        decision = row[col["decision"]].strip().lower()
        if not sid.strip():
            raise ReviewError(f"{path}:{line}: empty submission_id")
        if decision not in REVIEW_VALUES:
            raise ReviewError(f"{path}:{line}: decision {row[col['decision']]!r} for {sid!r} is not one of "
                              f"{', '.join(REVIEW_VALUES)}")
        if sid in seen:
            raise ReviewError(f"{path}:{line}: {sid!r} was already decided on line {seen[sid]}")
        seen[sid] = line
        note = _cell(row[col["note"]]).strip() if "note" in col else ""
        batch = row[col["batch"]].strip() if "batch" in col else ""
        reviews.append(Review(sid, decision, note, line, batch))
    return reviews


def apply_reviews(decisions: pd.DataFrame, reviews: list[Review], *, explanations: dict[str, str],
                  where: str = "reviews", batch: str | None = None) -> pd.DataFrame:
    """``decisions`` with the reviewer's approve/reject applied to the rows under review.

    ``explanations`` (message id -> text, :func:`xtd10.crowd.validate.worker_messages`:
    rules, escalations, ``approved``) supplies the feedback; a reviewer's
    note is added to it. ``batch``: this batch's fingerprint; a line made on another
    batch's page is refused before anything is applied.
    """
    for review in reviews:
        if batch is not None and review.batch and review.batch != batch:
            raise ReviewError(f"{where}:{review.line}: made on another batch's review page (batch {review.batch}, "
                              f"this batch is {batch}); export the reviews from this batch's page")
    out = decisions.copy()
    index = {sid: i for i, sid in zip(out.index, out["submission_id"].astype(str), strict=True)}
    for review in reviews:
        if review.submission_id not in index:
            raise ReviewError(f"{where}:{review.line}: unknown submission id {review.submission_id!r} "
                              "(not in this batch)")
        i = index[review.submission_id]
        current = out.at[i, "decision"]
        if current != REVIEW:
            raise ReviewError(f"{where}:{review.line}: {review.submission_id!r} was not sent to review (the rules "
                              f"decided {current!r}); reviews only decide submissions under review")
        if review.decision == "skip":
            continue
        out.at[i, "decision"] = review.decision
        if review.decision == "approve":
            feedback = explanations.get("approved", APPROVED_FEEDBACK)
        else:  # the rules' messages, never their ids
            rules = [r for r in str(out.at[i, "rules"]).split(",") if r]
            feedback = " ".join(explanations[r] for r in rules if r in explanations) or "Rejected after review."
        out.at[i, "feedback"] = f"{feedback} {review.note}".strip() if review.note else feedback
    return out
