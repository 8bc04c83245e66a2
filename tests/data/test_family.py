"""XTD200 and Flickr30k-200: one descriptor each, loaded like XTD10.

Real-data tests read a checkout of the upstream repository (``nllb_source``); the unit
tests build a tiny checkout in the same layout, so what a wrong file does is tested
without the real files.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

import xtd10
from tests.data.conftest import FAST_RETRY, IMAGE_NAMES, jpeg_bytes
from tests.data.loopback import LoopbackServer
from xtd10.data.sources import LocalSource, UrlSource, resolve_source
from xtd10.errors import ChecksumMismatchError, SourceError, UnknownLanguageError, XTD10Error
from xtd10.languages import language_table, table_row
from xtd10.schema import FLICKR30K_200, XTD10, XTD200

FLICKR_NAMES = ["1007129816.jpg", "1009434119.jpg", "101362133.jpg"]


def write_nllb_checkout(root: Path, codes=("eng_Latn", "deu_Latn", "arb_Arab", "ace_Arab", "ace_Latn",
                                           "zho_Hans", "rus_Cyrl", "ukr_Cyrl")) -> Path:
    """A tiny checkout in the upstream layout: XTD200 on IMAGE_NAMES, Flickr30k-200 on FLICKR_NAMES."""
    for folder, image_list, names in (("xtd200", "test_image_names.txt", IMAGE_NAMES),
                                      ("flickr30k-200", "filenames.txt", FLICKR_NAMES)):
        base = root / "data" / folder
        base.mkdir(parents=True, exist_ok=True)
        (base / image_list).write_text("".join(f"{n}\n" for n in names))
        for code in codes:
            (base / f"{code}.txt").write_text("".join(f"{code} caption {i}\n" for i in range(len(names))))
    return root


@pytest.fixture
def nllb_checkout(tmp_path) -> Path:
    return write_nllb_checkout(tmp_path / "nllb-clip")


# -- descriptors -------------------------------------------------------------------------
def test_descriptors_name_201_languages_with_a_checksum_for_every_file():
    for descriptor in (XTD200, FLICKR30K_200):
        assert len(descriptor.languages) == 201
        assert descriptor.release is not None
        pinned = descriptor.release.file_sha256
        for relpath in (descriptor.image_list, *descriptor.captions.values()):
            assert len(pinned[relpath]) == 64, relpath
        assert "en" in descriptor.languages and "zh-Hans" in descriptor.languages
        assert descriptor.translated == tuple(c for c in descriptor.languages if c != "en")
        assert "noncommercial" in descriptor.licence and "@article" in descriptor.citation
    # XTD200 shares XTD10's image list and English captions byte for byte: same recorded hashes
    assert XTD200.release.file_sha256[XTD200.image_list] == XTD10.release.file_sha256[XTD10.image_list]
    assert XTD200.release.file_sha256[XTD200.captions["en"]] == XTD10.release.file_sha256[XTD10.captions["en"]]


# -- language codes ----------------------------------------------------------------------
def test_flores_codes_and_bcp47_tags_name_the_same_language(nllb_checkout):
    registry = resolve_source(nllb_checkout, XTD200).registry
    for spelling, tag in (("zho_Hans", "zh-Hans"), ("zh-hans", "zh-Hans"), ("zh", "zh-Hans"), ("arb_Arab", "ar"),
                          ("ar", "ar"), ("deu", "de"), ("deu_Latn", "de"), ("ace_Latn", "ace-Latn"),
                          ("zho_Hant", "zh-Hant")):
        assert registry.normalize(spelling) == tag
    # XTD10's registry answers to the Flores spellings of its own languages too
    assert xtd10.load("deu_Latn", source=str(write_tiny(nllb_checkout.parent)))[0]["language"] == "de"


def write_tiny(parent: Path) -> Path:
    from tests.data.conftest import write_tiny_source

    return write_tiny_source(parent / "xtd10-src")


def test_a_language_in_two_scripts_must_be_named_with_its_script(nllb_checkout):
    registry = resolve_source(nllb_checkout, XTD200).registry
    with pytest.raises(UnknownLanguageError, match=r"ambiguous language 'ace'.*ace-Arab.*ace-Latn"):
        registry.get("ace")
    with pytest.raises(UnknownLanguageError, match="ambiguous language 'zho'"):
        registry.get("zho")


def test_unknown_codes_name_the_code_without_listing_200_languages(nllb_checkout):
    with pytest.raises(UnknownLanguageError) as err:
        xtd10.load("xx_Latn", dataset="xtd200", source=nllb_checkout)
    message = str(err.value)
    assert "'xx_Latn'" in message and "201 languages" in message and len(message) < 300


def test_script_selects_every_language_written_in_it(nllb_checkout):
    registry = resolve_source(nllb_checkout, XTD200).registry
    cyrillic = sorted(row.tag for row in language_table() if row.flores.endswith("_Cyrl"))
    assert "ru" in cyrillic and "uk" in cyrillic and len(cyrillic) == 12
    assert sorted(registry.resolve_many("script:Cyrl")) == cyrillic
    assert registry.resolve_many("de,script:cyrl,ru")[:2] == ["de", cyrillic[0]]
    with pytest.raises(UnknownLanguageError, match="no language written in script 'Zzzz'"):
        xtd10.load("script:Zzzz", dataset="xtd200", source=nllb_checkout)


def test_table_rows_give_tags_for_the_xtd10_codes():
    assert table_row("jp").tag == "ja" and table_row("zh").tag == "zh-Hans" and table_row("kr").tag == "ko"


# -- loading -----------------------------------------------------------------------------
def test_xtd200_rows_point_at_the_xtd10_images(nllb_checkout):
    ds = xtd10.load("de", dataset="xtd200", source=nllb_checkout)
    assert ds.column_names == ["index", "image_id", "file_name", "coco_split", "language", "caption_index", "caption"]
    assert list(ds["file_name"]) == IMAGE_NAMES and ds[2]["coco_split"] == "val2014"
    assert ds[0]["caption"] == "deu_Latn caption 0"
    assert "noncommercial" in ds.info.license and "Visheratin" in ds.info.citation
    assert xtd10.load("de", dataset="xtd200", source=nllb_checkout, subset="val2014").num_rows == 2


def test_flickr_rows_name_the_flickr_images_and_their_split(nllb_checkout):
    ds = xtd10.load("ru", dataset="flickr30k-200", source=nllb_checkout)
    assert list(ds["file_name"]) == FLICKR_NAMES
    assert ds[0]["image_id"] == 1007129816 and set(ds["coco_split"]) == {"test"}
    with pytest.raises(ValueError, match="unknown subset 'val2014' of Flickr30k-200"):
        xtd10.load("ru", dataset="flickr30k-200", source=nllb_checkout, subset="val2014")


def test_xtd10_carries_its_licence_and_citation_too(tiny_source):
    ds = xtd10.load("es", source=tiny_source)
    assert ds.info.license.startswith("Adobe Research License") and "Aggarwal" in ds.info.citation


def test_flickr_images_come_from_a_folder_never_from_the_network(nllb_checkout, tmp_path):
    with pytest.raises(XTD10Error, match="Flickr30k-200 images .* cannot be downloaded"):
        xtd10.load("de", dataset="flickr30k-200", source=nllb_checkout, images=True)
    folder = tmp_path / "flickr" / "flickr30k-images"
    folder.mkdir(parents=True)
    for i, name in enumerate(FLICKR_NAMES):
        (folder / name).write_bytes(jpeg_bytes(i))
    ds = xtd10.load("de", dataset="flickr30k-200", source=nllb_checkout, images=str(folder.parent))
    assert ds[1]["image"].size == (32, 24)
    (folder / FLICKR_NAMES[2]).unlink()
    with pytest.raises(XTD10Error, match=r"101362133\.jpg"):
        xtd10.load("de", dataset="flickr30k-200", source=nllb_checkout, images=str(folder.parent))


# -- bad input ---------------------------------------------------------------------------
def test_a_file_with_the_wrong_line_count_names_the_file(nllb_checkout):
    path = nllb_checkout / "data" / "xtd200" / "deu_Latn.txt"
    path.write_text("only one line\n")
    with pytest.raises(SourceError, match=r"deu_Latn\.txt: 1 caption lines but the image list has 4 images"):
        xtd10.load("de", dataset="xtd200", source=nllb_checkout)


def test_a_missing_file_names_the_file_and_a_folder_too_deep_names_its_parent(nllb_checkout):
    (nllb_checkout / "data" / "xtd200" / "arb_Arab.txt").unlink()
    with pytest.raises(SourceError, match=r"arb_Arab\.txt: missing from the XTD200 source directory"):
        xtd10.load("ar", dataset="xtd200", source=nllb_checkout)
    with pytest.raises(SourceError, match=f"below {nllb_checkout}: pass that folder instead"):
        xtd10.load("de", dataset="xtd200", source=nllb_checkout / "data")


def test_a_source_for_one_dataset_is_refused_for_another(nllb_checkout):
    with pytest.raises(SourceError, match="holds XTD200, not Flickr30k-200"):
        resolve_source(LocalSource(nllb_checkout, dataset=XTD200), FLICKR30K_200)


def test_the_pinned_release_over_http_is_verified_and_an_edited_file_refused(nllb_checkout):
    """The release's own checksums decide: a served file that differs is an error naming it,
    and nothing of it stays in the cache."""
    tiny = {rel: hashlib.sha256((nllb_checkout / rel).read_bytes()).hexdigest()
            for rel in ("data/xtd200/test_image_names.txt", "data/xtd200/deu_Latn.txt", "data/xtd200/eng_Latn.txt")}
    release = XTD200.release
    patched = dataclasses.replace(release, file_sha256={**release.file_sha256, **tiny})
    descriptor = dataclasses.replace(XTD200, release=patched)
    with LoopbackServer(nllb_checkout) as server:
        source = UrlSource(base_url=server.url, retry=FAST_RETRY, dataset=descriptor)
        frame = xtd10.data.load_frame("de", source=source, dataset=descriptor)
        assert frame["caption"].tolist()[0] == "deu_Latn caption 0"
        assert source.revision(source.relpaths(["de"])) == release.commit
        (nllb_checkout / "data" / "xtd200" / "eng_Latn.txt").write_text("edited\n" * 4)
        with pytest.raises(ChecksumMismatchError, match=r"eng_Latn\.txt"):
            xtd10.data.load_frame("en", source=source, dataset=descriptor)
        assert not (source.cache_dir / "data" / "xtd200" / "eng_Latn.txt").exists()


# -- the real files ----------------------------------------------------------------------
@pytest.mark.integration
@pytest.mark.parametrize("descriptor", [XTD200, FLICKR30K_200], ids=lambda d: d.key)
def test_real_release_loads_201_languages_of_1000_rows_verified(nllb_source, descriptor):
    dd = xtd10.load(dataset=descriptor.key, source=nllb_source)
    assert len(dd) == 201 and {len(ds) for ds in dd.values()} == {1000}
    assert set(dd) == set(descriptor.languages)
    source = resolve_source(nllb_source, descriptor)
    assert source.revision(source.relpaths(descriptor.languages)) == descriptor.release.commit
    assert dd["en"].info.license == descriptor.licence and dd["zh-Hans"].info.citation == descriptor.citation


@pytest.mark.integration
def test_real_xtd200_english_is_xtd10_english(nllb_source, real_source):
    english_200 = xtd10.load("en", dataset="xtd200", source=nllb_source)
    english_10 = xtd10.load("en", source=real_source)
    assert english_200["caption"] == english_10["caption"] and english_200["file_name"] == english_10["file_name"]


def test_data_build_writes_a_hub_folder_for_xtd200_with_its_terms(nllb_checkout, tmp_path):
    import datasets
    from click.testing import CliRunner

    from xtd10.cli import cli

    out = tmp_path / "hub"
    result = CliRunner().invoke(cli, ["data", "build", str(out), "--dataset", "xtd200", "--source",
                                      str(nllb_checkout), "--languages", "en,deu_Latn,zh"])
    assert result.exit_code == 0, result.output
    ds = datasets.load_dataset(str(out), "zh-Hans", split="test")
    assert ds["caption"][0] == "zho_Hans caption 0" and ds.num_rows == len(IMAGE_NAMES)
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "# XTD200: a multilingual image-text retrieval test set" in card and "machine-translated" in card
    assert "pretty_name: XTD200" in card and "- zh-Hans" in card and "Visheratin" in card
    terms = (out / "LICENSE.md").read_text(encoding="utf-8")
    assert "has no licence file" in terms and "noncommercial" in terms.lower()
