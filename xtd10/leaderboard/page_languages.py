"""The page's section for a dataset with too many languages for a column each.

Per dataset: the means over groups of languages (as in README.md), then one long table
with a row per language, model and direction, its own search box and filters (script,
model, direction, trained), and the sorted per-language figures. The rows are rendered
here with every string escaped; the page's one script sorts and hides them, driven by
the controls' ``data-filter`` / ``data-tables`` attributes, so no new inline code (and no
new CSP hash) is needed.
"""

from __future__ import annotations

import re

from xtd10.escaping.markup import h, one_line
from xtd10.leaderboard.collect import Leaderboard
from xtd10.leaderboard.formatting import DATASET_LABELS, dataset_title, number
from xtd10.leaderboard.per_language import (
    OTHER_SCRIPTS,
    PER_MODEL_GROUPS,
    AggregateTable,
    LanguageScore,
    aggregate_tables,
    groups_for,
    language_scores,
    metrics_for,
)
from xtd10.leaderboard.plots import Plot
from xtd10.leaderboard.records import DIRECTION_LABELS
from xtd10.leaderboard.tables import rank_label
from xtd10.schema import SUBSET_ALL, dataset_descriptor

TRAINED_LABELS = {True: "yes", False: "no", None: "not declared"}


def figure(plot: Plot) -> str:
    return (f'<figure><a href="{h(plot.svg)}"><img src="{h(plot.png)}" alt="{h(plot.title)}" '
            f'loading="eager"></a><figcaption>{h(plot.title)} '
            f'(<a href="{h(plot.svg)}">SVG</a>)</figcaption></figure>')


def section_id(dataset: str, revision: str, used: set[str]) -> str:
    """``lang-xtd200``; another revision of the same dataset gets its revision appended."""
    base = "lang-" + (re.sub(r"[^a-z0-9]+", "-", dataset.lower()).strip("-") or "dataset")
    candidate = base if base not in used else f"{base}-{re.sub(r'[^a-z0-9]', '', revision.lower())[:12]}"
    n = 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    used.add(candidate)
    return candidate


def language_section(board: Leaderboard, dataset: str, revision: str, plots: list[Plot], used: set[str],
                     failure_links: dict[str, str] | None = None) -> str:
    """The section of one (dataset, revision); ``failure_links`` as for the main table."""
    scores = language_scores(board, dataset, revision)
    table_id = section_id(dataset, revision, used)
    descriptor = dataset_descriptor(dataset)
    label = DATASET_LABELS.get(dataset, dataset)
    other = "" if board.is_primary(dataset, revision) else ' <span class="badge other">other revision</span>'
    metrics = metrics_for(dataset)
    n_languages = len({s.language.tag for s in scores})
    parts = [
        f'<h2 id="{table_id}-heading">{h(dataset_title(dataset, revision))}: per language{other}</h2>',
        f"<p>{h(label)} has too many languages for a column each: below are the means over groups of languages, "
        f"then one row per language, model and direction ({n_languages} languages; "
        f"{h(descriptor.subset_label(SUBSET_ALL) if descriptor else SUBSET_ALL)}; "
        f"{h(', '.join(metrics))} in percent). "
        '<span class="badge untrained">not trained</span> marks a language the encoder was not trained on '
        "(as far as the encoder declares its languages).</p>",
        _aggregate_table(aggregate_tables(board, dataset, revision), f"{table_id}-means", failure_links or {}),
        _controls(scores, table_id),
        f'<p><span class="count" id="count-{table_id}"></span></p>',
        _long_table(scores, metrics, table_id),
    ]
    if plots:
        parts.append('<div class="plots">')
        parts.extend(figure(plot) for plot in plots)
        parts.append("</div>")
    return "\n".join(parts)


