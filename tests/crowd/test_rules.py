"""Each rule catches the faults planted for it and leaves the clean rows alone."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.crowd.conftest import PAIRS, clean_rows
from xtd10.crowd.rules import RULE_IDS, get_rules
from xtd10.crowd.validate import run_rules, validate

# row -> (planted text or field changes, rule that must fire)
FAULTS = {
    0: ({"text": "   "}, "empty"),
    1: ({"text": "Could not translate"}, "placeholder"),
    2: ({"text": "n/a"}, "placeholder"),
    3: ({"text": "asdfghjkl qwertz"}, "gibberish"),
    4: ({"text": "ein roter Doppeldeckerbus fährt die Straße entlang ööööööö"}, "gibberish"),
    5: ({"text": "группа людей запускает воздушных змеев на пляже"}, "wrong_script"),
    6: ({"text": "un niño pequeño sostiene un bate de béisbol en el plato"}, "wrong_language"),
    7: ({"text": PAIRS[7][0]}, "untranslated"),
    8: ({"text": "Küche"}, "too_short"),
    9: ({"text": "ein Flugzeug fliegt bei Sonnenuntergang über die Stadt\u200b"}, "control_chars"),
    10: ({"text": "eine Frau sitzt auf einer Bank und liest ein Buch Ã¼ber"}, "mojibake"),
    11: ({"text": "ein Zug hält an einem <b>Bahnsteig</b>"}, "markup"),
    12: ({"text": "eine Schüssel mit Äpfeln und Bananen https://example.com"}, "url"),
    13: ({"text": "ein Mann fährt Ski einen verschneiten Berghang hinunter 😀"}, "emoji"),
    14: ({"work_time_s": 1.5}, "too_fast"),
    15: ({"text": " ? "}, "placeholder"),
}


def planted_batch() -> pd.DataFrame:
    rows = clean_rows()
    for i, (changes, _) in FAULTS.items():
        rows[i].update(changes)
    return pd.DataFrame(rows)


def test_every_rule_fires_only_where_planted():
    flags = run_rules(planted_batch())
    fired = {(r.submission_id, r.rule) for r in flags.itertuples()}
    for i, (_, rule) in FAULTS.items():
        assert (f"s{i}", rule) in fired, f"row {i}: {rule} did not fire; flags: {flags[flags.submission_id == f's{i}']}"
    clean = {f"s{i}" for i in range(len(PAIRS))} - {f"s{i}" for i in FAULTS}
    assert not (set(flags["submission_id"]) & clean), flags[flags["submission_id"].isin(clean)]


def test_clean_batch_has_no_flags_and_is_all_approved():
    v = validate(pd.DataFrame(clean_rows()))
    assert v.flags.empty, v.flags
    assert set(v.decisions["decision"]) == {"approve"}


def test_duplicates_across_images_and_workers():
    rows = clean_rows()
    rows[1]["text"] = rows[0]["text"]  # same text for a different image (different English)
    extra = dict(rows[2], submission_id="dup", worker_id="other")  # same image and text, another worker
    flags = run_rules(pd.DataFrame([*rows, extra]))
    same = set(flags.loc[flags.rule == "same_text_other_images", "submission_id"])
    assert same == {"s0", "s1"}
    across = set(flags.loc[flags.rule == "identical_across_workers", "submission_id"])
    assert across == {"s2", "dup"}


def test_semantic_rule_uses_injected_encoder(fake_encoder):
    rows = clean_rows()
    rows[3]["text"] = "ein Hund fängt im Park eine Frisbeescheibe"  # fluent German, wrong image
    flags = run_rules(pd.DataFrame(rows), encoder=fake_encoder, rules=get_rules(["semantic"]))
    assert set(flags["submission_id"]) == {"s3"}
    assert fake_encoder.calls >= 2


def test_decisions_reject_with_feedback_and_worker_recommendations():
    rows = clean_rows()
    for i in range(len(rows)):
        if rows[i]["worker_id"] == "w1":
            rows[i]["text"] = "n/a"
    v = validate(pd.DataFrame(rows))
    w1 = v.workers.set_index("worker_id").loc["w1"]
    assert w1["reject_rate"] == 1.0 and w1["recommendation"] == "block"
    assert set(v.workers.set_index("worker_id").drop("w1")["recommendation"]) == {"approve"}
    rejected = v.decisions[v.decisions.decision == "reject"]
    assert set(rejected["worker_id"]) == {"w1"}
    from xtd10.crowd.settings import load_settings

    assert rejected["feedback"].str.contains(load_settings("de").feedback["placeholder"], regex=False).all()


def test_unknown_rule_is_a_clear_error():
    from xtd10.crowd.errors import CrowdError

    with pytest.raises(CrowdError, match="unknown rule"):
        get_rules(["nope"])
    assert len(RULE_IDS) == len(set(RULE_IDS))


def test_every_rule_is_documented_and_has_a_worker_message_in_german():
    """What a rule count pinned before: a new rule comes with its doc entry and, in the
    settings that give every message (de.yaml), the words a worker reads."""
    from xtd10.crowd.settings import load_settings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "crowdsourcing.md").read_text(encoding="utf-8")
    assert [r for r in RULE_IDS if f"`{r}`" not in doc] == []
    assert [r for r in RULE_IDS if r not in load_settings("de").feedback] == []


def test_agreement_between_workers_on_the_same_image():
    rows = clean_rows()[:2]
    rows.append(dict(rows[0], submission_id="x1", worker_id="wa", text=rows[0]["text"] + " im Meer"))
    rows.append(dict(rows[0], submission_id="x2", worker_id="wb", text="völlig anderer Text über Bäume"))
    v = validate(pd.DataFrame(rows), exclude=["identical_across_workers"])
    agreement = v.workers.set_index("worker_id")["agreement"]
    assert agreement["wa"] > agreement["wb"]
    assert pd.isna(agreement["w1"])
