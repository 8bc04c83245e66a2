"""Collecting: the platform input file and the task page for one worker.

One template serves every platform: language-specific text (title, instructions,
minimum length) is filled in here, while ``${image_url}``, ``${file_name}`` and
``${english}`` stay as placeholders that the platform (MTurk, Toloka, ...) fills per item
from the input file; ``render_item`` fills them too, for plain HTML hosting.
"""

from __future__ import annotations

import html
import json
import string

import pandas as pd

from xtd10.crowd.errors import CrowdError
from xtd10.crowd.guidance import FAR_MAX, FAR_MIN, MESSAGES, Guidance, guidance
from xtd10.crowd.language_settings import LanguageSettings
from xtd10.crowd.settings import load_settings
from xtd10.crowd.shipped import crowdsourcing_file
from xtd10.data import load_frame
from xtd10.data.upstream import COCO_IMAGE_URL

FORMS = {
    "plain": ('<form id="task-form" method="post" action="{{action}}">',
              '<button type="submit" id="submit">Submit</button>', "</form>"),
    "preview": ('<form id="task-form" data-preview="1">',
                '<button type="submit" id="submit">Submit</button>', "</form>"),
    "mturk": ('<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n'
              '<crowd-form id="task-form" answer-format="flatten-objects">',
              '', "</crowd-form>"),
}


URL_FIELDS = ("file_name", "split", "index")


def check_url_template(template: str) -> str:
    """``template`` if its only fields are the plain ``{file_name}``, ``{split}`` and
    ``{index}`` (``{{``/``}}`` are literal braces); else a :class:`CrowdError`.

    ``str.format`` would also run format specs (``{file_name:>9999999}`` asks for ten
    million characters per row), conversions and attribute or index lookups
    (``{file_name.__class__}``) that a URL never needs, so none of those is passed on.
    """
    def refuse(why: str) -> CrowdError:
        return CrowdError(f"image URL template {template[:80]!r}{'...' if len(template) > 80 else ''}: {why}; "
                          "use only {file_name}, {split}, {index} (and {{ }} for literal braces)")

    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as err:
        raise refuse(str(err)) from None
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in URL_FIELDS:
            raise refuse(f"field {{{name[:40]}}} is not allowed" if name else "an empty field {} is not allowed")
        if spec or conversion:
            raise refuse(f"field {{{name}}} has a conversion or format spec")
    return template


def task_input(language: str, *, source=None, image_url_template: str = COCO_IMAGE_URL) -> pd.DataFrame:
    """One row per XTD10 image: image_url, file_name, english, language.

    ``image_url_template`` may use ``{file_name}``, ``{split}`` and ``{index}``, nothing
    else (see :func:`check_url_template`).
    """
    template = check_url_template(image_url_template)
    english = load_frame("en", source=source)
    english = english[english["caption_index"] == 0]
    urls = [template.format(file_name=f, split=s, index=i) for f, s, i in
            zip(english["file_name"], english["coco_split"], english["index"], strict=True)]
    return pd.DataFrame({"image_url": urls, "file_name": english["file_name"].to_numpy(),
                         "english": english["caption"].to_numpy(), "language": language})


def render_template(language: str, platform: str = "plain", *, action: str = "", settings_dir=None) -> str:
    """The task page for ``language``: its title, instructions, guidelines with examples
    and live checks from the language settings; platform placeholders left in place."""
    if platform not in FORMS:
        raise CrowdError(f"unknown task page kind {platform!r}; choose one of {', '.join(FORMS)}")
    s = load_settings(language, settings_dir)
    page = crowdsourcing_file("templates", "task.html").read_text(encoding="utf-8")
    form_open, submit, form_close = FORMS[platform]
    page = (page.replace("<!-- FORM_OPEN -->", form_open).replace("<!-- SUBMIT -->", submit)
            .replace("<!-- FORM_CLOSE -->", form_close))
    guide = guidance(s)
    values = {"lang": s.code, "title": s.task_title or default_title(s.code, s.name),
              "instructions": s.task_instructions, "name": s.name, "action": action,
              "guidelines_title": guide.title}
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", _text(value))
    page = page.replace("{{guidelines}}", "".join(f"<li>{_text(g)}</li>" for g in guide.points))
    page = page.replace("{{examples}}", _examples_table(guide))
    return page.replace("{{checks}}", _json_for_script(live_checks(s)))


def _text(value: object) -> str:
    """HTML-escaped text in which ``$`` cannot start a platform placeholder."""
    return html.escape(str(value), quote=True).replace("$", "&#36;")


def _json_for_script(data: dict) -> str:
    """JSON safe inside a ``<script>`` element and untouched by platform ``${...}`` filling."""
    text = json.dumps(data, ensure_ascii=False)
    for char in "<>&$":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def live_checks(s: LanguageSettings) -> dict:
    """What the page checks before it lets a worker submit. The length bounds are looser
    than the length rule's (half its minimum, one and a half times its maximum) so the
    page stops only answers the rules would certainly flag."""
    return {
        "min_chars": int(s.min_chars), "scripts": list(s.scripts), "min_script_fraction": s.min_script_fraction,
        "length_unit": s.length_unit, "min_source_words": int(s.length_min_source_words),
        "far_min": s.length_min * FAR_MIN, "far_max": s.length_max * FAR_MAX,
        "messages": {key: s.feedback.get(key, text) for key, text in MESSAGES.items()},  # the worker's language
        "allow_copy": s.code == "en",  # an English "translation" may well equal the English
    }


def _examples_table(guide: Guidance) -> str:
    if not guide.examples:
        return ""
    rows = "".join(
        f'<tr><td lang="en">{_text(e.english)}</td><td dir="auto">{_text(e.answer)}</td>'
        f'<td class="{"good" if e.good else "bad"}">{"✓" if e.good else "✗"}</td><td dir="auto">{_text(e.why)}</td></tr>'
        for e in guide.examples)
    return f'<table class="examples"><tbody>{rows}</tbody></table>'


def default_title(code: str, name: str) -> str:
    """The page title when the settings have none; a bare code ("into pt") reads like a
    typo to workers, so without a known name the code is shown as a label."""
    if name and name != code:
        return f"Translate the caption into {name}"
    return f"Translate the caption (target language: {code})"


def render_item(page: str, item: dict[str, str]) -> str:
    """Fill the platform placeholders for one item (HTML-escaped), for plain hosting."""
    escaped = {k: html.escape(str(v), quote=True) for k, v in item.items()}
    return string.Template(page).safe_substitute(escaped)


def preview_page(language: str, items: pd.DataFrame, index: int = 0, *, settings_dir=None) -> str:
    """The page as a worker sees it, with item ``index`` of ``items`` (a :func:`task_input`
    frame) filled in; submitting runs the checks and shows the recorded fields, sending nothing."""
    if not 0 <= index < len(items):
        raise CrowdError(f"--item {index}: choose an item from 0 to {len(items) - 1}")
    row = items.iloc[index]
    return render_item(render_template(language, "preview", settings_dir=settings_dir),
                       {k: row[k] for k in ("image_url", "file_name", "english")})
