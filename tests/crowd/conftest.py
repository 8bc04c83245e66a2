"""A tiny generated source in the upstream layout and clean English/German pairs.

Every test batch starts from these clean translations (written for these tests) and
plants faults at known rows, so a test can check both that a rule fires where planted
and that it stays silent everywhere else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PAIRS = [
    ("a man riding a wave on top of a surfboard", "ein Mann reitet auf einem Surfbrett eine Welle"),
    ("a cat sitting on a wooden table next to a laptop", "eine Katze sitzt auf einem Holztisch neben einem Laptop"),
    ("two giraffes standing in a grassy field near trees", "zwei Giraffen stehen auf einer Wiese in der Nähe von Bäumen"),
    ("a plate of food with broccoli and rice", "ein Teller mit Essen, Brokkoli und Reis"),
    ("a red double decker bus driving down the street", "ein roter Doppeldeckerbus fährt die Straße entlang"),
    ("a group of people flying kites on the beach", "eine Gruppe von Menschen lässt am Strand Drachen steigen"),
    ("a young boy holding a baseball bat at home plate", "ein kleiner Junge hält einen Baseballschläger an der Homeplate"),
    ("a dog catching a frisbee in the park", "ein Hund fängt im Park eine Frisbeescheibe"),
    ("a kitchen with white cabinets and a stove", "eine Küche mit weißen Schränken und einem Herd"),
    ("an airplane flying over the city at sunset", "ein Flugzeug fliegt bei Sonnenuntergang über die Stadt"),
    ("a woman sitting on a bench reading a book", "eine Frau sitzt auf einer Bank und liest ein Buch"),
    ("a train stopped at a station platform", "ein Zug hält an einem Bahnsteig"),
    ("a bowl of fruit with apples and bananas on a counter", "eine Schüssel mit Äpfeln und Bananen auf der Arbeitsplatte"),
    ("a man skiing down a snowy mountain slope", "ein Mann fährt Ski einen verschneiten Berghang hinunter"),
    ("a clock tower in the middle of a town square", "ein Uhrturm mitten auf einem Marktplatz"),
    ("an elephant walking through tall grass", "ein Elefant läuft durch hohes Gras"),
    ("a pizza with cheese and tomatoes on a wooden board", "eine Pizza mit Käse und Tomaten auf einem Holzbrett"),
    ("a person riding a motorcycle on a dirt road", "eine Person fährt Motorrad auf einem Feldweg"),
    ("a bathroom with a sink and a large mirror", "ein Badezimmer mit einem Waschbecken und einem großen Spiegel"),
    ("children playing soccer on a green field", "Kinder spielen Fußball auf einem grünen Feld"),
]
IMAGES = [f"COCO_{'val' if i % 5 == 0 else 'train'}2014_{100000 + i:012d}.jpg" for i in range(len(PAIRS))]


@pytest.fixture
def tiny_source(tmp_path) -> Path:
    root = tmp_path / "source"
    (root / "XTD10").mkdir(parents=True)
    (root / "XTD10" / "test_image_names.txt").write_text("\n".join(IMAGES) + "\n", encoding="utf-8")
    (root / "XTD10" / "test_1kcaptions_en.txt").write_text("\n".join(e for e, _ in PAIRS) + "\n",
                                                         encoding="utf-8")
    return root


def clean_rows() -> list[dict]:
    """Clean canonical-ish records: worker w{i%4}, 40 s each, German."""
    return [{"submission_id": f"s{i}", "worker_id": f"w{i % 4}", "assignment_id": f"a{i}", "task_id": f"h{i}",
             "image": IMAGES[i], "language": "de", "text": de, "english": en, "work_time_s": 40.0,
             "timestamp": "2026-11-01T10:00:00", "status": "Submitted", "platform": "csv", "source_line": i + 2,
             "raw": "{}"} for i, (en, de) in enumerate(PAIRS)]


class FakeEncoder:
    """Bag-of-words vectors over a small bilingual dictionary: translations score high,
    unrelated texts low. Cheap stand-in for mUSE in unit tests."""

    def __init__(self):
        from xtd10.encoders.protocol import EncoderMeta

        self.meta = EncoderMeta(name="fake", spec="fake", embedding_dim=64)
        self.calls = 0

    def encode_text(self, texts, *, language):
        import zlib

        import numpy as np

        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, (text) in enumerate(texts):
            key = None
            for en, de in PAIRS:
                if text in (en, de):
                    key = en
            out[row, zlib.crc32((key or text).encode()) % 64] = 1.0
        return out


@pytest.fixture
def fake_encoder() -> FakeEncoder:
    return FakeEncoder()
