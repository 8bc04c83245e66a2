import pytest

from xtd10.errors import UnknownLanguageError
from xtd10.languages import REGISTRY, XTD10_CODES, Language, get_language, normalize_language


def test_eleven_languages_with_iso_codes():
    assert set(XTD10_CODES) == {"en", "de", "es", "fr", "it", "ja", "ko", "pl", "ru", "tr", "zh"}


def test_jp_is_an_alias_of_ja_and_keeps_upstream_path():
    assert normalize_language("jp") == "ja"
    assert normalize_language(" JP ") == "ja"
    assert get_language("ja").upstream_path == "STAIR/test_1kcaptions_jp.txt"


def test_provenance_distinguishes_sources():
    assert "independent" in get_language("ja").provenance.lower()
    assert "MIC" in get_language("de").provenance
    assert get_language("es").provenance == get_language("zh").provenance != get_language("fr").provenance
    assert get_language("en").provenance == "original"


def test_unknown_code_lists_valid_and_suggests_closest():
    with pytest.raises(UnknownLanguageError) as err:
        get_language("esp")
    message = str(err.value)
    assert "'es'" in message and "Valid codes: en, de" in message


@pytest.mark.parametrize(("typed", "meant"), [
    ("Spanish", "es"), ("chinese", "zh"), ("ger", "de"), ("ja-JP", "ja"), ("zh_TW", "zh"), ("esp", "es"),
    ("jap", "ja"), ("spanisch", "es"), ("pt", None), ("sp", "es"), ("xx", None),  # sp: near spa (ISO 639-3)
])
def test_suggestions_follow_names_prefixes_and_region_tags(typed, meant):
    assert REGISTRY.suggest(typed) == meant
    with pytest.raises(UnknownLanguageError) as err:
        get_language(typed)
    assert ("Did you mean" in str(err.value)) == (meant is not None)
    if meant:
        assert f"Did you mean {meant!r} ({get_language(meant).name})?" in str(err.value)


def test_resolve_many_handles_all_commas_and_duplicates():
    assert REGISTRY.resolve_many("all") == list(XTD10_CODES)
    assert REGISTRY.resolve_many("es,jp,es") == ["es", "ja"]
    with pytest.raises(UnknownLanguageError):
        REGISTRY.resolve_many(["es", "xx"])


def test_extra_languages_extend_a_copy_only():
    hindi = Language.from_dict({"code": "hi", "name": "Hindi", "script": "Deva", "provenance": "crowd",
                                "upstream_path": "CROWD/test_1kcaptions_hi.txt", "layout": "indexed"})
    extended = REGISTRY.with_extra([hindi])
    assert extended.get("hi").layout == "indexed" and not extended.get("hi").builtin
    assert "hi" not in REGISTRY
    assert Language.from_dict(hindi.to_dict()) == hindi
    with pytest.raises(ValueError, match="unknown language registry fields"):
        Language.from_dict({**hindi.to_dict(), "bogus": 1})
