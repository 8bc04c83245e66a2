"""The review page: one self-contained HTML file for deciding, by keyboard, the
submissions the rules sent to review.

The page is opened from disk and shows text written by anonymous workers, so it is built
to be inert: every string is HTML-escaped, characters that hide or reorder text (NUL and
other controls, bidi overrides, zero-width and unusual spaces) are shown as visible
``U+XXXX`` marks, and a Content-Security-Policy allows only the page's own script and
style (by sha256 hash, no ``'unsafe-inline'``), images from the one place ``--images``
names, and nothing else: no fetches, no forms, no external resources.
"""

from __future__ import annotations

import html
import os
import re
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from xtd10.crowd.reviews import batch_identity, review_queue
from xtd10.crowd.validate import Validation
from xtd10.escaping.csp import csp_hash
from xtd10.escaping.markup import h
from xtd10.schema import SUBSET_TRAIN2014, SUBSET_VAL2014

MAX_OTHERS = 20  # other workers' texts shown per image
_BLOCK = re.compile(r"<(script|style)>(.*?)</\1>", re.S)
_FIELD = re.compile(r"\{\{(\w+)\}\}")


def _hidden(char: str) -> bool:
    """Whether ``char`` is invisible, a control, or reorders text, so it must be shown as a mark."""
    category = unicodedata.category(char)
    return category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp") or (category == "Zs" and char != " ")


def visible(text: object) -> str:
    """``text`` as HTML: escaped, with every hidden character replaced by a visible mark."""
    out = []
    for char in str(text):
        if _hidden(char):
            code = f"U+{ord(char):04X}"
            name = unicodedata.name(char, "control character")
            out.append(f'<span class="cc" title="{html.escape(name)}">{code}</span>')
        else:
            out.append(html.escape(char, quote=True))
    return "".join(out)


class ImageSource:
    """Where the page takes images from: a local folder (flat or COCO layout), a base URL, or nowhere."""

    def __init__(self, images: str | os.PathLike | None):
        self.base = str(images) if images is not None else None
        self.is_url = self.base is not None and urlsplit(self.base).scheme in ("http", "https")
        if self.base is not None and not self.is_url and not Path(self.base).is_dir():
            from xtd10.crowd.errors import CrowdError

            raise CrowdError(f"--images {self.base}: not a folder or an http(s) URL")

    def csp(self) -> str:
        if self.base is None:
            return "'none'"
        if self.is_url:
            parts = urlsplit(self.base)
            return f"{parts.scheme}://{parts.netloc}"
        return "file:"

    def src(self, name: str) -> str | None:
        """The image URL for the XTD10 file ``name``, or None where the folder lacks it."""
        name = Path(str(name)).name
        if self.base is None:
            return None
        if self.is_url:
            return self.base.rstrip("/") + "/" + quote(name)
        folder = Path(self.base)
        split = SUBSET_VAL2014 if f"_{SUBSET_VAL2014}_" in name else SUBSET_TRAIN2014
        for candidate in (folder / name, folder / split / name):
            if candidate.is_file():
                return candidate.resolve().as_uri()
        return None


def _require_some_images(source: ImageSource, names) -> None:
    """A local folder that holds none of the batch's images is a wrong folder (an empty one,
    one level off): say so rather than render a page of "image not found"."""
    if source.base is None or source.is_url or len(names) == 0:
        return
    if not any(source.src(name) for name in names):
        from xtd10.crowd.errors import CrowdError

        raise CrowdError(f"--images {source.base}: none of the batch's {len(names)} images is in this folder "
                         f"(looked for e.g. {Path(str(names[0])).name}, flat or in train2014/ and val2014/)")


def _figure(image: str, images: ImageSource) -> str:
    src = images.src(image)
    if src is None:
        why = "image not found in --images" if images.base is not None else "pass --images to show the image"
        return f'<figure class="image"><figcaption>{h(image)} ({why})</figcaption></figure>'
    return (f'<figure class="image"><img loading="lazy" decoding="async" src="{h(src)}" alt="{h(image)}">'
            f"<figcaption>{h(image)}</figcaption></figure>")


def _number(value: Any, percent: bool = False) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if percent:
        return f"{float(value):.0%}"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _record(worker: str, workers: pd.DataFrame, queued: int) -> str:
    rows = workers[workers["worker_id"].astype(str) == worker]
    if rows.empty:
        return "<p>no record</p>"
    w = rows.iloc[0]
    fields = [("submissions", _number(w.get("submissions"))), ("rejected by rules", _number(w.get("rejected"))),
              ("reject rate", _number(w.get("reject_rate"), percent=True)),
              ("agreement with others", _number(w.get("agreement"))),
              ("under review", str(queued)), ("recommendation", str(w.get("recommendation", "")))]
    rates = [(c[5:], w[c]) for c in workers.columns if c.startswith("rate_") and float(w[c] or 0) > 0]
    if rates:
        fields.append(("flag rates", ", ".join(f"{r} {float(x):.0%}" for r, x in rates)))
    body = "".join(f"<dt>{h(k)}</dt><dd>{h(v)}</dd>" for k, v in fields)
    return f'<dl class="record">{body}</dl>'


