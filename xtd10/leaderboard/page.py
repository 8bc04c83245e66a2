"""Render ``leaderboards/index.html``: one static page, no network resources.

Rows are rendered on the server side with every string HTML-escaped; the inline script only
sorts and hides existing rows, so no input string is ever evaluated or inserted as markup.
A Content-Security-Policy forbids loading anything but the page's own relative images.
"""

from __future__ import annotations

from collections.abc import Iterable

from xtd10.escaping.csp import csp_hash
from xtd10.escaping.markup import h, one_line, safe_url
from xtd10.leaderboard.collect import Leaderboard
from xtd10.leaderboard.formatting import DATASET_LABELS, SUBSET_LABELS, TRACK_LABELS, column_label, number
from xtd10.leaderboard.page_languages import figure, language_section
from xtd10.leaderboard.per_language import wide_groups
from xtd10.leaderboard.plots import Plot
from xtd10.leaderboard.records import DIRECTION_LABELS, MEASURED, REPORTED, Score
from xtd10.leaderboard.tables import (
    Table,
    build_table,
    language_order,
    rank_label,
    shared_text_encoders,
    views,
)
from xtd10.schema import AVG, AVG_NON_EN, DEMO, SUBSET_ALL, TEXT_TRACK, XTD10

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.5rem auto;max-width:1500px;
padding:0 1rem;color:#1d1d1f;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
p.lead{color:#555;margin-top:.2rem}
.warn{background:#fff4e5;border:1px solid #f0a040;padding:.5rem 1rem;border-radius:6px}
.controls{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:1rem 0;position:sticky;top:0;
background:#fff;padding:.5rem 0;z-index:2;border-bottom:1px solid #eee}
.controls label{display:flex;flex-direction:column;font-size:.75rem;color:#555}
.controls input,.controls select{font-size:.9rem;padding:.2rem .3rem;max-width:15rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.8rem;white-space:nowrap}
th,td{padding:.25rem .35rem;border-bottom:1px solid #eee;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
th{position:relative;background:#f5f5f7;cursor:pointer;user-select:none}
th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
tbody tr:hover{background:#f0f6ff}
.ci{color:#777;font-size:.7rem;display:block}
td.model{white-space:normal;min-width:9rem;max-width:15rem}
code.sub,span.note{display:block;font-size:.7rem;color:#555}
th{white-space:normal}
.controls.local{position:static;border-bottom:0;margin:.5rem 0}
.tall{max-height:34rem;overflow-y:auto;border:1px solid #eee}
.tall thead th{position:sticky;top:0;z-index:1}
.badge.untrained{background:#eef0ff;color:#33408a}
table.agg td.num{min-width:3.2rem}
.badge{font-size:.65rem;padding:.05rem .35rem;border-radius:4px;background:#eee;color:#555}
.badge.reported{background:#fde7e9;color:#8a1c2b}.badge.other{background:#fff4e5;color:#8a5a00}
.badge.unverified{background:#fff4e5;color:#8a5a00}a.failures{font-size:.7rem}
td.notes{white-space:normal;min-width:12rem;max-width:22rem;color:#555;font-size:.75rem}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(520px,1fr));gap:1rem}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:.5rem}
figure img{max-width:100%;height:auto;display:block}
figcaption{font-size:.8rem;color:#555;margin-top:.3rem}
.count{font-size:.8rem;color:#555}
"""

SCRIPT = """
(function(){
  function key(cell){
    if(!cell) return {n:null,t:''};
    var v=cell.getAttribute('data-sort');
    if(v!==null){ if(v==='') return {n:null,t:''}; var f=parseFloat(v); if(!isNaN(f)) return {n:f,t:''}; }
    return {n:null,t:cell.textContent.trim().toLowerCase()};
  }
  function sortBy(table, idx, th){
    var body=table.tBodies[0], rows=Array.prototype.slice.call(body.rows);
    var asc=th.getAttribute('aria-sort')!=='ascending';
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('aria-sort');});
    th.setAttribute('aria-sort', asc?'ascending':'descending');
    rows.sort(function(a,b){
      var x=key(a.cells[idx]), y=key(b.cells[idx]);
      if(x.n===null && y.n===null){ if(x.t===y.t) return 0; if(x.t==='') return 1; if(y.t==='') return -1;
        return (x.t<y.t?-1:1)*(asc?1:-1); }
      if(x.n===null) return 1; if(y.n===null) return -1;
      return (x.n-y.n)*(asc?1:-1);
    });
    rows.forEach(function(r){body.appendChild(r);});
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,idx){
      th.addEventListener('click',function(){sortBy(table,idx,th);});
    });
  });
  var controls=document.querySelectorAll('[data-filter]');
  function apply(){
    document.querySelectorAll('table.sortable').forEach(function(table){
      var want={}, shown=0;
      controls.forEach(function(c){
        if((' '+c.getAttribute('data-tables')+' ').indexOf(' '+table.id+' ')<0) return;
        want[c.getAttribute('data-filter')]=c.value.trim().toLowerCase();
      });
      Array.prototype.forEach.call(table.tBodies[0].rows,function(r){
        var ok=true;
        for(var k in want){
          if(!want[k]) continue;
          var v=(r.getAttribute('data-'+k)||'').toLowerCase();
          if(k==='text'? v.indexOf(want[k])<0 : ('|'+v+'|').indexOf('|'+want[k]+'|')<0) {ok=false;break;}
        }
        r.hidden=!ok; if(ok) shown++;
      });
      var counter=document.getElementById('count-'+table.id);
      if(counter) counter.textContent=shown+' of '+table.tBodies[0].rows.length+' rows shown';
    });
  }
  controls.forEach(function(c){c.addEventListener('input',apply);c.addEventListener('change',apply);});
  apply();
})();
"""


CSP = (f"default-src 'none'; img-src 'self' data:; style-src {csp_hash(STYLE)}; script-src {csp_hash(SCRIPT)}; "
       "base-uri 'none'; form-action 'none'")


def render_html(board: Leaderboard, plots: Iterable[Plot] = (), failure_links: dict[str, str] | None = None) -> str:
    """The page; ``failure_links`` maps a measured entry's key to its failure view."""
    measured: list[Table] = []
    wide = wide_groups(board)
    plots = list(plots)
    for dataset, revision in board.groups():
        if (dataset, revision) in wide:
            continue
        for view in views(board, MEASURED, dataset, revision):
            table = build_table(board, view)
            if table is not None:
                measured.append(table)
    reported = [t for v in views(board, REPORTED) for t in [build_table(board, v)] if t is not None]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>XTD10 leaderboard</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>XTD10 leaderboard</h1>",
        '<p class="lead">Zero-shot cross-lingual image-text retrieval on XTD10 (1000 COCO images, 11 languages). '
        "Recall@k in percent; measured cells show the 95% bootstrap interval. Generated by "
        "<code>xtd10 leaderboard build</code>; also as <a href=\"README.md\">README.md</a> and "
        "<a href=\"leaderboard.csv\">leaderboard.csv</a>.</p>",
    ]
    if board.warnings:
        parts.append('<div class="warn" id="warnings"><strong>Warnings</strong><ul>')
        parts.extend(f"<li>{h(w)}</li>" for w in board.warnings)
        parts.append("</ul></div>")
    # one section: the sticky filter bar stays on screen while these tables do, and no further
    parts.append('<section id="main-tables">')
    parts.append(_controls(measured + reported))
    parts.append('<h2 id="measured-heading">Measured with this toolkit</h2>')
    parts.append('<p><span class="count" id="count-measured"></span></p>')
    parts.append(_measured_table(board, measured, failure_links or {}))
    parts.extend(_measured_notes(measured))
    parts.append('<h2 id="reported-heading">Reported elsewhere <span class="badge reported">reported</span></h2>')
    parts.append("<p>Published numbers, copied with their sources. Produced with other code and possibly "
                 "other copies of the data: they are listed for reference and not ranked with the measured "
                 'ones. <span class="count" id="count-reported"></span></p>')
    parts.append(_reported_table(reported))
    parts.append("</section>")
    used: set[str] = {"measured", "reported"}
    for dataset, revision in wide:
        parts.append(language_section(board, dataset, revision, [p for p in plots if p.group == (dataset, revision)],
                                      used, failure_links))
    plots = [p for p in plots if p.group is None]
    if plots:
        parts.append('<h2 id="plots">Plots</h2><div class="plots">')
        parts.extend(figure(plot) for plot in plots)
        parts.append("</div>")
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _options(values: list[str], labels: dict[str, str]) -> str:
    return "".join(f'<option value="{h(v)}">{h(labels.get(v, v))}</option>' for v in values)


def _controls(tables: list[Table]) -> str:
    def distinct(attr: str) -> list[str]:
        seen: list[str] = []
        for t in tables:
            value = getattr(t.view, attr)
            if value not in seen:
                seen.append(value)
        return seen

    selects = [
        ("dataset", "dataset", DATASET_LABELS),
        ("track", "track", TRACK_LABELS),
        ("direction", "direction", DIRECTION_LABELS),
        ("subset", "subset", {**SUBSET_LABELS, SUBSET_ALL: DEMO.subset_label(SUBSET_ALL)}),
        ("metric", "metric", {}),
    ]
    html_parts = ['<div class="controls" id="controls">',
                  '<label>model contains<input type="search" data-filter="text" data-tables="measured reported" '
                  'id="filter-text" placeholder="e.g. muse"></label>']
    for attr, name, labels in selects:
        # Open on XTD10 itself: demo-set rows (12 images) must not sit unmarked beside XTD10 rows.
        default = {"metric": XTD10.headline_metric, "subset": SUBSET_ALL, "dataset": XTD10.name}.get(attr, "")
        options = _options(distinct(attr), labels).replace(
            f'value="{h(default)}"', f'value="{h(default)}" selected') if default else _options(distinct(attr), labels)
        html_parts.append(f'<label>{name}<select data-filter="{attr}" data-tables="measured reported" '
                          f'id="filter-{attr}">'
                          f'<option value="">(any)</option>{options}</select></label>')
    html_parts.append("</div>")
    return "".join(html_parts)


def _row_attrs(table: Table, model: str, spec: str) -> str:
    v = table.view
    text = one_line(f"{model} {spec}")
    return (f'data-text="{h(text)}" data-dataset="{h(v.dataset)}" data-track="{h(v.track)}" '
            f'data-direction="{h(v.direction)}" data-subset="{h(v.subset)}" data-metric="{h(v.metric)}"')


def _cell(score: Score | None, with_interval: bool) -> str:
    if score is None:
        return '<td class="num" data-sort=""></td>'
    text = h(number(score.metric, score.value))
    if with_interval and score.ci_low is not None and score.ci_high is not None:
        text += (f' <span class="ci">{h(number(score.metric, score.ci_low))}–'
                 f'{h(number(score.metric, score.ci_high))}</span>')
    return f'<td class="num" data-sort="{score.value!r}">{text}</td>'


def _model_cell(model: str, has_ranks: bool, link: str | None, spec: str) -> str:
    """The model name, an ``unverified`` badge when its numbers cannot be recomputed, the
    link to its failure view, and the encoder spec below."""
    badge = "" if has_ranks else (' <span class="badge unverified" title="no per-query ranks: '
                                  'xtd10 leaderboard verify cannot recompute its numbers">unverified</span>')
    view = f' <a class="failures" href="{h(link)}">failures</a>' if link else ""
    return f'<td class="model">{h(model)}{badge}{view}<code class="sub">{h(spec)}</code></td>'


def _measured_notes(tables: list[Table]) -> list[str]:
    """Under the measured table: what ``=`` means, when a position is shared, and which
    entries are one text encoder under several names (same text-track numbers)."""
    notes = []
    if any(row.tied for t in tables for row in t.rows):
        notes.append("<code>=</code>: equal averages share a position.")
    for table in tables:  # entries of one table: the same dataset and revision
        if table.view.track != TEXT_TRACK:
            continue
        for side, specs in shared_text_encoders(row.entry for row in table.rows):
            named = " and ".join(f"<code>{h(s)}</code>" for s in specs)
            notes.append(f"{named} share a text encoder (<code>{h(side)}</code>): their text-track numbers "
                         f"on {h(DATASET_LABELS.get(table.view.dataset, table.view.dataset))} are one model's.")
    return [f'<p class="note">{note}</p>' for note in dict.fromkeys(notes)]


def _measured_table(board: Leaderboard, tables: list[Table], failure_links: dict[str, str]) -> str:
    languages = language_order({lang for t in tables for lang in t.languages})
    # the encoder spec sits under the model name and the revision under the dataset: two columns
    # fewer, so that XTD10's eleven languages fit a 1366-pixel screen
    head = ["#", "model", "dataset", "track", "direction", "subset", "metric", AVG, column_label(AVG_NON_EN), *languages]
    out = ['<div class="scroll"><table class="sortable" id="measured"><thead><tr>']
    out.extend(f'<th scope="col">{h(c)}</th>' for c in head)
    out.append("</tr></thead><tbody>")
    for table in tables:
        v = table.view
        other = "" if board.is_primary(v.dataset, v.revision) else ' <span class="badge other">other revision</span>'
        for row in table.rows:
            e = row.entry
            out.append(f"<tr {_row_attrs(table, e.model, e.spec)}>")
            if row.rank is None:
                out.append(f'<td class="num" data-sort="" title="scored on {row.n_languages} of '
                           f'{len(table.languages)} languages: not ranked">–</td>')
            elif row.tied:
                out.append(f'<td class="num" data-sort="{row.rank}" title="equal average: a shared position">'
                           f"{h(rank_label(row.rank, row.tied))}</td>")
            else:
                out.append(f'<td class="num" data-sort="{row.rank}">{row.rank}</td>')
            out.append(_model_cell(e.model, bool(e.details.get("per_query", True)), failure_links.get(e.key), e.spec))
            out.append(f"<td>{h(DATASET_LABELS.get(v.dataset, v.dataset))}"
                       f'<code class="sub" title="{h(v.revision)}">{h(v.revision[:12])}</code>{other}</td>')
            out.append(f"<td>{h(v.track)}</td><td>{h(v.direction)}</td><td>{h(v.subset)}</td><td>{h(v.metric)}</td>")
            out.append(_cell(row.cells.get(AVG), False) + _cell(row.cells.get(AVG_NON_EN), False))
            out.extend(_cell(row.cells.get(lang), True) for lang in languages)
            out.append("</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _reported_table(tables: list[Table]) -> str:
    languages = language_order({lang for t in tables for lang in t.languages})
    head = ["model", "track", "direction", "subset", "metric", "mean of given", "languages given",
            *languages, "source and notes"]  # one column: the table fits a 1366-pixel screen
    out = ['<div class="scroll"><table class="sortable" id="reported"><thead><tr>']
    out.extend(f'<th scope="col">{h(column_label(c))}</th>' for c in head)
    out.append("</tr></thead><tbody>")
    for table in tables:
        v = table.view
        for row in table.rows:
            e = row.entry
            link = safe_url(e.url) if e.url else None
            source = f'<a href="{h(link)}" rel="noopener noreferrer">{h(e.citation)}</a>' if link else h(e.citation)
            out.append(f"<tr {_row_attrs(table, e.model, '')}>")
            out.append(f'<td class="model">{h(e.model)} <span class="badge reported">reported</span></td>')
            out.append(f"<td>{h(v.track)}</td><td>{h(v.direction)}</td><td>{h(v.subset)}</td><td>{h(v.metric)}</td>")
            mean = "" if row.avg is None else repr(row.avg)
            out.append(f'<td class="num" data-sort="{mean}">{h(number(v.metric, row.avg))}</td>')
            out.append(f'<td class="num" data-sort="{row.n_languages}">{row.n_languages}</td>')
            out.extend(_cell(row.cells.get(lang), False) for lang in languages)
            note = f'<span class="note">{h(e.notes)}</span>' if e.notes else ""
            out.append(f'<td class="notes">{source}{note}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)
