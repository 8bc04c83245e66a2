"""The validation report: HTML (every crowd string escaped), Markdown summary, CSV of flags."""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from xtd10.crowd.safety import write_csv
from xtd10.crowd.validate import Validation
from xtd10.files import atomic_write_text

NO_VALUE = "–"  # shown for a missing number (an agreement without a second worker)


def rule_table(v: Validation) -> pd.DataFrame:
    n = max(len(v.submissions), 1)
    counts = v.flags.groupby("rule")["submission_id"].nunique() if not v.flags.empty else pd.Series(dtype=int)
    return pd.DataFrame([{"rule": r.id, "severity": r.severity, "flagged": int(counts.get(r.id, 0)),
                          "rate": round(int(counts.get(r.id, 0)) / n, 4), "explanation": r.explanation}
                         for r in v.rules])


def markdown_summary(v: Validation) -> str:
    d = v.decisions["decision"].value_counts()
    lines = [
        "# Crowd batch validation", "",
        f"- submissions: {len(v.submissions)}", f"- workers: {v.submissions['worker_id'].nunique()}",
        f"- approve: {int(d.get('approve', 0))}, reject: {int(d.get('reject', 0))}",
        *(f"- {line}" for line in semantic_lines(v)), "",
        "| rule | severity | flagged | rate |", "|---|---|---|---|",
    ]
    lines += [f"| {r.rule} | {r.severity} | {r.flagged} | {r.rate:.1%} |" for r in rule_table(v).itertuples()]
    lines += ["", "| worker | submissions | reject rate | agreement | recommendation |", "|---|---|---|---|---|"]
    for w in v.workers.head(50).itertuples():
        agreement = NO_VALUE if pd.isna(w.agreement) else f"{w.agreement:.2f}"
        worker = str(w.worker_id).replace("|", "\\|").replace("`", "'")
        lines.append(f"| `{worker}` | {w.submissions} | {w.reject_rate:.1%} | {agreement} | {w.recommendation} |")
    if note := agreement_note(v.workers):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def semantic_lines(v: Validation) -> list[str]:
    """Which encoder scored each language for the semantic and refusal rules, or why a
    language was skipped: a reader must know a missing flag can mean "not checked"."""
    lines = []
    for code, entry in (getattr(v, "semantic", None) or {}).items():
        used = f"{code}: {entry['encoder']}" if entry.get("encoder") else f"{code}: not checked"
        lines.append(f"semantic encoder {used}" + (f" ({entry['note']})" if entry.get("note") else ""))
    return lines


def agreement_note(workers: pd.DataFrame) -> str:
    """Why agreement cells show a dash: agreement needs a second worker on the same image."""
    missing = workers["agreement"].isna()
    if workers.empty or not missing.any():
        return ""
    if missing.all():
        return "Agreement: n/a (one worker per image in this batch, so there are no texts to compare)."
    return f"Agreement {NO_VALUE}: no other worker translated that worker's images."


def _cell(value: object) -> str:
    """Text of one HTML table cell; missing numbers are a dash, not "nan"."""
    if value is None or (isinstance(value, float) and value != value):
        return NO_VALUE
    return str(value)


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(x))}</td>" for x in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(v: Validation, max_flags: int = 5000) -> str:
    flags = v.flags.head(max_flags)
    more = f"<p>{len(v.flags) - max_flags} more flags in flags.csv</p>" if len(v.flags) > max_flags else ""
    note = agreement_note(v.workers)
    note = f"<p>{html.escape(note)}</p>" if note else ""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<title>Crowd batch validation</title><style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px}</style></head><body>"
        f"<h1>Crowd batch validation</h1><p>{len(v.submissions)} submissions, "
        f"{v.submissions['worker_id'].nunique()} workers</p>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in semantic_lines(v)) +
        f"<h2>Rules</h2>{_table(rule_table(v))}<h2>Workers</h2>{_table(v.workers)}{note}"
        f"<h2>Flags</h2>{_table(flags)}{more}</body></html>"
    )


def write_report(v: Validation, directory: str | os.PathLike) -> dict[str, Path]:
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"html": out / "report.html", "markdown": out / "summary.md", "flags": out / "flags.csv",
             "workers": out / "workers.csv", "decisions": out / "decisions.csv"}
    atomic_write_text(paths["html"], html_report(v))
    atomic_write_text(paths["markdown"], markdown_summary(v))
    write_csv(v.flags, paths["flags"])
    write_csv(v.workers, paths["workers"])
    write_csv(v.decisions, paths["decisions"])
    return paths
