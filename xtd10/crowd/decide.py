"""Platform-ready approve/reject files built from per-submission decisions.

Every cell is neutralised against spreadsheet formula injection, because requesters open
these files in a spreadsheet before uploading them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from xtd10.crowd.errors import CrowdError
from xtd10.crowd.safety import write_csv

DECISION_FORMATS = ("mturk", "toloka", "csv")


def platform_decisions(decisions: pd.DataFrame, platform: str, raw: pd.Series | None = None) -> pd.DataFrame:
    """MTurk: batch-results layout with ``Approve`` ("x") / ``Reject`` (the reason);
    Toloka: review upload (``ACCEPT:verdict`` +/-, ``ACCEPT:comment``); csv: generic.

    ``raw``: the original export rows (JSON strings aligned with ``decisions``); for MTurk
    they are kept as columns, so the file is the batch results file with decisions added.
    """
    approve = decisions["decision"].eq("approve")
    if platform == "mturk" and raw is not None and raw.notna().all():
        original = pd.DataFrame([json.loads(r) for r in raw], index=decisions.index).fillna("")
        if {"HITId", "AssignmentId"} <= set(original.columns):
            original["Approve"] = approve.map({True: "x", False: ""})
            original["Reject"] = decisions["feedback"].where(~approve, "")
            return original
    if platform == "mturk":
        return pd.DataFrame({
            "HITId": decisions.get("task_id", ""), "AssignmentId": decisions.get("assignment_id", ""),
            "WorkerId": decisions["worker_id"], "Approve": approve.map({True: "x", False: ""}),
            "Reject": decisions["feedback"].where(~approve, ""),
        })
    if platform == "toloka":
        return pd.DataFrame({
            "ASSIGNMENT:assignment_id": decisions.get("assignment_id", decisions["submission_id"]),
            "ACCEPT:verdict": approve.map({True: "+", False: "-"}), "ACCEPT:comment": decisions["feedback"],
        })
    if platform == "csv":
        return decisions[["submission_id", "worker_id", "image", "decision", "rules", "feedback"]].copy()
    raise CrowdError(f"unknown decision format {platform!r}; choose one of {', '.join(DECISION_FORMATS)}")


def write_decisions(decisions: pd.DataFrame, workers: pd.DataFrame, platform: str,
                    output: str | os.PathLike, submissions: pd.DataFrame | None = None) -> dict[str, Path]:
    """The decision file, plus ``<stem>.block.csv`` listing workers recommended for a block.

    ``submissions`` (the canonical batch) supplies the original rows for the MTurk layout.
    """
    output = Path(output)
    sep_suffix = ".tsv" if platform == "toloka" else ".csv"
    raw = None
    if submissions is not None and "raw" in submissions:
        raw = decisions["submission_id"].map(dict(zip(submissions["submission_id"], submissions["raw"],
                                                      strict=True)))
    table = platform_decisions(decisions, platform, raw)
    if platform == "toloka":
        from xtd10.crowd.safety import neutralise_frame
        from xtd10.files import atomic_write_bytes

        atomic_write_bytes(output, neutralise_frame(table, keep=("ACCEPT:verdict",)).to_csv(index=False, sep="\t").encode("utf-8"))
    else:
        write_csv(table, output)
    block = workers.loc[workers["recommendation"] == "block", ["worker_id", "submissions", "reject_rate"]].copy()
    block["reason"] = "Most submissions were rejected by the validation rules."
    block_path = output.with_name(output.stem + ".block" + sep_suffix.replace(".tsv", ".csv"))
    write_csv(block, block_path)
    return {"decisions": output, "block": block_path}