def _item(row, position: int, total: int, v: Validation, context: dict) -> str:
    sid, worker = str(row.submission_id), str(row.worker_id)
    sub = context["submissions"].get(sid, {})
    english = sub.get("english", "")
    flags = context["flags"].get(sid, [])
    flag_items = "".join(
        f'<li><span class="sev-{h(f["severity"])}">{h(f["rule"])}</span> ({h(f["severity"])}): '
        f'{h(context["explanations"].get(f["rule"], ""))} <span class="detail">{visible(f["detail"])}</span></li>'
        for f in flags) or "<li>none</li>"
    others = [o for o in context["by_image"].get(str(row.image), []) if o["submission_id"] != sid]
    other_items = "".join(
        f'<li><span class="who">{h(o["worker_id"])}</span> [{h(o["decision"])}]: '
        f'<span dir="auto">{visible(o["text"])}</span></li>' for o in others[:MAX_OTHERS])
    if len(others) > MAX_OTHERS:
        other_items += f"<li>… and {len(others) - MAX_OTHERS} more</li>"
    other_items = other_items or "<li>no other worker translated this image</li>"
    return f"""<section class="item" id="{h(sid)}" data-id="{h(sid)}">
<h2>{position} / {total} · submission <span class="sid">{visible(sid)}</span> <span class="state">undecided</span></h2>
<div class="cols">
{_figure(str(row.image), context["images"])}
<div class="texts">
<p class="label">English source</p>
<p class="english" lang="en" dir="ltr">{visible(english)}</p>
<p class="label">Worker {visible(worker)} ({h(row.language)})</p>
<p class="answer" lang="{h(row.language)}" dir="auto">{visible(row.text)}</p>
<p class="label">Why it is under review</p>
<ul class="flags">{flag_items}</ul>
<p class="label">Other workers on this image</p>
<ul class="others">{other_items}</ul>
<p class="label">Worker's record</p>
{_record(worker, v.workers, context["queued"].get(worker, 0))}
<p class="label"><label>Note to the worker (optional, sent with the decision)
<input class="note" type="text" maxlength="500"></label></p>
<div class="buttons"><button type="button" data-act="approve">Approve (a)</button><button type="button"
data-act="reject">Reject (r)</button><button type="button" data-act="skip">Skip (s)</button><button type="button"
data-act="undo">Undo (u)</button><button type="button" data-act="previous">Previous (k)</button><button
type="button" data-act="next">Next (j)</button></div>
</div>
</div>
</section>"""


def _context(v: Validation, images: ImageSource) -> dict:
    subs = v.submissions
    decision_of = dict(zip(v.decisions["submission_id"].astype(str), v.decisions["decision"], strict=True))
    by_image: dict[str, list[dict]] = {}
    for sid, worker, image, text in zip(subs["submission_id"].astype(str), subs["worker_id"].astype(str),
                                        subs["image"].astype(str), subs["text"].fillna(""), strict=True):
        by_image.setdefault(image, []).append({"submission_id": sid, "worker_id": worker, "text": text,
                                               "decision": decision_of.get(sid, "")})
    flags: dict[str, list[dict]] = {}
    for f in v.flags.to_dict("records"):
        flags.setdefault(str(f["submission_id"]), []).append(f)
    queue = review_queue(v.decisions)
    return {
        "submissions": {str(r["submission_id"]): r for r in subs[["submission_id", "english"]].to_dict("records")},
        "flags": flags, "by_image": by_image, "images": images,
        "explanations": {r.id: r.explanation for r in v.rules},
        "queued": queue["worker_id"].astype(str).value_counts().to_dict(),
    }


def content_security_policy(template: str, img_src: str) -> str:
    """The page's policy: its inline script and style allowed by hash, nothing else but images."""
    blocks: dict[str, list[str]] = {"script": [], "style": []}
    for kind, body in _BLOCK.findall(template):
        blocks[kind].append(csp_hash(body))
    return (f"default-src 'none'; script-src {' '.join(blocks['script'])}; style-src {' '.join(blocks['style'])}; "
            f"img-src {img_src}; base-uri 'none'; form-action 'none'")


def render_review_page(v: Validation, *, images: str | os.PathLike | None = None, title: str = "") -> str:
    """The review page for the submissions ``v`` sent to review (anchor ``#<submission_id>`` each)."""
    template = resources.files("xtd10.crowd").joinpath("templates").joinpath("review.html").read_text(encoding="utf-8")
    source = ImageSource(images)
    queue = review_queue(v.decisions)
    _require_some_images(source, v.submissions["image"].astype(str).unique())
    context = _context(v, source)
    items = "\n".join(_item(row, i + 1, len(queue), v, context) for i, row in enumerate(queue.itertuples()))
    if queue.empty:
        items = '<p class="empty">Nothing to review: the rules decided every submission.</p>'
    languages = ", ".join(sorted({str(x) for x in v.submissions["language"].unique()}))
    values = {
        "csp": h(content_security_policy(template, source.csp())),
        "title": h(f"Review {title} ({languages})" if title else f"Review ({languages})"),
        "batch": h(batch_identity(v.submissions)), "count": str(len(queue)), "items": items,
    }
    return _FIELD.sub(lambda m: values[m.group(1)], template)
