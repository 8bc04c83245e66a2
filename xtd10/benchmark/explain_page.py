"""The failure view's page: one static HTML file, offline, under a strict CSP.

Every string from a result file or a caption is HTML-escaped on the server side; the one
inline script only shows and hides rows and columns that are already there. The style and
the script are allowed by their sha256 hashes, so the policy needs no 'unsafe-inline' and
nothing else (no injected script, no remote resource) can run or load.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from xtd10.benchmark.explain import (
    Explained,
    caption_failures,
    disagreement,
    hardest,
    pair_difference,
    pair_tests,
    rank_summary,
    stored_column,
    upstream_line_url,
)
from xtd10.escaping import csp_hash
from xtd10.schema import CAPTION_QUERIES, DEFAULT_KS, MEDR, R1, recall_name

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.2rem auto;max-width:1600px;
padding:0 1rem;color:#1d1d1f}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:1.8rem;border-bottom:1px solid #ddd}
.lead{color:#555}.note{background:#fff4e5;border:1px solid #f0a040;padding:.4rem .8rem;border-radius:6px}
.controls{display:flex;gap:1rem;align-items:end;position:sticky;top:0;background:#fff;padding:.5rem 0;
border-bottom:1px solid #eee;z-index:2}
.controls label{display:flex;flex-direction:column;font-size:.75rem;color:#555}
table{border-collapse:collapse;font-size:.8rem}th,td{padding:.25rem .4rem;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}th{background:#f5f5f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}.cap{max-width:22rem;white-space:normal}.tr{color:#555;font-size:.75rem}
.ranks{font-size:.7rem;color:#555;white-space:nowrap}.ranks b{color:#b3261e}.hit{color:#17702c}.miss{color:#b3261e;font-weight:600}
.badge{font-size:.65rem;padding:.05rem .35rem;border-radius:4px;background:#fde7e9;color:#8a1c2b}
img.thumb{width:96px;height:auto;display:block}
.plots{display:grid;grid-template-columns:repeat(auto-fill,minmax(560px,1fr));gap:1rem}
figure{margin:0;border:1px solid #eee;border-radius:6px;padding:.5rem}figure img{max-width:100%;height:auto}
figcaption{font-size:.8rem;color:#555}
"""

SCRIPT = """
(function(){
  var lang=document.getElementById('filter-language'), misses=document.getElementById('filter-misses');
  function apply(){
    var want=lang.value;
    document.querySelectorAll('[data-scope]').forEach(function(el){
      var scope=el.getAttribute('data-scope');
      el.hidden = want==='' ? scope!=='overall' : (scope!=='language' || el.getAttribute('data-lang')!==want);
    });
    document.querySelectorAll('[data-col]').forEach(function(el){
      var c=el.getAttribute('data-col'); el.hidden = want!=='' && c!==want && c!=='en';
    });
    document.querySelectorAll('tr[data-row-lang]').forEach(function(el){
      el.hidden = want!=='' && el.getAttribute('data-row-lang')!==want;
    });
    document.querySelectorAll('tr[data-misses]').forEach(function(el){
      var m=(el.getAttribute('data-misses')||'').split(' ');
      var missed = want==='' ? m.length>0 && m[0]!=='' : m.indexOf(want)>=0;
      el.hidden = misses.checked && !missed;
    });
    var shown=document.querySelectorAll('#per-image tbody tr:not([hidden])').length;
    var counter=document.getElementById('count-images'); if(counter) counter.textContent=shown+' images shown';
  }
  lang.addEventListener('change',apply); misses.addEventListener('change',apply); apply();
})();
"""


def h(text: object) -> str:
    """Safe as HTML text and inside a quoted attribute."""
    return html.escape(str(text), quote=True)


CSP = (f"default-src 'none'; img-src 'self'; style-src {csp_hash(STYLE)}; script-src {csp_hash(SCRIPT)}; "
       "base-uri 'none'; form-action 'none'")


def percent(value: float | None) -> str:
    return "" if value is None else f"{100.0 * float(value):.1f}"


