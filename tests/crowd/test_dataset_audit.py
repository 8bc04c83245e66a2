"""The crowd audit of a whole machine-translated set (XTD200, Flickr30k-200).

The unit tests build a small checkout in the upstream layout (``data/xtd200/<Flores>.txt``)
with clean translations written for these tests, plant one fault per row in languages of
four scripts, and check that each fault is caught by its rule and nothing else is
rejected; then that ``xtd10.load(..., exclude_flagged=True)`` drops what the audit
recorded. The real-data tests check the committed audit files against the pinned release.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import xtd10
from xtd10.cli import cli
from xtd10.crowd.audit_outputs import rates_table
from xtd10.crowd.dataset_audit import audit_dataset
from xtd10.data.flagged import packaged_audit_path, read_flagged
from xtd10.encoders.protocol import EncoderMeta
from xtd10.languages import table_row
from xtd10.schema import FLICKR30K_200, XTD200

REPO = Path(__file__).resolve().parents[2]
ENGLISH = [
    "a man riding a wave on top of a surfboard",
    "a cat sitting on a wooden table next to a laptop",
    "two giraffes standing in a grassy field near trees",
    "a plate of food with broccoli and rice",
    "a red double decker bus driving down the street",
    "a group of people flying kites on the beach",
    "a dog catching a frisbee in the park",
    "a woman sitting on a bench reading a book",
]
CLEAN = {
    "deu_Latn": ["ein Mann reitet auf einem Surfbrett eine Welle",
                 "eine Katze sitzt auf einem Holztisch neben einem Laptop",
                 "zwei Giraffen stehen auf einer Wiese in der Nähe von Bäumen",
                 "ein Teller mit Essen, Brokkoli und Reis",
                 "ein roter Doppeldeckerbus fährt die Straße entlang",
                 "eine Gruppe von Menschen lässt am Strand Drachen steigen",
                 "ein Hund fängt im Park eine Frisbeescheibe",
                 "eine Frau sitzt auf einer Bank und liest ein Buch"],
    "rus_Cyrl": ["мужчина катается на доске для серфинга по волне",
                 "кошка сидит на деревянном столе рядом с ноутбуком",
                 "два жирафа стоят на травянистом поле возле деревьев",
                 "тарелка с едой, брокколи и рисом",
                 "красный двухэтажный автобус едет по улице",
                 "группа людей запускает воздушных змеев на пляже",
                 "собака ловит летающую тарелку в парке",
                 "женщина сидит на скамейке и читает книгу"],
    "hin_Deva": ["एक आदमी सर्फ़बोर्ड पर लहर की सवारी कर रहा है",
                 "एक बिल्ली लैपटॉप के पास लकड़ी की मेज़ पर बैठी है",
                 "दो जिराफ़ पेड़ों के पास घास के मैदान में खड़े हैं",
                 "भोजन की एक थाली जिसमें ब्रोकली और चावल हैं",
                 "एक लाल डबल डेकर बस सड़क पर चल रही है",
                 "लोगों का एक समूह समुद्र तट पर पतंग उड़ा रहा है",
                 "एक कुत्ता पार्क में फ्रिसबी पकड़ रहा है",
                 "एक महिला बेंच पर बैठकर किताब पढ़ रही है"],
    "zho_Hans": ["一名男子站在冲浪板上乘风破浪",
                 "一只猫坐在笔记本电脑旁边的木桌上",
                 "两只长颈鹿站在树旁的草地上",
                 "一盘有西兰花和米饭的食物",
                 "一辆红色双层巴士在街上行驶",
                 "一群人在海滩上放风筝",
                 "一只狗在公园里接飞盘",
                 "一位女士坐在长椅上看书"],
}
# (Flores code, row) -> (faulty caption, the rule that must catch it)
PLANTED = {
    ("deu_Latn", 1): (ENGLISH[1], "untranslated"),  # English left in
    ("deu_Latn", 4): ("", "empty"),
    ("deu_Latn", 6): ("un chien attrape un frisbee dans le parc de la ville", "wrong_language"),
    ("rus_Cyrl", 2): ("dva zhirafa stoyat na travyanistom pole vozle derevyev", "wrong_script"),  # Latin letters
    ("rus_Cyrl", 5): ("не могу перевести", "placeholder"),  # a refusal
    ("hin_Deva", 3): ("کھانے کی ایک پلیٹ جس میں بروکلی اور چاول ہیں", "wrong_script"),  # Arabic script
    ("zho_Hans", 0): ("一名男子站在冲浪板上冲浪冲浪冲浪冲浪冲浪冲浪冲浪冲浪", "gibberish"),  # a loop
}
TAGS = {"deu_Latn": "de", "rus_Cyrl": "ru", "hin_Deva": "hi", "zho_Hans": "zh-Hans"}
NAMES = [f"COCO_train2014_{100 + i:012d}.jpg" for i in range(len(ENGLISH))]


def write_checkout(root: Path, planted=PLANTED) -> Path:
    """A checkout in the upstream layout holding English and four translated languages."""
    base = root / "data" / "xtd200"
    base.mkdir(parents=True)
    (base / "test_image_names.txt").write_text("".join(f"{n}\n" for n in NAMES), encoding="utf-8")
    (base / "eng_Latn.txt").write_text("".join(f"{e}\n" for e in ENGLISH), encoding="utf-8")
    for flores, captions in CLEAN.items():
        lines = [planted.get((flores, i), (text, ""))[0] for i, text in enumerate(captions)]
        (base / f"{flores}.txt").write_text("".join(f"{t}\n" for t in lines), encoding="utf-8")
    return root


@pytest.fixture
def checkout(tmp_path) -> Path:
    return write_checkout(tmp_path / "nllb-clip")


def test_each_planted_fault_is_caught_by_its_rule_and_clean_rows_are_not_rejected(checkout):
    audit = audit_dataset(XTD200, list(TAGS.values()), checkout)
    flags = audit.flags
    for (flores, row), (_, rule) in PLANTED.items():
        hit = flags[(flags["language"] == TAGS[flores]) & (flags["index"] == row)]
        assert rule in set(hit["rule"]), (flores, row, rule, hit.to_dict("records"))
    rejected = {(lang, int(i)) for lang, i in flags.loc[flags["outcome"] == "reject", ["language", "index"]]
                .itertuples(index=False)}
    assert rejected == {(TAGS[f], r) for f, r in PLANTED}


def test_rules_that_cannot_judge_a_language_are_named(tmp_path):
    # ace-Arab: no language-identifier label and no encoder trained on it
    root = tmp_path / "nllb-clip"
    write_checkout(root)
    (root / "data" / "xtd200" / "ace_Arab.txt").write_text("".join("اورڠ دي ڤاسر\n" for _ in ENGLISH),
                                                         encoding="utf-8")
    audit = audit_dataset(XTD200, ["ace-Arab", "de"], root)
    assert set(audit.languages["ace-Arab"].not_judged) == {"wrong_language", "semantic", "refusal"}
    assert "wrong_language" not in audit.languages["de"].not_judged
    table = rates_table(audit).set_index("tag")
    assert table.at["ace-Arab", "rate_wrong_language"] == "" and table.at["de", "rate_wrong_language"] != ""


class TableFake:
    """One-hot vectors keyed by the English sentence a text translates (any language)."""

    def __init__(self, spec: str):
        self.meta = EncoderMeta(name=spec, spec=spec, embedding_dim=64)
        self.calls = 0

    def encode_text(self, texts, *, language):
        self.calls += 1
        out = np.zeros((len(texts), 64), dtype=np.float32)
        for row, text in enumerate(texts):
            key = next((i for i, e in enumerate(ENGLISH) if text == e or any(text == c[i] for c in CLEAN.values())),
                       None)
            out[row, key if key is not None else 40 + hash(text) % 20] = 1.0
        return out


def test_semantic_rule_uses_an_encoder_trained_on_the_language_and_its_cache(checkout):
    swapped = {("deu_Latn", 7): (CLEAN["deu_Latn"][0], "semantic")}  # the caption of another image
    root = write_checkout(checkout.parent / "swapped", planted=swapped)
    built: dict[str, TableFake] = {}

    def build(spec):
        return built.setdefault(spec, TableFake(spec))

    audit = audit_dataset(XTD200, ["de", "ru"], root, semantic=True, build=build)
    semantic = audit.flags[audit.flags["rule"] == "semantic"]
    assert {(r.language, r.index) for r in semantic.itertuples()} == {("de", 7)}
    assert audit.languages["de"].encoder == "muse"  # the table: muse was trained on German
    assert audit.encoded_chunks > 0
    again = audit_dataset(XTD200, ["de", "ru"], root, semantic=True, build=build)
    assert again.encoded_chunks == 0  # every caption chunk read from the embedding cache
    assert again.flags.equals(audit.flags)


def test_cli_audit_records_flags_that_exclude_flagged_drops(checkout, tmp_path):
    table = tmp_path / "xtd200.csv"
    result = CliRunner().invoke(cli, ["crowd", "audit", "--dataset", "xtd200", "--languages", "de,ru,hi,zh-Hans",
                                       "--source", str(checkout), "--table", str(table)])
    assert result.exit_code == 0, result.output
    assert "de: 3 of 8 rejected" in result.output
    for flores, tag in TAGS.items():
        planted = {row for f, row in PLANTED if f == flores}
        kept = xtd10.load(tag, dataset="xtd200", source=checkout, exclude_flagged=True)
        assert sorted(kept["index"]) == [i for i in range(len(ENGLISH)) if i not in planted]
    rates = pd.read_csv(table, keep_default_na=False).set_index("tag")
    assert rates.at["de", "flagged"] == 3 and rates.at["de", "rate_empty"] == 0.125
    assert_no_caption_text(table.read_text(encoding="utf-8"), [*ENGLISH, *(t for c in CLEAN.values() for t in c)])


def test_publishing_is_refused_for_files_that_are_not_the_pinned_release(checkout, capsys):
    from xtd10.cli import main
    from xtd10.data.flagged import flagged_list_path

    with pytest.raises(SystemExit) as exit_info:
        main(["crowd", "audit", "--dataset", "xtd200", "--languages", "de", "--source", str(checkout), "--publish"])
    assert exit_info.value.code != 0
    err = capsys.readouterr().err
    assert "not the pinned XTD200 release" in err and "Traceback" not in err
    assert not flagged_list_path("x").parent.exists()  # nothing recorded either


# -- the committed audit -----------------------------------------------------------------
def assert_no_caption_text(text: str, captions) -> None:
    cells = set(re.split(r"[,\n|]", text))
    leaked = [c for c in captions if len(c) >= 12 and (c in cells or c in text)]
    assert not leaked, leaked[:3]


@pytest.mark.parametrize("descriptor", [XTD200, FLICKR30K_200])
def test_committed_audit_is_for_the_pinned_release_and_covers_every_language(descriptor):
    path = packaged_audit_path(descriptor.key)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["schema"] == "xtd10.flagged" and data["revision"] == descriptor.release.commit
    assert set(data["languages"]) == set(descriptor.languages)
    table = pd.read_csv(REPO / "leaderboards" / "audit" / f"{descriptor.key}.csv", keep_default_na=False)
    assert list(table["tag"]) == list(descriptor.languages)
    assert set(table["rows"]) == {1000}
    for row in table.itertuples():
        entry = table_row(row.tag)
        assert (row.flores, row.name, row.script) == (entry.flores, entry.name, entry.script)
        rejected = {i for severity, indices in read_flagged(path)[row.tag].values() if severity == "reject"
                    for i in indices}
        assert row.flagged == len(rejected), row.tag
    text_columns = {"tag", "flores", "name", "script", "semantic_encoder", "not_judged"}
    assert set(table.columns) - text_columns == {c for c in table.columns if c in ("rows", "flagged")
                                                 or c.startswith(("rate_", "flagged_rate"))}


@pytest.mark.integration
@pytest.mark.parametrize("descriptor", [XTD200, FLICKR30K_200])
def test_committed_audit_files_hold_no_caption_text(descriptor, nllb_source):
    frame = xtd10.data.load_frame(["en", "de", "zh-Hans", "war", "lo"], source=nllb_source, dataset=descriptor)
    captions = frame["caption"].tolist()
    for path in (REPO / "leaderboards" / "audit" / f"{descriptor.key}.csv", REPO / "docs" / "audit-xtd200.md",
                 packaged_audit_path(descriptor.key)):
        assert_no_caption_text(path.read_text(encoding="utf-8"), captions)


@pytest.mark.integration
def test_exclude_flagged_uses_the_packaged_audit_of_the_pinned_release(nllb_source):
    lists = read_flagged(packaged_audit_path("xtd200"))
    loaded = xtd10.load(["de", "war", "lo"], dataset="xtd200", source=nllb_source, exclude_flagged=True)
    for tag in ("de", "war", "lo"):
        rejected = {i for severity, indices in lists[tag].values() if severity == "reject" for i in indices}
        assert sorted(loaded[tag]["index"]) == [i for i in range(1000) if i not in rejected]
    assert any(lists["war"].values())  # the audit found something to drop there



@pytest.mark.integration
def test_audits_of_two_sets_from_one_commit_are_recorded_apart(nllb_source):
    # XTD200 and Flickr30k-200 come from one pinned commit: the audit of one set, recorded on
    # this machine, must not be read as the other's flags for the same language.
    for dataset in ("flickr30k-200", "xtd200"):
        result = CliRunner().invoke(cli, ["crowd", "audit", "--dataset", dataset, "--languages", "war",
                                          "--source", str(nllb_source)])
        assert result.exit_code == 0, result.output
    for descriptor in (XTD200, FLICKR30K_200):
        lists = read_flagged(packaged_audit_path(descriptor.key))
        rejected = {i for severity, indices in lists["war"].values() if severity == "reject" for i in indices}
        kept = xtd10.load("war", dataset=descriptor.key, source=nllb_source, exclude_flagged=True)
        assert sorted(kept["index"]) == [i for i in range(1000) if i not in rejected], descriptor.key


def test_naming_one_encoder_limits_the_semantic_rule_to_its_languages():
    from xtd10.crowd.dataset_audit import semantic_spec
    from xtd10.crowd.table_settings import table_settings

    german, basque = table_settings("de"), table_settings("eu")  # mUSE and e5 know German; only e5 Basque
    assert semantic_spec(german) == "muse" and semantic_spec(basque) == "e5-small"
    assert semantic_spec(german, ("muse",)) == "muse" and semantic_spec(basque, ("muse",)) == ""
    assert semantic_spec(german, ("e5-small",)) == "e5-small"
