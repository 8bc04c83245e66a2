"""What a dataset audit publishes: flagged-caption lists, per-language flag rates, a summary page.

None of these hold caption text (the captions are not ours to redistribute, and a published
table must not carry hostile text): only language codes, names, counts, rates and image
indices.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from xtd10.crowd.dataset_audit import DatasetAudit, rejected_rows
from xtd10.crowd.errors import CrowdError
from xtd10.data.flagged import RuleFlags, flagged_list_path, packaged_audit_path, write_flagged_languages
from xtd10.data.loading import source_revision
from xtd10.data.sources import Source
from xtd10.escaping.csv_cells import csv_text
from xtd10.files import atomic_write_text
from xtd10.languages import table_row

WORST = 20
AUDIT_METHOD = """\
Every caption of each language is judged by the toolkit's crowd rules as if a worker had
submitted it as the translation of the English caption of the same image (the set's English
file). `xtd10 crowd audit --dataset xtd200 --languages all --semantic [--encoder NAME] --table ...
--publish` made these numbers from the pinned release; the flagged image indices are packaged with the
toolkit, so `xtd10.load(dataset="xtd200", exclude_flagged=True)` drops the captions a reject
rule flagged (English, the reference, is never dropped).

- Settings per language come from the language table: its script (wrong_script: at least 70%
  of the letters in it), its language-identifier label (wrong_language: py3langid, 12+
  characters, probability 0.5+; close relatives the identifier confuses are accepted, see
  `xtd10/crowd/flores_overrides.yaml`), and characters instead of words for scripts without
  spaces. The crowd tools' own settings files apply where a language has one.
- untranslated: identical or nearly identical to the English caption, or identified as English
  (probability 0.9+); judged for every language but English.
- length_ratio (review): length relative to the English caption outside 0.3-2.5 times the
  language's median ratio (absolute bounds where a settings file gives them).
- gibberish: repeated characters or a unit of 2-8 characters four times in a row (the
  degenerate loops of a translation model), keyboard runs, very few distinct characters.
- refusal / placeholder: refusal phrases of the language's list, or (with an encoder) close to
  a refusal phrase cross-lingually; empty: nothing but spaces; too_short, markup, url, ... as in
  crowd validation.
- semantic (review): cosine to the English caption under the calibrated threshold of an encoder
  trained on the language (the table's `trained` column: mUSE, else multilingual-e5-small;
  `--encoder` names one). The languages it did not judge in the run behind these tables are
  listed below, as for every rule; the table's `semantic_encoder` column says which encoder
  judged each language.