def render_page(ex: Explained, figures: Sequence = (), thumbs: dict[int, str] | None = None, *, top: int = 10,
                max_images: int | None = None) -> str:
    thumbs = thumbs or {}
    letters = {m.label: chr(ord("A") + i) for i, m in enumerate(ex.models)}
    names = ", ".join(f"{letters[m.label]} = {m.label}" for m in ex.models)
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>XTD10 failures: {h(', '.join(m.label for m in ex.models))}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Which captions fail, and why: {h(', '.join(m.label for m in ex.models))}</h1>",
        f'<p class="lead">Dataset <code>{h(ex.dataset)}</code> revision <code>{h(ex.revision)}</code>, '
        f"{ex.n_images} images, subset all. Models: {h(names)}. Ranks are 1-based (1 = the right item first); "
        "red ranks are misses at R@1. Generated by <code>xtd10 bench explain</code> from the result files' "
        'per-query ranks; the same tables are in the CSV files beside this page.</p>',
    ]
    parts.extend(f'<p class="note">{h(note)}</p>' for note in ex.notes)
    options = "".join(f'<option value="{h(c)}">{h(c)}</option>' for c in ex.languages)
    parts.append('<div class="controls"><label>language<select id="filter-language">'
                 f'<option value="">(all)</option>{options}</select></label>'
                 '<label>per image<span><input type="checkbox" id="filter-misses"> misses only</span></label>'
                 '<span id="count-images"></span></div>')
    parts.append(_summary(ex, letters))
    parts.append(_hardest(ex, letters, thumbs, top))
    parts.append(_disagreement(ex, letters, thumbs, top))
    if len(ex.models) == 2:
        parts.append(_pair(ex, letters, thumbs, top))
    if figures:
        parts.append('<h2 id="distributions">Rank distribution per language</h2><div class="plots">')
        for fig in figures:
            svg = f' (<a href="{h(fig.svg)}">SVG</a>)' if fig.svg else ""
            parts.append(f'<figure><img src="{h(fig.png)}" alt="{h(fig.title)}">'
                         f"<figcaption>{h(fig.title)}{svg}</figcaption></figure>")
        parts.append("</div>")
    if max_images != 0:
        parts.append(_per_image(ex, letters, thumbs, max_images))
    else:
        parts.append('<h2 id="images">Per image</h2><p>Every image\'s ranks are in '
                     '<a href="per_image.csv">per_image.csv</a>.</p>')
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


# -- pieces --------------------------------------------------------------------------------
def _rank_span(rank: int | None, label: str) -> str:
    if rank is None:
        return ""
    cls = "hit" if rank == 1 else "miss"
    return f'<span class="{cls}" data-rank="{int(rank)}">{h(label)} {int(rank)}</span>'


def _ranks(ex: Explained, letters: dict[str, str], image: int, language: str, lookup: dict, *,
           compact: bool = False) -> str:
    """Every model's rank of this image in this language, per direction. ``compact``: the
    bare numbers in the order the table header names (misses in bold), for the long table."""
    spans = []
    for model in ex.models:
        for direction in ex.directions:
            rank = lookup.get((model.label, direction, language, image))
            if rank is None:
                continue
            if compact:
                spans.append(f"<b>{int(rank)}</b>" if rank > 1 else str(int(rank)))
            else:
                prefix = f"{letters[model.label]}:{direction}" if len(ex.models) > 1 else direction
                spans.append(_rank_span(rank, prefix))
    if not spans:
        return ""
    return f'<div class="ranks">{"/".join(spans)}</div>' if compact else f'<div class="ranks">{" · ".join(spans)}</div>'


def _rank_order(ex: Explained, letters: dict[str, str]) -> str:
    return "/".join(f"{letters[m.label]}:{d}" if len(ex.models) > 1 else d for m in ex.models for d in ex.directions)


def _lookup(ex: Explained) -> dict:
    return ex.memo("lookup", lambda: _rank_lookup(ex))


def _rank_lookup(ex: Explained) -> dict:
    frame = ex.ranks
    return dict(zip(zip(frame["model"], frame["direction"], frame["language"], frame["image"], strict=True),
                    frame["rank"].astype(int), strict=True))


def _caption_cell(ex: Explained, image: int, language: str, *, link: bool = True) -> str:
    """The caption (escaped), an audit badge, and its upstream line (always when flagged)."""
    text = ex.caption(image, language)
    flagged = image in ex.flagged.get(language, set())
    safe = upstream_line_url(language, image) if link or flagged else None  # built from constants only
    flag = ' <span class="badge" title="flagged by the caption audit">flagged</span>' if flagged else ""
    shown = h(text) if text is not None else "<em>(caption not loaded)</em>"
    source = f' <a href="{h(safe)}" rel="noopener noreferrer" title="upstream line">line {image + 1}</a>' if safe else ""
    return f"{shown}{flag}{source}"


