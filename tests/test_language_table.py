"""The XTD200 language table is checked against references written out here, not derived from it.

The table is hand-curated data that the language registry trusts, so a typo in it (a duplicated
tag, an alias that shadows another language, a py3langid label the identifier never outputs)
would surface as a wrong language far from its cause.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from importlib.resources import files

import pytest

from tests.installed import need

# The Flores-200 codes of XTD200's caption files, in the table's order.
_FLORES_TEXT = """
ace_Arab ace_Latn acm_Arab acq_Arab aeb_Arab afr_Latn ajp_Arab aka_Latn als_Latn amh_Ethi apc_Arab
arb_Arab ars_Arab ary_Arab arz_Arab asm_Beng ast_Latn awa_Deva ayr_Latn azb_Arab azj_Latn bak_Cyrl
bam_Latn ban_Latn bel_Cyrl bem_Latn ben_Beng bho_Deva bjn_Arab bjn_Latn bod_Tibt bos_Latn bug_Latn
bul_Cyrl cat_Latn ceb_Latn ces_Latn cjk_Latn ckb_Arab crh_Latn cym_Latn dan_Latn deu_Latn dik_Latn
dyu_Latn dzo_Tibt ell_Grek eng_Latn epo_Latn est_Latn eus_Latn ewe_Latn fao_Latn fij_Latn fin_Latn
fon_Latn fra_Latn fur_Latn fuv_Latn gaz_Latn gla_Latn gle_Latn glg_Latn grn_Latn guj_Gujr hat_Latn
hau_Latn heb_Hebr hin_Deva hne_Deva hrv_Latn hun_Latn hye_Armn ibo_Latn ilo_Latn ind_Latn isl_Latn
ita_Latn jav_Latn jpn_Jpan kab_Latn kac_Latn kam_Latn kan_Knda kas_Arab kas_Deva kat_Geor kaz_Cyrl
kbp_Latn kea_Latn khk_Cyrl khm_Khmr kik_Latn kin_Latn kir_Cyrl kmb_Latn kmr_Latn knc_Arab knc_Latn
kon_Latn kor_Hang lao_Laoo lij_Latn lim_Latn lin_Latn lit_Latn lmo_Latn ltg_Latn ltz_Latn lua_Latn
lug_Latn luo_Latn lus_Latn lvs_Latn mag_Deva mai_Deva mal_Mlym mar_Deva min_Latn mkd_Cyrl mlt_Latn
mni_Beng mos_Latn mri_Latn mya_Mymr nld_Latn nno_Latn nob_Latn npi_Deva nso_Latn nus_Latn nya_Latn
oci_Latn ory_Orya pag_Latn pan_Guru pap_Latn pbt_Arab pes_Arab plt_Latn pol_Latn por_Latn prs_Arab
quy_Latn ron_Latn run_Latn rus_Cyrl sag_Latn san_Deva scn_Latn shn_Mymr sin_Sinh slk_Latn slv_Latn
smo_Latn sna_Latn snd_Arab som_Latn sot_Latn spa_Latn srd_Latn srp_Cyrl ssw_Latn sun_Latn swe_Latn
swh_Latn szl_Latn tam_Taml taq_Latn taq_Tfng tat_Cyrl tel_Telu tgk_Cyrl tgl_Latn tha_Thai tir_Ethi
tpi_Latn tsn_Latn tso_Latn tuk_Latn tum_Latn tur_Latn twi_Latn tzm_Tfng uig_Arab ukr_Cyrl umb_Latn
urd_Arab uzn_Latn vec_Latn vie_Latn war_Latn wol_Latn xho_Latn ydd_Hebr yor_Latn yue_Hant zho_Hans
zho_Hant zsm_Latn zul_Latn
"""
FLORES_CODES = _FLORES_TEXT.split()

COLUMNS = ["tag", "flores", "name", "script", "aliases", "xtd10", "langid", "trained"]

XTD10_BY_FLORES = {
    "eng_Latn": "en", "deu_Latn": "de", "spa_Latn": "es", "fra_Latn": "fr", "ita_Latn": "it",
    "jpn_Jpan": "ja", "kor_Hang": "ko", "pol_Latn": "pl", "rus_Cyrl": "ru", "tur_Latn": "tr",
    "zho_Hans": "zh",
}

# The multilingual Universal Sentence Encoder v3's 16 languages, as Flores rows.
MUSE_FLORES = {
    "arb_Arab", "zho_Hans", "zho_Hant", "nld_Latn", "eng_Latn", "fra_Latn", "deu_Latn", "ita_Latn",
    "jpn_Jpan", "kor_Hang", "pol_Latn", "por_Latn", "spa_Latn", "tha_Thai", "tur_Latn", "rus_Cyrl",
}

# Spellings XTD10's own files and tools use, which must keep resolving to these rows.
FIXED_ALIASES = {
    "jpn_Jpan": {"jp", "jpn"}, "kor_Hang": {"kr"}, "zho_Hans": {"zh-cn", "cn"}, "zho_Hant": {"zh-tw"},
}

TAG_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?$")


def _table_text() -> str:
    return files("xtd10").joinpath("language_table.tsv").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    lines = [line for line in _table_text().splitlines() if not line.startswith("#")]
    reader = csv.reader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    header = next(reader)
    assert header == COLUMNS
    table = []
    for number, fields in enumerate(reader, start=2):
        assert len(fields) == len(COLUMNS), f"data line {number} has {len(fields)} fields"
        table.append(dict(zip(COLUMNS, fields, strict=True)))
    return table


def test_file_is_plain_utf8_with_unix_lines():
    raw = files("xtd10").joinpath("language_table.tsv").read_bytes()
    raw.decode("utf-8")
    assert b"\r" not in raw
    assert raw.endswith(b"\n")


def test_one_row_per_flores_code_in_reference_order(rows):
    assert len(FLORES_CODES) == 201 == len(set(FLORES_CODES))
    assert [row["flores"] for row in rows] == FLORES_CODES


def test_fields_have_no_stray_whitespace_and_names_are_given(rows):
    for row in rows:
        for column, value in row.items():
            assert value == value.strip(), (row["flores"], column)
            assert "  " not in value, (row["flores"], column)
        assert row["name"], row["flores"]
    names = Counter(row["name"] for row in rows)
    assert [name for name, count in names.items() if count > 1] == []


def test_script_is_the_flores_suffix(rows):
    for row in rows:
        assert row["script"] == row["flores"].split("_")[1], row["flores"]


def test_tags_are_canonical_and_unique(rows):
    tags = [row["tag"] for row in rows]
    assert [tag for tag in tags if not TAG_PATTERN.match(tag)] == []
    assert len(set(tags)) == len(tags)


def test_script_subtag_only_for_languages_written_two_ways_here(rows):
    per_language = Counter(code.split("_")[0] for code in FLORES_CODES)
    for row in rows:
        iso639_3, script = row["flores"].split("_")
        two_scripts = per_language[iso639_3] == 2
        assert ("-" in row["tag"]) == two_scripts, row["flores"]
        if two_scripts:
            assert row["tag"].split("-")[1] == script, row["flores"]


def test_every_spelling_resolves_to_one_row(rows):
    owner: dict[str, str] = {}
    for row in rows:
        aliases = row["aliases"].split()
        assert all(alias == alias.lower() for alias in aliases), row["flores"]
        assert len(set(aliases)) == len(aliases), row["flores"]
        assert row["tag"].lower() not in aliases and row["flores"].lower() not in aliases, row["flores"]
        spellings = {row["tag"], row["flores"], *aliases}
        if row["xtd10"]:
            spellings.add(row["xtd10"])
        for spelling in spellings:
            key = spelling.lower()
            assert owner.setdefault(key, row["flores"]) == row["flores"], (
                f"{spelling!r} names both {owner[key]} and {row['flores']}"
            )


def test_single_script_languages_resolve_by_their_iso_639_3_code(rows):
    per_language = Counter(code.split("_")[0] for code in FLORES_CODES)
    for row in rows:
        iso639_3 = row["flores"].split("_")[0]
        if per_language[iso639_3] == 1:
            assert iso639_3 in {row["tag"], *row["aliases"].split()}, row["flores"]


def test_fixed_xtd10_aliases(rows):
    by_flores = {row["flores"]: row for row in rows}
    for flores, aliases in FIXED_ALIASES.items():
        assert aliases <= set(by_flores[flores]["aliases"].split()), flores


def test_the_eleven_xtd10_codes(rows):
    assert {row["flores"]: row["xtd10"] for row in rows if row["xtd10"]} == XTD10_BY_FLORES


def test_langid_labels_exist_in_the_installed_identifier(rows):
    need("py3langid")
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    classes = {str(label) for label in LanguageIdentifier.from_model_file(MODEL_FILE).nb_classes}
    used = {row["langid"] for row in rows if row["langid"]}
    assert used, "no row names a py3langid label"
    assert sorted(used - classes) == []


def test_trained_names_only_known_encoders(rows):
    trained = {row["flores"]: row["trained"].split() for row in rows}
    for flores, encoders in trained.items():
        assert set(encoders) <= {"muse", "e5-small"}, flores
        assert len(set(encoders)) == len(encoders), flores
    assert len(MUSE_FLORES) == 16
    assert {flores for flores, encoders in trained.items() if "muse" in encoders} == MUSE_FLORES
    e5 = {flores for flores, encoders in trained.items() if "e5-small" in encoders}
    # Every mUSE language is also one of XLM-R's CC-100 languages.
    assert e5 >= MUSE_FLORES
