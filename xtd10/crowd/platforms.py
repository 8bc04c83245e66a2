"""One record per crowd platform: its export's columns, delimiter and reader, and the
decision file it accepts back. Ingest and decide look a platform up here instead of
branching on its name, so supporting another platform is one more record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pandas as pd

from xtd10.crowd.errors import CrowdError

# A decision writer: (decisions frame, original export rows as JSON strings or None) -> table.
DecisionWriter = Callable[[pd.DataFrame, "pd.Series | None"], pd.DataFrame]


@dataclass(frozen=True)
class Platform:
    name: str
    columns: Mapping[str, list[str]]  # canonical field -> candidate column names, first present wins
    reader: str = "delimited"  # "delimited" (CSV/TSV) or "labelstudio-json"
    delimiter: str | None = ","  # default for delimited exports (a .tsv/.tab file means tab)
    signature: tuple[str, ...] = ()  # column names only this platform's export has ("X:" = prefix)
    decisions: DecisionWriter | None = None  # None: the platform takes no decision upload
    decision_sep: str = ","
    decision_keep: tuple[str, ...] = ()  # toolkit-written codes left as they are (never crowd input)


def _mark(decisions: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    return decisions["decision"].eq("approve"), decisions["decision"].eq("reject")


def mturk_decisions(decisions: pd.DataFrame, raw: pd.Series | None) -> pd.DataFrame:
    """MTurk's review upload is the downloaded batch results file with ``Approve`` ("x")
    and ``Reject`` (the reason) filled in. With the original rows (``raw``) it is exactly
    that file, every column kept so that MTurk matches it to the batch; without them the
    five columns HITId, AssignmentId, WorkerId, Approve, Reject. Review rows have both
    cells empty, which leaves the assignment pending until a person decides."""
    approve, reject = _mark(decisions)
    marks = {"Approve": approve.map({True: "x", False: ""}), "Reject": decisions["feedback"].where(reject, "")}
    if raw is not None and raw.notna().all():
        original = pd.DataFrame([json.loads(r) for r in raw], index=decisions.index).fillna("")
        if {"HITId", "AssignmentId"} <= set(original.columns):
            return original.assign(**marks)
    assignments = decisions["assignment_id"] if "assignment_id" in decisions else pd.Series("", index=decisions.index)
    missing = int(assignments.fillna("").astype(str).str.strip().eq("").sum())
    if missing:
        # MTurk matches an upload to its assignments by AssignmentId: rows without one are ignored
        raise CrowdError(
            f"--format mturk: {missing} of {len(decisions)} submissions have no MTurk AssignmentId (the batch was "
            "not ingested from an MTurk export, e.g. with --platform csv), so MTurk could not apply the file; "
            "ingest MTurk's Batch_results.csv with --platform mturk, or write --format csv")
    return pd.DataFrame({"HITId": decisions.get("task_id", ""), "AssignmentId": assignments,
                         "WorkerId": decisions["worker_id"], **marks})


def toloka_decisions(decisions: pd.DataFrame, raw: pd.Series | None) -> pd.DataFrame:
    """Toloka's review upload: ``+``/``-`` verdicts. Review rows are left out (Toloka has
    no "later" verdict); they stay unreviewed until a person decides."""
    decided = decisions[decisions["decision"].ne("review")]
    approve = decided["decision"].eq("approve")
    return pd.DataFrame({
        "ASSIGNMENT:assignment_id": decided.get("assignment_id", decided["submission_id"]),
        "ACCEPT:verdict": approve.map({True: "+", False: "-"}), "ACCEPT:comment": decided["feedback"],
    })


def generic_decisions(decisions: pd.DataFrame, raw: pd.Series | None) -> pd.DataFrame:
    return decisions[["submission_id", "worker_id", "image", "decision", "rules", "feedback"]].copy()


# Canonical field -> candidate column names, first present wins. ``work_time_s`` may
# instead be derived from a (start, end) pair of timestamp columns.
_COLUMNS: dict[str, dict[str, list[str]]] = {
    "mturk": {
        "submission_id": ["AssignmentId"], "assignment_id": ["AssignmentId"], "worker_id": ["WorkerId"],
        "task_id": ["HITId"], "image": ["Input.file_name", "Input.image_url", "Input.image"],
        "text": ["Answer.translation", "Answer.caption", "Answer.text"],
        "english": ["Input.english", "Input.caption_en", "Input.english_caption"],
        "work_time_s": ["WorkTimeInSeconds"], "timestamp": ["SubmitTime"], "status": ["AssignmentStatus"],
        "start": ["AcceptTime"], "end": ["SubmitTime"], "pastes": ["Answer.pastes"],
    },
    "toloka": {
        "submission_id": ["ASSIGNMENT:assignment_id"], "assignment_id": ["ASSIGNMENT:assignment_id"],
        "worker_id": ["ASSIGNMENT:worker_id"], "task_id": ["ASSIGNMENT:task_id"],
        "image": ["INPUT:file_name", "INPUT:image", "INPUT:image_url"],
        "text": ["OUTPUT:translation", "OUTPUT:caption", "OUTPUT:text"],
        "english": ["INPUT:english", "INPUT:caption_en"], "timestamp": ["ASSIGNMENT:submitted"],
        "status": ["ASSIGNMENT:status"], "start": ["ASSIGNMENT:started"], "end": ["ASSIGNMENT:submitted"],
        "pastes": ["OUTPUT:pastes"],
    },
    "appen": {
        "submission_id": ["_id"], "assignment_id": ["_id"], "worker_id": ["_worker_id"], "task_id": ["_unit_id"],
        "image": ["file_name", "image_url", "image"], "text": ["translation", "caption", "text"],
        "english": ["english", "caption_en"], "timestamp": ["_created_at"], "status": ["_tainted"],
        "start": ["_started_at"], "end": ["_created_at"], "pastes": ["pastes"],
    },
    "labelstudio": {  # applied to rows flattened from the JSON export, see _labelstudio_rows
        "submission_id": ["annotation_id"], "assignment_id": ["annotation_id"], "worker_id": ["completed_by"],
        "task_id": ["task_id"], "image": ["data.file_name", "data.image", "data.image_url"],
        "text": ["translation"], "english": ["data.english", "data.caption_en"],
        "work_time_s": ["lead_time"], "timestamp": ["created_at"], "status": ["was_cancelled"],
        "pastes": ["pastes"],
    },
    "csv": {
        "submission_id": ["submission_id", "id"], "assignment_id": ["assignment_id"],
        "worker_id": ["worker_id", "worker"], "task_id": ["task_id"], "image": ["image", "file_name"],
        "text": ["text", "translation", "caption"], "english": ["english"],
        "work_time_s": ["work_time_s", "work_time"], "timestamp": ["timestamp"], "status": ["status"],
        "pastes": ["pastes"],
    },
}

REGISTRY: dict[str, Platform] = {p.name: p for p in (
    Platform("mturk", _COLUMNS["mturk"], signature=("HITId", "AssignmentId", "WorkerId"), decisions=mturk_decisions),
    Platform("toloka", _COLUMNS["toloka"], delimiter="\t", signature=("INPUT:", "OUTPUT:", "ASSIGNMENT:"),
             decisions=toloka_decisions, decision_sep="\t",
             decision_keep=("ACCEPT:verdict",)),
    Platform("appen", _COLUMNS["appen"], signature=("_unit_id", "_worker_id", "_started_at")),
    Platform("labelstudio", _COLUMNS["labelstudio"], reader="labelstudio-json", delimiter=None),
    Platform("csv", _COLUMNS["csv"], decisions=generic_decisions),
)}
PLATFORMS = tuple(REGISTRY)
DECISION_FORMATS = tuple(name for name, p in REGISTRY.items() if p.decisions is not None)


def decision_writer(record: Platform) -> DecisionWriter:
    """The writer of ``record``'s decision file (records from ``get_platform(..., for_decisions=True)``
    always have one)."""
    if record.decisions is None:
        raise CrowdError(f"platform {record.name!r} takes no decision file")
    return record.decisions


def get_platform(name: str, *, for_decisions: bool = False) -> Platform:
    names = DECISION_FORMATS if for_decisions else PLATFORMS
    if name not in names:
        what = "decision format" if for_decisions else "platform"
        raise CrowdError(f"unknown {what} {name!r}; choose one of {', '.join(names)}")
    return REGISTRY[name]