def _image_cell(ex: Explained, image: int, thumbs: dict[int, str]) -> str:
    name = ex.file_names[image] if ex.file_names and image < len(ex.file_names) else ""
    thumb = f'<img class="thumb" src="{h(thumbs[image])}" alt="image {image}">' if image in thumbs else ""
    return f'<td data-image="{image}">{thumb}#{image}<br><span class="tr">{h(name)}</span></td>'


def _translations(ex: Explained, image: int, language: str) -> str:
    if ex.captions is None:
        return ""
    items = [f'<li><b>{h(c)}</b> {h(ex.caption(image, c) or "")}</li>' for c in ex.languages if c != language]
    return f'<ul class="tr">{"".join(items)}</ul>'


def _summary(ex: Explained, letters: dict[str, str]) -> str:
    frame = rank_summary(ex)
    out = ['<h2 id="summary">Recall per language (from the result files)</h2><div class="scroll">'
           '<table id="summary-table"><thead><tr><th>model</th><th>direction</th><th>language</th>'
           + "".join(f"<th>{name}</th>" for name in (*map(recall_name, DEFAULT_KS), MEDR))
           + '<th>queries</th></tr></thead><tbody>']
    for row in frame.to_dict("records"):
        cells = []
        for name in map(recall_name, DEFAULT_KS):
            stored = row.get(stored_column(name))
            shown = stored if stored is not None and stored == stored else row[name]
            cells.append(f'<td class="num" data-metric="{name}" data-value="{shown!r}">{percent(shown)}</td>')
        out.append(f'<tr data-row-lang="{h(row["language"])}"><td>{h(letters[row["model"]])} {h(row["model"])}</td>'
                   f'<td>{h(row["direction"])}</td><td>{h(row["language"])}</td>{"".join(cells)}'
                   f'<td class="num">{row[MEDR]:g}</td><td class="num">{row["n_queries"]}</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def _hardest_rows(ex: Explained, letters, thumbs, frame, scope: str, lookup: dict) -> list[str]:
    rows = []
    for number, row in enumerate(frame.itertuples(index=False), start=1):
        image, language = int(row.image), str(row.language)
        missed = "missed by every model" if row.missed_by_all else f"best rank {int(row.best_rank)}"
        rows.append(
            f'<tr data-scope="{scope}" data-lang="{h(language)}"><td class="num">{number}</td>'
            f"{_image_cell(ex, image, thumbs)}<td>{h(language)}</td>"
            f'<td class="cap">{_caption_cell(ex, image, language)}{_ranks(ex, letters, image, language, lookup)}</td>'
            f'<td class="num" data-best="{int(row.best_rank)}">{int(row.best_rank)}</td>'
            f'<td class="num">{row.mean_rank:.1f}</td><td>{h(missed)}</td>'
            f'<td class="cap">{_translations(ex, image, language)}</td></tr>')
    return rows


def _hardest(ex: Explained, letters, thumbs, top: int) -> str:
    lookup = _lookup(ex)
    queries = ", ".join(d for d in CAPTION_QUERIES if d in ex.directions)
    out = [f'<h2 id="hardest">The {top} hardest captions</h2>',
           f"<p>Caption queries ({h(queries)}) ordered by the best rank any model gives them, then the mean. "
           "With a language chosen, its own hardest captions are listed.</p>",
           '<div class="scroll"><table id="hardest-table"><thead><tr><th>#</th><th>image</th><th>language</th>'
           "<th>caption and ranks</th><th>best rank</th><th>mean rank</th><th></th><th>translations</th></tr></thead>"
           "<tbody>"]
    out.extend(_hardest_rows(ex, letters, thumbs, hardest(ex, top), "overall", lookup))
    failures = caption_failures(ex)
    for language in ex.languages:
        mine = failures[failures["language"] == language].head(top)
        out.extend(_hardest_rows(ex, letters, thumbs, mine, "language", lookup))
    out.append("</tbody></table></div>")
    return "".join(out)


def _language_columns(ex: Explained) -> str:
    return "".join(f'<th data-col="{h(c)}">{h(c)}</th>' for c in ex.languages)


def _language_cells(ex: Explained, letters, image: int, lookup: dict, *, compact: bool = False) -> str:
    return "".join(f'<td class="cap" data-col="{h(c)}">{_caption_cell(ex, image, c, link=not compact)}'
                   f"{_ranks(ex, letters, image, c, lookup, compact=compact)}</td>" for c in ex.languages)


def _disagreement(ex: Explained, letters, thumbs, top: int) -> str:
    lookup = _lookup(ex)
    out = [f'<h2 id="disagreement">The {top} images on which languages disagree most</h2>',
           "<p>Per model and direction, the variance of the image's rank across languages (the per-image term "
           "of the consistency metric), averaged.</p>",
           '<div class="scroll"><table id="disagreement-table"><thead><tr><th>image</th><th>rank variance</th>'
           f"<th>best–worst</th>{_language_columns(ex)}</tr></thead><tbody>"]
    for row in disagreement(ex, top).itertuples(index=False):
        image = int(row.image)
        out.append(f"<tr>{_image_cell(ex, image, thumbs)}<td class=\"num\">{row.rank_variance:.1f}</td>"
                   f'<td class="num">{int(row.min)}–{int(row.max)}</td>{_language_cells(ex, letters, image, lookup)}'
                   "</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def _pair(ex: Explained, letters, thumbs, top: int) -> str:
    a, b = ex.models[0].label, ex.models[1].label
    tests = pair_tests(ex)
    out = [f'<h2 id="pair">{h(letters[a])} vs {h(letters[b])}: what one gets right that the other misses</h2>',
           f"<p>{R1} per direction and language with the paired permutation test of <code>xtd10 bench compare</code> "
           f"(2000 swaps, seed 0); the counts are queries that only {h(letters[a])} or only {h(letters[b])} "
           "ranks first.</p>",
           '<div class="scroll"><table id="pair-tests"><thead><tr><th>direction</th><th>language</th>'
           f"<th>{h(letters[a])} {R1}</th><th>{h(letters[b])} {R1}</th><th>B − A</th><th>p</th>"
           f"<th>only {h(letters[a])}</th><th>only {h(letters[b])}</th></tr></thead><tbody>"]
    for row in tests.itertuples(index=False):
        out.append(f'<tr data-row-lang="{h(row.language)}"><td>{h(row.direction)}</td><td>{h(row.language)}</td>'
                   f'<td class="num">{percent(row.a)}</td><td class="num">{percent(row.b)}</td>'
                   f'<td class="num">{100 * row.diff:+.1f}</td><td class="num">{row.p_value:.4f}</td>'
                   f'<td class="num">{row.a_only}</td><td class="num">{row.b_only}</td></tr>')
    out.append("</tbody></table></div>")
    lookup = _lookup(ex)
    diff = pair_difference(ex)
    diff = diff[diff["direction"].isin(list(CAPTION_QUERIES))]
    for winner in (a, b):
        loser = b if winner == a else a
        mine = diff[diff["winner"] == winner]
        out.append(f"<h3>Right for {h(letters[winner])}, missed by {h(letters[loser])}</h3>"
                   f'<div class="scroll"><table class="pair-list"><thead><tr><th>image</th><th>language</th>'
                   f"<th>caption and ranks</th><th>{h(letters[loser])} rank</th></tr></thead><tbody>")
        for scope, frame in [("overall", mine.head(top))] + [
                ("language", mine[mine["language"] == c].head(top)) for c in ex.languages]:
            for row in frame.itertuples(index=False):
                image, language = int(row.image), str(row.language)
                loser_rank = row.rank_b if winner == a else row.rank_a
                out.append(f'<tr data-scope="{scope}" data-lang="{h(language)}">{_image_cell(ex, image, thumbs)}'
                           f'<td>{h(language)}</td><td class="cap">{_caption_cell(ex, image, language)}'
                           f"{_ranks(ex, letters, image, language, lookup)}</td>"
                           f'<td class="num">{int(loser_rank)}</td></tr>')
        out.append("</tbody></table></div>")
    return "".join(out)


def _per_image(ex: Explained, letters, thumbs, max_images: int | None) -> str:
    lookup = _lookup(ex)
    misses: dict[int, set[str]] = {}
    for (_, _, language, image), rank in lookup.items():
        if rank > 1:
            misses.setdefault(image, set()).add(language)
    shown = range(ex.n_images) if max_images is None else range(min(ex.n_images, max_images))
    limit = "" if max_images is None or max_images >= ex.n_images else \
        f" (the first {max_images} of {ex.n_images}; per_image.csv has them all)"
    out = [f'<h2 id="images">Per image{h(limit)}</h2>',
           f"<p>Under each caption, the ranks in this order: {h(_rank_order(ex, letters))} (misses in bold).</p>",
           '<div class="scroll"><table id="per-image"><thead><tr><th>image</th>'
           f"{_language_columns(ex)}</tr></thead><tbody>"]
    for image in shown:
        missed = " ".join(sorted(misses.get(image, set())))
        out.append(f'<tr data-misses="{h(missed)}">{_image_cell(ex, image, thumbs)}'
                   f"{_language_cells(ex, letters, image, lookup, compact=True)}</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)
