"""The validation report: what to do about a batch, not a dump of it.

``report.html`` and ``summary.md`` show the same numbers: the three decisions with their
shares, the rules grouped by outcome (reject, then review), and the workers sorted by
risk, riskiest first, with why. Submissions awaiting review link to their entry on the
review page (``review.html#<submission_id>``). Every crowd-supplied string is escaped for
where it lands (HTML, a Markdown table cell), and invisible characters (NUL, bidi
overrides, zero-width) are shown as ``<U+202E>`` markers instead of reordering the page.
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import pandas as pd

from xtd10.crowd.csv_files import write_csv
from xtd10.crowd.rules import CONTROL, REJECT, REVIEW
from xtd10.crowd.validate import DECISIONS, ESCALATION_RULES, Validation
from xtd10.files import atomic_write_text

NO_VALUE = "–"  # shown for a missing number (an agreement without a second worker)
REVIEW_PAGE = "review.html"
MAX_TEXT = 200  # characters of a caption shown in a table cell


def visible(value: object, limit: int | None = MAX_TEXT) -> str:
    """``value`` as text with control, bidi and zero-width characters made visible, and
    cut to ``limit`` characters: safe to show, never able to reorder what follows it."""
    text = "" if value is None else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    text = text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    return CONTROL.sub(lambda m: f"<U+{ord(m.group()):04X}>", text)


def md(value: object, limit: int | None = MAX_TEXT) -> str:
    """Text for one Markdown table cell: Markdown syntax and HTML are escaped, so a cell
    can neither end the cell (``|``), start a new row, nor inject a tag or a link."""
    out = visible(value, limit).replace("\\", "\\\\")
    for ch in "|`*_[]<>#!~":
        out = out.replace(ch, "\\" + ch)
    return out.replace("&", "&amp;")


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else NO_VALUE


def decision_counts(v: Validation) -> pd.DataFrame:
    counts = v.decisions["decision"].value_counts()
    n = len(v.decisions)
    return pd.DataFrame([{"decision": d, "submissions": int(counts.get(d, 0)),
                          "share": percent(int(counts.get(d, 0)), n)} for d in DECISIONS])


def rule_table(v: Validation) -> pd.DataFrame:
    """One row per rule run (and worker escalation that happened): its outcome in this
    batch, how many submissions it flagged and their share. Reject rules first."""
    n = len(v.submissions)
    flags = v.flags
    counts = flags.groupby("rule")["submission_id"].nunique() if not flags.empty else pd.Series(dtype=int)
    outcome = (flags.groupby("rule")["outcome"].agg(lambda o: "/".join(sorted(set(o))))
               if not flags.empty and "outcome" in flags else pd.Series(dtype=str))
    rows = [{"rule": r.id, "outcome": outcome.get(r.id, r.severity), "flagged": int(counts.get(r.id, 0)),
             "share": percent(int(counts.get(r.id, 0)), n), "explanation": r.explanation} for r in v.rules]
    listed = v.decisions["rules"].fillna("").str.split(",")
    for rule, text in ESCALATION_RULES.items():  # worker escalation, as recorded in the decisions
        escalated = int(listed.map(lambda ids, r=rule: r in ids).sum())
        if escalated:
            rows.append({"rule": rule, "outcome": REVIEW, "flagged": escalated, "share": percent(escalated, n),
                         "explanation": text})
    table = pd.DataFrame(rows, columns=["rule", "outcome", "flagged", "share", "explanation"])
    order = {REJECT: 0, REVIEW: 1}
    return table.sort_values(["outcome", "flagged"], key=lambda c: c.map(order).fillna(2) if c.name == "outcome"
                             else -c, kind="stable", ignore_index=True)


def worker_table(v: Validation, limit: int | None = None) -> pd.DataFrame:
    """The workers, riskiest first (``Validation.workers`` order), as display strings."""
    w = v.workers if limit is None else v.workers.head(limit)
    return pd.DataFrame({
        "worker": w["worker_id"].astype(str),
        "submissions": w["submissions"].astype(int),
        "rejected": [percent(r, n) for r, n in zip(w["rejected"], w["submissions"], strict=True)],
        "flagged": [percent(f, n) for f, n in zip(w.get("flagged", w["rejected"]), w["submissions"], strict=True)],
        "reused": w.get("reused_text_images", pd.Series(0, index=w.index)).map(
            lambda k: f"{k} images" if k > 1 else "no"),
        "agreement": w["agreement"].map(lambda a: NO_VALUE if pd.isna(a) else f"{a:.2f}"),
        "recommendation": w["recommendation"],
        "why": w.get("escalation", pd.Series("", index=w.index)).fillna(""),
    })


def review_queue(v: Validation) -> pd.DataFrame:
    rows = v.decisions[v.decisions["decision"] == "review"]
    return rows[["submission_id", "worker_id", "image", "text", "rules"]]


def markdown_summary(v: Validation, max_workers: int = 50, max_review: int = 50) -> str:
    n, workers = len(v.submissions), v.submissions["worker_id"].nunique()
    lines = ["# Crowd batch validation", "",
             f"{n} submissions from {workers} workers.", *(f"- {line}" for line in semantic_lines(v)), "",
             "| decision | submissions | share |", "|---|---|---|"]
    lines += [f"| {r.decision} | {r.submissions} | {r.share} |" for r in decision_counts(v).itertuples()]
    rules = rule_table(v)
    for outcome, title in ((REJECT, "Rules that reject"), (REVIEW, "Rules that send to review")):
        part = rules[rules["outcome"].str.contains(outcome)]
        lines += ["", f"## {title}", "", "| rule | flagged | share | what it means |", "|---|---|---|---|"]
        lines += [f"| {r.rule} | {r.flagged} | {r.share} | {md(r.explanation, None)} |" for r in part.itertuples()]
    table = worker_table(v, max_workers)
    lines += ["", "## Workers, riskiest first", "",
              "| worker | submissions | rejected | agreement | flagged | reused text | recommendation | why |",
              "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {md(w.worker, 80)} | {w.submissions} | {w.rejected} | {w.agreement} | {w.flagged} | "
              f"{w.reused} | {w.recommendation} | {w.why} |" for w in table.itertuples()]
    if len(v.workers) > max_workers:
        lines.append(f"\n{len(v.workers) - max_workers} more workers in workers.csv.")
    if note := agreement_note(v.workers):
        lines += ["", note]
    queue = review_queue(v)
    if not queue.empty:
        lines += ["", f"## Review queue ({len(queue)})", "", "| submission | worker | text | rules |",
                  "|---|---|---|---|"]
        lines += [f"| [{md(q.submission_id, 80)}]({REVIEW_PAGE}#{_anchor(q.submission_id)}) | "
                  f"{md(q.worker_id, 80)} | {md(q.text)} | {q.rules} |" for q in queue.head(max_review).itertuples()]
        if len(queue) > max_review:
            lines.append(f"\n{len(queue) - max_review} more in decisions.csv.")
    return "\n".join(lines) + "\n"


def semantic_lines(v: Validation) -> list[str]:
    """Which encoder scored each language for the semantic and refusal rules, or why a
    language was skipped: a reader must know a missing flag can mean "not checked"."""
    lines = []
    for code, entry in (getattr(v, "semantic", None) or {}).items():
        used = f"{code}: {entry['encoder']}" if entry.get("encoder") else f"{code}: not checked"
        lines.append(f"semantic encoder {used}" + (f" ({entry['note']})" if entry.get("note") else ""))
    return lines


def _anchor(submission_id: object) -> str:
    """The review page's anchor for a submission, URL-escaped (ids come from the platform)."""
    from urllib.parse import quote

    return quote(str(submission_id), safe="")


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
    return html.escape(visible(value))


