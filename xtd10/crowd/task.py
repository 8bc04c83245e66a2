"""Collecting: the platform input file and the task page for one worker.

One template serves every platform: language-specific text (title, instructions,
minimum length) is filled in here, while ``${image_url}``, ``${file_name}`` and
``${english}`` stay as placeholders that the platform (MTurk, Toloka, ...) fills per item
from the input file; ``render_item`` fills them too, for plain HTML hosting.
"""

from __future__ import annotations

import html
import string
from importlib import resources

import pandas as pd

from xtd10.crowd.errors import CrowdError
from xtd10.crowd.settings import load_settings
from xtd10.data import load_frame
from xtd10.data.upstream import COCO_IMAGE_URL

FORMS = {
    "plain": ('<form id="task-form" method="post" action="{{action}}">',
              '<button type="submit" id="submit">Submit</button>', "</form>"),
    "mturk": ('<script src="https://assets.crowd.aws/crowd-html-elements.js"></script>\n'
              '<crowd-form id="task-form" answer-format="flatten-objects">',
              '', "</crowd-form>"),
}


def task_input(language: str, *, source=None, image_url_template: str = COCO_IMAGE_URL) -> pd.DataFrame:
    """One row per XTD10 image: image_url, file_name, english, language.

    ``image_url_template`` may use ``{file_name}``, ``{split}`` and ``{index}``.
    """
    english = load_frame("en", source=source)
    english = english[english["caption_index"] == 0]
    try:
        urls = [image_url_template.format(file_name=f, split=s, index=i) for f, s, i in
                zip(english["file_name"], english["coco_split"], english["index"], strict=True)]
    except (KeyError, IndexError) as err:
        raise CrowdError(f"image URL template {image_url_template!r}: unknown field {err}; "
                         "use {file_name}, {split}, {index}") from None
    return pd.DataFrame({"image_url": urls, "file_name": english["file_name"].to_numpy(),
                         "english": english["caption"].to_numpy(), "language": language})


def render_template(language: str, platform: str = "plain", *, action: str = "", settings_dir=None) -> str:
    if platform not in FORMS:
        raise CrowdError(f"unknown task page kind {platform!r}; choose one of {', '.join(FORMS)}")
    s = load_settings(language, settings_dir)
    page = resources.files("xtd10.crowd").joinpath("templates", "task.html").read_text(encoding="utf-8")
    form_open, submit, form_close = FORMS[platform]
    page = (page.replace("<!-- FORM_OPEN -->", form_open).replace("<!-- SUBMIT -->", submit)
            .replace("<!-- FORM_CLOSE -->", form_close))
    values = {"lang": s.code, "title": s.task_title or default_title(s.code, s.name),
              "instructions": s.task_instructions, "name": s.name, "action": action}
    for key, value in values.items():
        page = page.replace("{{" + key + "}}", html.escape(value, quote=True))
    return page.replace("{{min_chars}}", str(int(s.min_chars)))


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
