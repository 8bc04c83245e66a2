"""The named validation rules.

Each rule has an id, a severity and an explanation a requester can show a worker, and
reads its thresholds from the language's settings. Rules are vectorised over a whole
batch (pandas string operations, one language-identifier call per distinct text) because
batches reach hundreds of thousands of submissions.

Severities: ``reject`` (the submission is unusable), ``warning`` (needs a look; approved
unless the requester says otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xtd10.crowd.refusals import check_refusal
from xtd10.crowd.scripts import script_fraction
from xtd10.crowd.settings import LanguageSettings

REJECT = "reject"
WARNING = "warning"


@dataclass
class Context:
    """What rules may use besides the rows: settings, identified languages, similarities."""

    settings: LanguageSettings
    langid: pd.DataFrame | None = None  # columns label, prob; aligned to the frame
    similarity: pd.Series | None = None  # cosine(text, english); aligned to the frame
    refusal: pd.Series | None = None  # best cosine to a refusal phrase; aligned to the frame
    encoder: pd.Series | None = None  # spec of the encoder behind both ("" where skipped)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: str
    explanation: str
    check: Callable[[pd.DataFrame, Context], pd.Series]  # -> detail string per row, "" if fine
    needs: str = ""  # "langid" or "encoder" when it depends on an optional component


def normalise(texts: pd.Series) -> pd.Series:
    """Lower case, no surrounding punctuation, single spaces: for equality checks."""
    out = texts.fillna("").str.lower().str.replace(r"\s+", " ", regex=True)
    return out.str.strip(" \t.,;:!?。、！？\"'«»“”„")


def has(texts: pd.Series, pattern: re.Pattern) -> pd.Series:
    """Whether ``pattern`` occurs in each text (no pandas warning about groups)."""
    search = pattern.search
    return texts.fillna("").map(lambda t: search(t) is not None).astype(bool)


def _where(mask: pd.Series, detail: pd.Series | str) -> pd.Series:
    if isinstance(detail, str):
        detail = pd.Series(detail, index=mask.index)
    return detail.where(mask.fillna(False).astype(bool), "")


def check_empty(df: pd.DataFrame, ctx: Context) -> pd.Series:
    return _where(df["text"].fillna("").str.strip().eq(""), "empty or whitespace only")


GENERIC_PLACEHOLDERS = (
    "n/a", "na", "n.a", "none", "null", "nil", "nan", "-", "--", "?", "??", "???", "...", ".", "x", "xx", "xxx",
    "test", "testing", "asdf", "lorem ipsum", "no", "yes", "ok", "todo", "tbd", "same", "same as above",
    "no image", "image not loaded", "image not found", "no picture", "nothing", "idk", "i don't know",
    "i dont know", "dont know", "don't know", "no translation", "not applicable", "skip", "translation",
)
REFUSAL = re.compile(
    r"(could ?n[o']?t|can ?n?[o']?t|unable to|impossible to) (translate|see|load)|no translation|"
    r"not (possible|able) to translate|i (don'?t|do not) (know|understand)|image (is )?(not|didn'?t) (load|show)",
    re.IGNORECASE,
)


def check_placeholder(df: pd.DataFrame, ctx: Context) -> pd.Series:
    norm = normalise(df["text"])
    words = set(GENERIC_PLACEHOLDERS) | {p.lower() for p in ctx.settings.placeholders}
    whole = norm.isin(words) & norm.ne("")
    stripped = df["text"].fillna("").str.strip()
    only_punct = stripped.ne("") & stripped.str.fullmatch(r"[\W_]+").fillna(False).astype(bool)
    refusal = has(df["text"].fillna(""), REFUSAL) & df["text"].fillna("").str.len().lt(80)
    return _where(whole | only_punct | refusal, "placeholder or refusal instead of a caption")


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "qwertzuiop", "yxcvbnm", "azertyuiop", "qsdfghjklm", "wxcvbn",
         "1234567890", "йцукенгшщзх", "фывапролджэ", "ячсмитьбю")
# Runs of five adjacent keys: four-key runs occur inside real words ("wert", "напротив").
_KEY_RUNS = sorted({row[i:i + 5] for row in _ROWS for i in range(len(row) - 4)}
                   | {row[::-1][i:i + 5] for row in _ROWS for i in range(len(row) - 4)})
KEYBOARD = re.compile("|".join(_KEY_RUNS))
# Cheap first pass: five letters in a row from one keyboard row (real words such as
# "property" pass it too; only texts that do are searched for an actual run of keys).
KEYBOARD_ROW_CHARS = re.compile("|".join(f"[{re.escape(row)}]{{5}}" for row in _ROWS))
REPEATS = re.compile(r"(.)\1{3,}|(..+?)\2{3,}")
NO_VOWEL_WORD = re.compile(r"\b[b-df-hj-np-tv-xz]{6,}\b", re.IGNORECASE)


def check_gibberish(df: pd.DataFrame, ctx: Context) -> pd.Series:
    text = df["text"].fillna("")
    lower = text.str.lower()
    candidate = has(lower, KEYBOARD_ROW_CHARS)
    keys = pd.Series(False, index=df.index)
    keys[candidate] = has(lower[candidate], KEYBOARD)
    repeats = has(lower, REPEATS)
    latin = ctx.settings.script == "Latn" or "Latn" in ctx.settings.scripts
    consonant = lower.str.contains(NO_VOWEL_WORD) if latin else pd.Series(False, index=df.index)
    compact = lower.str.replace(r"\s+", "", regex=True)
    length = compact.str.len()
    distinct = compact.map(lambda s: len(set(s)))
    low_diversity = length.ge(10) & distinct.le(5)
    detail = pd.Series("", index=df.index)
    detail = detail.mask(low_diversity, "very few distinct characters")
    detail = detail.mask(consonant, "word without vowels")
    detail = detail.mask(repeats, "repeated characters")
    detail = detail.mask(keys, "keyboard row sequence")
    return detail


def check_wrong_script(df: pd.DataFrame, ctx: Context) -> pd.Series:
    scripts = frozenset(ctx.settings.scripts)
    minimum = ctx.settings.min_script_fraction
    details = []
    for text in df["text"].fillna(""):
        fraction, letters = script_fraction(text, scripts)
        details.append(f"only {fraction:.0%} of letters in {'/'.join(sorted(scripts))}"
                       if letters >= 3 and fraction < minimum else "")
    return pd.Series(details, index=df.index, dtype=object)


def check_wrong_language(df: pd.DataFrame, ctx: Context) -> pd.Series:
    s = ctx.settings
    if ctx.langid is None or not s.langid_accept:  # no accepted labels: the check is off
        return pd.Series("", index=df.index)
    label = ctx.langid["label"]
    long_enough = df["text"].fillna("").str.len().ge(s.langid_min_chars)
    confident = ctx.langid["prob"].ge(s.langid_min_prob)
    wrong = long_enough & confident & ~label.isin(s.langid_accept) & label.ne("en")
    return _where(wrong, "identified as " + label + " (p=" + ctx.langid["prob"].round(2).astype(str) + ")")


def check_untranslated(df: pd.DataFrame, ctx: Context) -> pd.Series:
    if ctx.settings.code == "en":
        return pd.Series("", index=df.index)
    norm_text, norm_en = normalise(df["text"]), normalise(df["english"])
    identical = norm_text.eq(norm_en) & norm_text.ne("")
    words_text = norm_text.str.split()
    words_en = norm_en.str.split()
    overlap = pd.Series([_jaccard(a, b) for a, b in zip(words_text, words_en, strict=True)], index=df.index)
    near = overlap.ge(0.8) & words_en.str.len().ge(3)
    english = pd.Series(False, index=df.index)
    if ctx.langid is not None and "en" not in ctx.settings.langid_accept:
        english = (ctx.langid["label"].eq("en") & ctx.langid["prob"].ge(0.9)
                   & df["text"].fillna("").str.len().ge(ctx.settings.langid_min_chars))
    detail = pd.Series("", index=df.index)
    detail = detail.mask(english, "identified as English")
    detail = detail.mask(near, "nearly identical to the English source")
    return detail.mask(identical, "identical to the English source")


def _jaccard(a: list[str], b: list[str]) -> float:
    if not a or not b:
        return 0.0
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb)


def text_length(texts: pd.Series, unit: str) -> pd.Series:
    texts = texts.fillna("")
    if unit == "chars":
        return texts.str.replace(r"\s+", "", regex=True).str.len()
    return texts.str.split().str.len().fillna(0)


def check_length_ratio(df: pd.DataFrame, ctx: Context) -> pd.Series:
    s = ctx.settings
    source_words = df["english"].fillna("").str.split().str.len().fillna(0)
    target = text_length(df["text"], s.length_unit)
    source = text_length(df["english"], s.length_unit).replace(0, np.nan)
    ratio = target / source
    applies = source_words.ge(s.length_min_source_words) & target.gt(0)
    out = applies & (ratio.lt(s.length_min) | ratio.gt(s.length_max))
    return _where(out, f"{s.length_unit} ratio to English " + ratio.round(2).astype(str)
                  + f" outside [{s.length_min}, {s.length_max}]")


def check_semantic(df: pd.DataFrame, ctx: Context) -> pd.Series:
    if ctx.similarity is None:
        return pd.Series("", index=df.index)
    from xtd10.crowd.semantic import threshold

    sim = ctx.similarity
    specs = ctx.encoder if ctx.encoder is not None else pd.Series("", index=df.index)
    limits = {s: threshold(ctx.settings, s) if s else ctx.settings.min_similarity for s in specs.unique()}
    limit = specs.map(limits)
    low = sim.lt(limit) & df["text"].fillna("").str.strip().ne("")
    named = specs.map(lambda s: f" ({s})" if s else "")
    return _where(low, "similarity to the English source " + sim.round(2).astype(str) + " < "
                  + limit.astype(str) + named)


def check_same_text_other_images(df: pd.DataFrame, ctx: Context) -> pd.Series:
    norm = normalise(df["text"])
    english = normalise(df["english"])
    keyed = pd.DataFrame({"norm": norm, "image": df["image"], "english": english})
    keyed = keyed[keyed["norm"].ne("")]
    images = keyed.groupby("norm")["image"].nunique()
    sources = keyed.groupby("norm")["english"].nunique()
    bad = set(images[(images > 1) & (sources > 1)].index)
    counts = norm.map(images)
    return _where(norm.isin(bad), "same text submitted for " + counts.fillna(0).astype(int).astype(str) + " images")


def check_identical_across_workers(df: pd.DataFrame, ctx: Context) -> pd.Series:
    norm = normalise(df["text"])
    keyed = pd.DataFrame({"norm": norm, "image": df["image"], "worker": df["worker_id"]})
    keyed = keyed[keyed["norm"].str.len().ge(15)]
    workers = keyed.groupby(["image", "norm"])["worker"].transform("nunique")
    mask = pd.Series(False, index=df.index)
    mask.loc[workers.index] = workers.gt(1)
    return _where(mask, "identical to another worker's submission for the same image")


CONTROL = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u200b-\u200f"
                     "\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]")
MOJIBAKE = re.compile("\ufffd|[ÃÂÐÑØÙ][\u0080-\u00bf\u2018-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                      "\u02c6\u02dc\u20ac\u2122]|â€|ï»¿")


def check_control_chars(df: pd.DataFrame, ctx: Context) -> pd.Series:
    return _where(has(df["text"].fillna(""), CONTROL), "invisible or control characters")


def check_mojibake(df: pd.DataFrame, ctx: Context) -> pd.Series:
    return _where(has(df["text"].fillna(""), MOJIBAKE), "mis-decoded text (mojibake)")


MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>|&(#\d+|#x[0-9a-f]+|[a-z]{2,8});", re.IGNORECASE)
URL = re.compile(r"https?://|www\.|\b[\w-]+\.(com|net|org|io|ru|de|cn)\b", re.IGNORECASE)
EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")


def check_markup(df: pd.DataFrame, ctx: Context) -> pd.Series:
    text = df["text"].fillna("")
    detail = pd.Series("", index=df.index)
    detail = detail.mask(has(text, EMOJI), "emoji")
    detail = detail.mask(has(text, URL), "URL")
    return detail.mask(has(text, MARKUP), "HTML markup or entity")


def check_too_fast(df: pd.DataFrame, ctx: Context) -> pd.Series:
    s = ctx.settings
    seconds = pd.to_numeric(df["work_time_s"], errors="coerce")
    chars = df["text"].fillna("").str.len()
    fast = seconds.lt(s.min_work_seconds) | (chars / seconds.where(seconds > 0)).gt(s.max_chars_per_second)
    return _where(fast & seconds.notna(), "submitted after " + seconds.round(1).astype(str) + " s")


RULES: tuple[Rule, ...] = (
    Rule("empty", REJECT, "The answer is empty.", check_empty),
    Rule("placeholder", REJECT, "The answer is a placeholder or a refusal, not a caption.", check_placeholder),
    Rule("refusal", REJECT, "The answer is a refusal or a placeholder, not a caption.", check_refusal),
    Rule("gibberish", REJECT, "The answer looks like random keystrokes.", check_gibberish),
    Rule("wrong_script", REJECT, "The answer is not written in the language's script.", check_wrong_script),
    Rule("wrong_language", REJECT, "The answer is in another language.", check_wrong_language, "langid"),
    Rule("untranslated", REJECT, "The answer repeats the English caption instead of translating it.",
         check_untranslated),
    Rule("mojibake", REJECT, "The answer contains garbled characters from a wrong text encoding.", check_mojibake),
    Rule("length_ratio", WARNING, "The answer is much shorter or longer than the English caption.",
         check_length_ratio),
    Rule("semantic", WARNING, "The answer does not seem to say what the English caption says.", check_semantic,
         "encoder"),
    Rule("same_text_other_images", WARNING, "The same answer was given for different images.",
         check_same_text_other_images),
    Rule("identical_across_workers", WARNING, "Several workers gave exactly the same answer (shared or "
         "machine translation?).", check_identical_across_workers),
    Rule("control_chars", WARNING, "The answer contains invisible or control characters.", check_control_chars),
    Rule("markup", WARNING, "The answer contains markup, a URL or emoji.", check_markup),
    Rule("too_fast", WARNING, "The task was submitted implausibly fast.", check_too_fast),
)
RULE_IDS = tuple(rule.id for rule in RULES)


def get_rules(ids: list[str] | None = None, exclude: list[str] | None = None) -> list[Rule]:
    from xtd10.crowd.errors import CrowdError

    unknown = set(ids or []) | set(exclude or [])
    unknown -= set(RULE_IDS)
    if unknown:
        raise CrowdError(f"unknown rule(s) {sorted(unknown)}; known: {', '.join(RULE_IDS)}")
    return [r for r in RULES if (ids is None or r.id in ids) and r.id not in (exclude or [])]
