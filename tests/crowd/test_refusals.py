"""The refusal rule's cross-lingual check, with a fake encoder whose similarities are known
exactly: a refusal written in a language nobody wrote a list for is flagged because its
vector is close to a packaged English refusal phrase, at the packaged threshold of the
encoder that scored it; captions, long texts and languages the encoder does not cover are
not. The real encoders run the same checks in ``test_semantic_real.py`` (slow)."""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd
import pytest

from tests.crowd.conftest import IMAGES
from xtd10.crowd.calibration import refusal_phrases, refusal_threshold
from xtd10.crowd.rules import get_rules
from xtd10.crowd.semantic import Semantic
from xtd10.crowd.validate import run_rules
from xtd10.encoders.protocol import EncoderMeta

DIM = 4096
ENGLISH_REFUSAL = "I cannot translate this."
# texts the fake places exactly on the English refusal phrase's vector (cosine 1.0)
SAME_AS_REFUSAL = {
    "Ik kan deze zin niet vertalen.",  # Dutch: no packaged settings, so no list
    "Ich kann diesen Satz nicht wiedergeben.",  # German, but in none of the de.yaml list's words
    "Ik kan deze zin niet vertalen, want het plaatje laadt niet en ik zie dus niet wat erop staat.",  # long
    "Siwezi kutafsiri sentensi hii.",  # Swahili: the fake does not cover it
}
CAPTIONS = ["Een man fietst door een rustige straat.", "Ein Mann fährt mit dem Fahrrad eine ruhige Straße entlang."]


class RefusalFake:
    """One-hot vectors: the refusal stand-ins share the English refusal phrase's, every
    other text gets its own; covers ``languages``."""

    def __init__(self, spec: str, languages: tuple[str, ...]):
        self.meta = EncoderMeta(name=spec, spec=spec, embedding_dim=DIM, languages=languages)

    def encode_text(self, texts, *, language):
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for row, text in enumerate(texts):
            key = ENGLISH_REFUSAL if text in SAME_AS_REFUSAL else text
            out[row, zlib.crc32(key.encode("utf-8")) % DIM] = 1.0
        return out


def _batch(rows: list[tuple[str, str]]) -> pd.DataFrame:
    english = "A man rides a bicycle along a quiet street."
    return pd.DataFrame([{"submission_id": f"s{i}", "worker_id": f"w{i}", "image": IMAGES[i], "language": lang,
                          "text": text, "english": english, "work_time_s": 30.0}
                         for i, (lang, text) in enumerate(rows)])


def _vectors_do_not_collide() -> None:
    """The one-hot positions of the captions and the phrases differ, so only the stand-ins
    score 1.0 against a refusal phrase (a guard on the fake, not on the rule)."""
    keys = {*refusal_phrases(), *CAPTIONS}
    positions = {zlib.crc32(k.encode("utf-8")) % DIM for k in keys}
    assert len(positions) == len(keys)


ROWS = [("nl", "Ik kan deze zin niet vertalen."),
        ("de", "Ich kann diesen Satz nicht wiedergeben."),
        ("nl", CAPTIONS[0]),
        ("de", CAPTIONS[1]),
        ("nl", "Ik kan deze zin niet vertalen, want het plaatje laadt niet en ik zie dus niet wat erop staat."),
        ("sw", "Siwezi kutafsiri sentensi hii.")]


def test_a_refusal_in_a_language_without_a_list_is_flagged_cross_lingually():
    assert ENGLISH_REFUSAL in refusal_phrases() and refusal_threshold("muse") is not None
    _vectors_do_not_collide()
    semantic = Semantic(explicit=RefusalFake("muse", ("de", "en", "nl")))
    flags = run_rules(_batch(ROWS), encoder=semantic, rules=get_rules(["refusal"]))
    assert sorted(flags["submission_id"]) == ["s0", "s1"], flags[["language", "text", "detail"]].to_dict("records")
    assert (flags["rule"] == "refusal").all() and (flags["severity"] == "reject").all()
    assert flags["detail"].str.contains(r"close to a refusal \(similarity 1\.0, muse\)").all()


@pytest.mark.parametrize("spec", ["muse", "e5-small"])
def test_the_threshold_is_the_packaged_one_of_the_encoder_that_scored_the_text(spec):
    """A text just under an encoder's threshold passes, one just over it is flagged."""
    limit = refusal_threshold(spec)
    assert limit is not None

    class Tilted(RefusalFake):
        def encode_text(self, texts, *, language):
            out = super().encode_text(texts, language=language)
            refusal_at = zlib.crc32(ENGLISH_REFUSAL.encode("utf-8")) % DIM
            for row, text in enumerate(texts):
                cosine = {"over": limit + 0.005, "under": limit - 0.02}.get(text)
                if cosine is not None:  # unit vector with this cosine to the refusal phrase
                    out[row] = 0.0
                    out[row, refusal_at] = cosine
                    out[row, (refusal_at + 1) % DIM] = np.sqrt(1.0 - cosine**2)
            return out

    semantic = Semantic(explicit=Tilted(spec, ("nl", "en")))
    flags = run_rules(_batch([("nl", "over"), ("nl", "under")]), encoder=semantic, rules=get_rules(["refusal"]))
    assert list(flags["submission_id"]) == ["s0"]


def test_an_encoder_without_a_packaged_threshold_adds_no_cross_lingual_flags():
    semantic = Semantic(explicit=RefusalFake("fake-without-threshold", ("de", "en", "nl")))
    flags = run_rules(_batch(ROWS), encoder=semantic, rules=get_rules(["refusal"]))
    assert flags.empty