def _aggregate_table(tables: list[AggregateTable], table_id: str, failure_links: dict[str, str]) -> str:
    if not tables:
        return ""
    groups = list({g.key: g for t in tables for g in t.groups}.values())
    counts = {g.key: max(t.counts.get(g.key, 0) for t in tables) for g in groups}
    head = ["#", "model", "direction", "metric",
            *(g.label if g.key in PER_MODEL_GROUPS else f"{g.label} ({counts[g.key]})" for g in groups)]
    out = [f'<div class="scroll"><table class="agg" id="{h(table_id)}"><thead><tr>']
    out.extend(f'<th scope="col">{h(c)}</th>' for c in head)
    out.append("</tr></thead><tbody>")
    for table in tables:
        for row in table.rows:
            rank = rank_label(row.rank, row.tied) or "–"
            link = failure_links.get(row.entry.key)
            view = f' <a class="failures" href="{h(link)}">failures</a>' if link else ""
            out.append(f'<tr><td class="num">{rank}</td><td class="model">{h(row.entry.model)}{view}</td>'
                       f'<td title="{h(DIRECTION_LABELS.get(table.direction, table.direction))}">'
                       f"{h(table.direction)}</td><td>{h(table.metric)}</td>")
            for group in groups:
                mean = row.means.get(group.key)
                if mean is None:
                    out.append('<td class="num">–</td>')
                    continue
                text = h(number(table.metric, mean[0]))
                if group.key in PER_MODEL_GROUPS or mean[1] != counts[group.key]:
                    text += f' <span class="ci">{mean[1]} lang.</span>'
                out.append(f'<td class="num">{text}</td>')
            out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _controls(scores: list[LanguageScore], table_id: str) -> str:
    groups = groups_for(scores)
    scripts = sorted({s.language.script for s in scores if s.language.script})
    script_groups = {g.key for g in groups}
    models = list(dict.fromkeys((s.entry.spec, s.entry.model) for s in scores))
    directions = list(dict.fromkeys(s.direction for s in scores))

    def select(attr: str, name: str, options: list[tuple[str, str]]) -> str:
        body = "".join(f'<option value="{h(v)}">{h(text)}</option>' for v, text in options)
        return (f'<label>{h(name)}<select data-filter="{attr}" data-tables="{h(table_id)}" '
                f'id="{h(table_id)}-{attr}"><option value="">(any)</option>{body}</select></label>')

    counts = {script: len({s.language.tag for s in scores if s.language.script == script}) for script in scripts}
    script_options = [(script, f"{script} ({counts[script]})") for script in scripts]
    if OTHER_SCRIPTS in script_groups:
        own = {k.split(":", 1)[1] for k in script_groups if k.startswith("script:")}
        n_other = sum(n for script, n in counts.items() if script not in own)
        script_options.append((OTHER_SCRIPTS, f"other scripts ({n_other})"))
    return "".join([
        f'<div class="controls local" id="{h(table_id)}-controls">',
        f'<label>language contains<input type="search" data-filter="text" data-tables="{h(table_id)}" '
        f'id="{h(table_id)}-text" placeholder="e.g. swahili, ar, Deva"></label>',
        select("script", "script", script_options),
        select("model", "model", [(spec, _short(model)) for spec, model in models]),
        select("direction", "direction", [(d, f"{d}: {DIRECTION_LABELS.get(d, d)}") for d in directions]),
        select("trained", "encoder trained on it", [(v, v) for v in ("yes", "no", "not declared")]),
        "</div>",
    ])


def _short(text: str, limit: int = 40) -> str:
    flat = one_line(text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _long_table(scores: list[LanguageScore], metrics: tuple[str, ...], table_id: str) -> str:
    groups = groups_for(scores)
    script_group = {s.language.tag: next((g.key for g in groups if g.key.startswith("script:") and g.test(s)),
                                         OTHER_SCRIPTS) for s in scores}
    head = ["language", "name", "script", "model", "direction", *metrics, "encoder trained on it"]
    out = [f'<div class="scroll tall"><table class="sortable" id="{h(table_id)}"><thead><tr>']
    out.extend(f'<th scope="col">{h(c)}</th>' for c in head)
    out.append("</tr></thead><tbody>")
    for s in scores:
        lang = s.language
        # the page's filters match one of the |-separated values: the script, and "other" for pooled ones
        script_value = lang.script if script_group[lang.tag] != OTHER_SCRIPTS else f"{lang.script}|{OTHER_SCRIPTS}"
        trained = TRAINED_LABELS[s.trained]
        text = one_line(f"{lang.tag} {lang.name} {lang.script}")
        out.append(f'<tr data-text="{h(text)}" data-script="{h(script_value)}" data-model="{h(s.entry.spec)}" '
                   f'data-direction="{h(s.direction)}" data-trained="{h(trained)}">')
        out.append(f"<td><code>{h(lang.tag)}</code></td><td>{h(lang.name)}</td><td>{h(lang.script)}</td>"
                   f"<td>{h(s.entry.model)}</td>"
                   f"<td>{h(s.direction)}</td>")  # the direction filter's options spell it out
        for metric in metrics:
            value = s.values.get(metric)
            out.append(f'<td class="num" data-sort="{"" if value is None else repr(value)}">'
                       f"{h(number(metric, value))}</td>")
        mark = '<span class="badge untrained">not trained</span>' if s.trained is False else h(
            "yes" if s.trained else "–")
        out.append(f'<td data-sort="{h(trained)}">{mark}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)