def _table(frame: pd.DataFrame, link: str | None = None) -> str:
    """An HTML table; ``link`` names a column whose cells link to the review page."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row, strict=True):
            text = _cell(value)
            if column == link:
                text = f"<a href='{REVIEW_PAGE}#{html.escape(_anchor(value), quote=True)}'>{text}</a>"
            cells.append(f"<td>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def html_report(v: Validation, max_flags: int = 5000, max_review: int = 2000) -> str:
    flags = v.flags.head(max_flags).assign(text=lambda f: f["text"].map(visible))
    more = f"<p>{len(v.flags) - max_flags} more flags in flags.csv</p>" if len(v.flags) > max_flags else ""
    note = agreement_note(v.workers)
    note = f"<p>{html.escape(note)}</p>" if note else ""
    rules = rule_table(v)
    sections = "".join(
        f"<h3>{title}</h3>{_table(rules[rules['outcome'].str.contains(outcome)])}"
        for outcome, title in ((REJECT, "Rules that reject"), (REVIEW, "Rules that send to review")))
    queue = review_queue(v)
    more_review = f"<p>{len(queue) - max_review} more in decisions.csv</p>" if len(queue) > max_review else ""
    n = len(v.submissions)
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<title>Crowd batch validation</title><style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;unicode-bidi:isolate}</style></head><body>"
        f"<h1>Crowd batch validation</h1><p>{n} submissions, {v.submissions['worker_id'].nunique()} workers</p>"
        + "".join(f"<p>{html.escape(line)}</p>" for line in semantic_lines(v)) +
        f"{_table(decision_counts(v))}<h2>Rules</h2>{sections}"
        f"<h2>Workers, riskiest first</h2>{_table(worker_table(v))}{note}"
        f"<h2>Review queue ({len(queue)})</h2>{_table(queue.head(max_review), link='submission_id')}{more_review}"
        f"<h2>Flags</h2>{_table(flags, link='submission_id')}{more}</body></html>"
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
