"""What the task page tells a worker before they write: short guidelines and good/bad
examples in the target language (``task.guidelines_heading``, ``task.guidelines`` and
``task.examples`` of the language settings), with an English fallback for languages whose
settings have none, and the messages of the checks the page runs before submitting.

Preventing a bad answer at the source is cheaper for everyone than rejecting it later: a
worker who sees a rejected pattern next to an accepted one rarely submits it.
"""

from __future__ import annotations

from dataclasses import dataclass

from xtd10.crowd.errors import SettingsError
from xtd10.crowd.language_settings import LanguageSettings

# The page stops an answer far outside the length rule's bounds: below half its minimum
# ratio or above one and a half times its maximum (the rule itself only warns).
FAR_MIN = 0.5
FAR_MAX = 1.5

MESSAGES = {
    "empty": "Please write a caption.",
    "copy": "Please translate the caption, do not copy the English.",
    "script": "Please write in the language's own script (see the examples above).",
    "short": "The caption is far too short: translate the whole English sentence.",
    "long": "The caption is far too long: translate the English sentence, do not add to it.",
}

ENGLISH_HEADING = "Guidelines and examples"
ENGLISH_GUIDELINES = (
    "Translate the English sentence, not the photo: the same objects, numbers, colours and actions; "
    "add nothing and leave nothing out.",
    "Write one natural sentence as a native speaker would, in the language's own script.",
    "Do not use machine translation and do not copy the English.",
)


@dataclass(frozen=True)
class Example:
    english: str
    answer: str
    good: bool
    why: str


@dataclass(frozen=True)
class Guidance:
    title: str
    points: tuple[str, ...]
    examples: tuple[Example, ...]


def _fallback_examples() -> tuple[Example, ...]:
    english = "a dog catching a frisbee in the park"
    return (Example(english, english, False, "A copy of the English, not a translation."),
            Example(english, "dog frisbee", False, "Far too short: translate the whole sentence."))


def guidance(s: LanguageSettings) -> Guidance:
    """The guidelines and examples for ``s``'s page; English where the settings have none."""
    task = s.raw.get("task") or {}
    where = f"settings for {s.code!r}: task"
    points = task.get("guidelines")
    if points is None:
        points = ENGLISH_GUIDELINES
    elif not isinstance(points, list) or not all(isinstance(p, str) for p in points):
        raise SettingsError(f"{where}.guidelines must be a list of short sentences, got {points!r}")
    examples = task.get("examples")
    parsed = _fallback_examples() if examples is None else _examples(examples, where)
    heading = str(task.get("guidelines_heading") or ENGLISH_HEADING)
    return Guidance(heading, tuple(points), parsed)


def _examples(value: object, where: str) -> tuple[Example, ...]:
    if not isinstance(value, list):
        raise SettingsError(f"{where}.examples must be a list of mappings with english, answer, good, why")
    out = []
    for i, item in enumerate(value, 1):
        if not isinstance(item, dict) or not {"english", "answer", "good"} <= set(item) \
                or not isinstance(item["good"], bool):
            raise SettingsError(f"{where}.examples item {i} needs english, answer and good (true/false), "
                                f"got {item!r}")
        out.append(Example(str(item["english"]), str(item["answer"]), item["good"], str(item.get("why") or "")))
    return tuple(out)