Rates are shares of a language's 1000 captions; a rule that could not judge a language shows
an empty rate in the table and is listed below.
"""


def flag_lists(audit: DatasetAudit) -> dict[str, RuleFlags]:
    """``{language: {rule: (outcome, image indices)}}`` for every audited language (an empty
    mapping where nothing fired, so the loader knows the language was audited)."""
    lists: dict[str, RuleFlags] = {code: {} for code in audit.languages}
    for (code, rule), group in audit.flags.groupby(["language", "rule"], sort=True):
        lists[str(code)][str(rule)] = (str(group["outcome"].iloc[0]), frozenset(int(i) for i in group["index"]))
    return lists


def record(audit: DatasetAudit, src: Source) -> list[Path]:
    """Write the flags where ``xtd10.load(..., exclude_flagged=True)`` looks for this source's
    files: the cache's list for each language's revision (the language's file and English)."""
    by_revision: dict[str, dict[str, RuleFlags]] = {}
    for code, flags in flag_lists(audit).items():
        by_revision.setdefault(source_revision(src, [code]), {})[code] = flags
    return [write_flagged_languages(flagged_list_path(rev, audit.dataset.key), rev, lists) for rev, lists in sorted(by_revision.items())]


def check_publishable(audit: DatasetAudit) -> None:
    """Refuse (before anything is written) to publish an audit of files other than the pinned release."""
    release = audit.dataset.release
    if release is None or audit.revision != release.commit:
        raise CrowdError(f"the audited files are not the pinned {audit.dataset.title} release (revision "
                         f"{audit.revision}); only an audit of the pinned files can be published")


def publish_flagged(audit: DatasetAudit, path: str | os.PathLike | None = None) -> Path:
    """The toolkit's own list for the pinned release (``xtd10/descriptors/audits/<key>.flagged.json``).
    Only an audit of the pinned files may be published: the loader applies it to them."""
    check_publishable(audit)
    target = Path(path) if path is not None else packaged_audit_path(audit.dataset.key)
    return write_flagged_languages(target, audit.revision, flag_lists(audit), keep_others=False)


def rates_table(audit: DatasetAudit) -> pd.DataFrame:
    """One row per language: rows, captions rejected, share rejected, share flagged by each
    rule, the encoder of the semantic rule and the rules that could not judge the language."""
    counts = audit.flags.groupby(["language", "rule"])["index"].nunique().unstack(fill_value=0)
    rejected = rejected_rows(audit)
    rows = []
    for code, entry in audit.languages.items():
        row = table_row(code)
        out = {"tag": code, "flores": row.flores if row else "", "name": row.name if row else code,
               "script": row.script if row else "", "rows": entry.rows,
               "flagged": int(rejected.get(code, 0)),
               "flagged_rate": round(int(rejected.get(code, 0)) / entry.rows, 4) if entry.rows else 0.0}
        for rule in audit.rules:
            n = int(counts.at[code, rule]) if code in counts.index and rule in counts.columns else 0
            out[f"rate_{rule}"] = "" if rule in entry.not_judged else round(n / entry.rows, 4) if entry.rows else 0.0
        out["semantic_encoder"] = entry.encoder
        out["not_judged"] = " ".join(entry.not_judged)
        rows.append(out)
    return pd.DataFrame(rows)


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> Path:
    return atomic_write_text(path, csv_text(table, keep=("tag", "flores", "script")))


def read_table(path: str | os.PathLike) -> pd.DataFrame:
    try:
        return pd.read_csv(path, keep_default_na=False, dtype={"not_judged": str, "semantic_encoder": str})
    except (OSError, ValueError) as err:
        raise CrowdError(f"{path}: not an audit table written by 'xtd10 crowd audit --table' ({err})") from None


def _rule_columns(table: pd.DataFrame) -> list[str]:
    return [c[len("rate_"):] for c in table.columns if c.startswith("rate_")]


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def summary_markdown(tables: dict[str, pd.DataFrame], *, title: str, method: str) -> str:
    """The page: method, per-rule totals, the worst languages and who each rule could not judge, per set."""
    lines = [f"# {title}", "", method.strip(), ""]
    for name, table in tables.items():
        rows = int(table["rows"].sum())
        rejected = int(table["flagged"].sum())
        lines += [f"## {name}", "",
                  f"{len(table)} languages, {rows:,} captions; {rejected:,} ({_percent(rejected / rows)}) flagged by a "
                  "reject rule (dropped by `exclude_flagged=True`).", "",
                  "### Flags per rule", "", "| rule | captions flagged | share of judged captions | languages judged |",
                  "|---|---:|---:|---:|"]
        for rule in _rule_columns(table):
            rates = pd.to_numeric(table[f"rate_{rule}"], errors="coerce")
            judged = rates.notna()
            flagged = round(float((rates[judged] * table.loc[judged, "rows"]).sum()))
            share = flagged / int(table.loc[judged, "rows"].sum()) if judged.any() else 0.0
            lines.append(f"| {rule} | {flagged:,} | {_percent(share)} | {int(judged.sum())} |")
        worst = table.sort_values(["flagged_rate", "tag"], ascending=[False, True]).head(WORST)
        lines += ["", f"### The {WORST} languages with the most rejected captions", "",
                  "| language | tag | script | rejected | main reasons |", "|---|---|---|---:|---|"]
        for _, r in worst.iterrows():
            rates = {rule: pd.to_numeric(r[f"rate_{rule}"], errors="coerce") for rule in _rule_columns(table)}
            top = sorted(((v, k) for k, v in rates.items() if pd.notna(v) and v > 0), reverse=True)[:3]
            reasons = ", ".join(f"{k} {_percent(v)}" for v, k in top)
            lines.append(f"| {r['name']} | {r['tag']} | {r['script']} | {_percent(float(r['flagged_rate']))} | {reasons} |")
        lines += ["", "### Languages each rule could not judge", ""]
        for rule in _rule_columns(table):
            missing = table[table["not_judged"].str.split().map(lambda rs, rule=rule: rule in rs)]["tag"].tolist()
            if missing:
                lines.append(f"- **{rule}** ({len(missing)}): {', '.join(missing)}")
        lines.append("")
    return "\n".join(lines)
