"""What a dataset is, declared once: the descriptors of XTD10, its demo set, XTD200 and
Flickr30k-200, and the pinned releases their caption files come from.

Loading, scoring, auditing and the leaderboard read these fields; no code asks for a
dataset by name. The languages of XTD10 come from the language registry, not from a copy.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xtd10.languages import BUILTIN_LANGUAGES, XTD10_CODES, flores_tag
from xtd10.schema.words import R1, R10, SUBSET_ALL, SUBSET_TRAIN2014, SUBSET_VAL2014

_DESCRIPTOR_FILES = Path(__file__).resolve().parent.parent / "descriptors"


@dataclass(frozen=True)
class Release:
    """A pinned upstream repository the caption files come from, and what they must hash to.

    The sha256 of every file is data (``xtd10/descriptors/<name>.json``, recorded once from
    the repository at ``commit``): a source that claims to be this release must reproduce
    them byte for byte, and one that does not gets a ``local-<fingerprint>`` revision.
    ``source_env`` names the variable that points at a local checkout or a mirror.
    """

    repo: str  # owner/name on GitHub
    commit: str
    file_sha256: Mapping[str, str]
    source_env: str

    @property
    def raw_base_url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}"

    @property
    def web_url(self) -> str:
        return f"https://github.com/{self.repo}/tree/{self.commit}"

    @classmethod
    def from_file(cls, name: str, source_env: str) -> Release:
        data = json.loads((_DESCRIPTOR_FILES / f"{name}.json").read_text(encoding="utf-8"))
        return cls(repo=data["repo"], commit=data["commit"], file_sha256=dict(data["files"]), source_env=source_env)


@dataclass(frozen=True)
class DatasetDescriptor:
    """What a dataset is, declared once (in the spirit of mteb's TaskMetadata).

    ``key`` is the name on the command line (``--dataset``); ``name`` the one written to
    result files. ``independent`` lists the languages whose captions were written for the
    images themselves, ``translated`` those translated from English — translations sit
    closer to the English caption, so their scores are not comparable one to one.
    ``ranked`` says whether the leaderboard's main tables rank results on it; a small set
    saturates at R@10, so ``headline_metric`` is what its figures show.

    Where the files come from is data too: ``release`` (pinned repository and checksums),
    ``image_list`` and ``captions`` (language code -> file in that repository), and
    ``image_kind`` (how file names map to images: ``coco2014`` or ``flickr30k``). Loading,
    scoring, auditing and the leaderboard read these fields; no code asks for a dataset
    by name.
    """

    key: str
    name: str
    title: str
    revision: str | None  # pinned revision, None where it is derived from the files
    languages: tuple[str, ...]
    independent: tuple[str, ...]
    translated: tuple[str, ...]
    subsets: tuple[str, ...]
    default_subsets: tuple[str, ...]
    subset_labels: Mapping[str, str]
    image_source: str
    n_images: int | None
    headline_metric: str = R10
    ranked: bool = True
    takes_source: bool = True  # reads captions from --source / its source variable
    takes_images: bool = True  # reads images from --images
    release: Release | None = None
    image_list: str = ""
    captions: Mapping[str, str] = field(default_factory=dict)  # language code -> file in the release
    image_kind: str = "coco2014"
    licence: str = ""  # one line: what the data may be used for
    licence_url: str = ""
    citation: str = ""  # BibTeX of the papers that made the data
    provenance: str = ""  # how the non-English captions were made, one sentence
    languages_from: str = "xtd10"  # where language names/scripts come from: the XTD10 registry or the Flores table
    licence_file: str = ""  # the release's own licence file, copied into a Hub build; "" where it has none
    known_issues: tuple[str, ...] = ()  # what a user of the data must know, for dataset cards
    card_summary: str = ""  # a dataset card's first sentence; {n_languages} is filled in
    card_licence: str = ""  # a dataset card's licence paragraph

    def result_file_name(self, slug: str) -> str:
        """``<slug>.json`` for XTD10, ``<slug>.<name>.json`` otherwise, so that a run on
        another dataset never lands on an XTD10 result."""
        return f"{slug}.json" if self.key == XTD10.key else f"{slug}.{self.name}.json"

    def subset_label(self, subset: str) -> str:
        return self.subset_labels.get(subset, subset)


_XTD10_CITATION = """@misc{aggarwal2020zeroshot,
  title={Towards Zero-shot Cross-lingual Image Retrieval},
  author={Pranav Aggarwal and Ajinkya Kale},
  year={2020},
  eprint={2012.05107},
  archivePrefix={arXiv},
  primaryClass={cs.CL}
}

@misc{aggarwal2021zeroshot,
  title={Towards Zero-shot Cross-lingual Image Retrieval and Tagging},
  author={Pranav Aggarwal and Ritiz Tambi and Ajinkya Kale},
  year={2021},
  eprint={2109.07622},
  archivePrefix={arXiv},
  primaryClass={cs.CV}
}"""
_NLLB_CLIP_CITATION = """@article{visheratin2023nllb,
  title={NLLB-CLIP -- train performant multilingual image retrieval model on a budget},
  author={Visheratin, Alexander},
  journal={arXiv preprint arXiv:2309.01859},
  year={2023}
}"""
_NLLB_NOTICE = ("noncommercial research use only: the upstream repository has no licence file; the captions "
                "derive from {origin} and were translated by NLLB-200, whose weights are CC-BY-NC 4.0")
_NLLB_PROVENANCE = ("The English captions machine-translated by NLLB-200 (3.3B) into the Flores-200 languages "
                    "(Visheratin, 2023).")

_XTD10_RELEASE = Release.from_file("xtd10", source_env="XTD10_SOURCE")
XTD10 = DatasetDescriptor(
    key="xtd10",
    name="xtd10",
    title="XTD10",
    revision=_XTD10_RELEASE.commit,  # adobe-research/Cross-lingual-Test-Dataset-XTD10
    languages=XTD10_CODES,
    independent=("en", "ja"),  # English: MSCOCO captions; Japanese: STAIR Captions, written for the images
    translated=tuple(c for c in XTD10_CODES if c not in ("en", "ja")),
    subsets=(SUBSET_ALL, SUBSET_VAL2014, SUBSET_TRAIN2014),
    default_subsets=(SUBSET_ALL, SUBSET_VAL2014),
    subset_labels={SUBSET_ALL: "all 1000 images",
                   SUBSET_VAL2014: "val2014 subset (the 200 images not in COCO train2014)"},
    image_source="MSCOCO 2014 (train2014 and val2014), downloaded or read from a local copy",
    n_images=1000,
    release=_XTD10_RELEASE,
    image_list="XTD10/test_image_names.txt",
    captions={language.code: language.upstream_path for language in BUILTIN_LANGUAGES},
    licence="Adobe Research License (noncommercial research use only)",
    licence_url=f"{_XTD10_RELEASE.web_url.replace('/tree/', '/blob/')}/LICENSE.md",
    citation=_XTD10_CITATION,
    provenance="Human translations of the English captions (crowdsourced, or from the MIC test set); "
               "Japanese from STAIR Captions, written for the images independently.",
    licence_file="LICENSE.md",
    card_summary="1000 MSCOCO 2014 images with captions in {n_languages} languages, for zero-shot "
                 "cross-lingual image-text retrieval (Aggarwal & Kale, 2020).",
    card_licence="**Adobe Research License — noncommercial research use only.** The full text is in "
                 "`LICENSE.md` and must accompany any redistribution. Commercial use of any kind is "
                 "excluded; contact the authors for commercial licensing. The COCO images are "
                 "under their own terms (COCO: Flickr images, see cocodataset.org).",
    known_issues=(
        "Lines 1-800 are COCO **train2014** images and lines 801-1000 **val2014**: any model "
        "trained on COCO train2014 has seen 800 of the test images. Report the `val2014` "
        "subset (200 images) alongside the full set.",
        "Japanese captions (STAIR Captions) were written independently for each image, not "
        "translated from the English, so Japanese scores are not directly comparable with the "
        "translated languages. Upstream names Japanese `jp`; this build uses ISO 639-1 `ja`.",
        "German and French come from the MIC test set (translations), not from the XTD10 "
        "crowdsourcing campaign.",
        "The English captions are lowercased and tokenized upstream (e.g. `it ' s`); they are "
        "kept exactly as published.",
        "Upstream files mix CRLF and LF line endings and some lack a final newline; this build "
        "removes only that framing and otherwise keeps every caption byte for byte.",
        "The Chinese captions are Simplified Chinese (some tools map `zh` to Traditional).",
    ),
)
DEMO = DatasetDescriptor(
    key="demo",
    name="xtd10-demo",
    title="XTD10 demo set",
    revision=None,  # demo-<fingerprint of the embedded files>
    languages=XTD10_CODES,
    independent=XTD10_CODES,  # every caption written for this project, per language
    translated=(),
    subsets=(SUBSET_ALL,),
    default_subsets=(SUBSET_ALL,),
    subset_labels={SUBSET_ALL: "all images"},
    image_source="photos shipped inside scikit-image, scikit-learn and matplotlib (embedded, offline)",
    n_images=None,
    headline_metric=R1,
    ranked=False,
    takes_source=False,
    takes_images=False,
    image_kind="embedded",
    licence="the toolkit's own captions (MIT); photos under their packages' licences",
)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _flores_descriptor(key: str, title: str, folder: str, image_list: str, image_kind: str, image_source: str,
                       origin: str, subsets: tuple[str, ...], default_subsets: tuple[str, ...],
                       subset_labels: Mapping[str, str], images_phrase: str) -> DatasetDescriptor:
    """One of the NLLB-CLIP evaluation sets: one ``<Flores-200 code>.txt`` per language."""
    files = sorted(p for p in _NLLB_CLIP_RELEASE.file_sha256 if p.startswith(folder + "/"))
    flores = [p[len(folder) + 1:-len(".txt")] for p in files if _FLORES_FILE.fullmatch(p.rsplit("/", 1)[1])]
    codes = tuple(flores_tag(code) for code in flores)
    return DatasetDescriptor(
        key=key, name=key, title=title, revision=_NLLB_CLIP_RELEASE.commit, languages=codes,
        independent=("en",), translated=tuple(c for c in codes if c != "en"), subsets=subsets,
        default_subsets=default_subsets, subset_labels=subset_labels, image_source=image_source, n_images=1000,
        release=_NLLB_CLIP_RELEASE, image_list=image_list, image_kind=image_kind,
        captions={flores_tag(code): f"{folder}/{code}.txt" for code in flores},
        licence=_NLLB_NOTICE.format(origin=origin), licence_url=_NLLB_CLIP_RELEASE.web_url,
        citation=_NLLB_CLIP_CITATION, provenance=_NLLB_PROVENANCE, languages_from="flores",
        card_summary=f"{images_phrase} with captions in {{n_languages}} languages, for zero-shot cross-lingual "
                     f"image-text retrieval. {_NLLB_PROVENANCE}",
        card_licence=f"**{_sentence(_NLLB_NOTICE.format(origin=origin))}.** `LICENSE.md` says so and must "
                     "accompany any redistribution. The images are under their own terms.",
        known_issues=(
            "Every caption but English is a machine translation (NLLB-200, 3.3B) of the English one, "
            "not a human translation: scores on it can over- or under-state a model (`xtd10 bench "
            "translation-gap` compares XTD10's human translations for its 10 languages).",
            "The toolkit's audit of the translations (crowd rules over all 201 languages) flags about 1% "
            "of the captions (English left in, wrong script or language, repetition loops); "
            "`xtd10.load(..., exclude_flagged=True)` leaves them out.",
            "Languages are named by BCP 47 tag; the Flores-200 code of each is in the language table "
            "(`xtd10 data info`). A script subtag is kept where a language is written in two scripts.",
        ),
    )


_FLORES_FILE = re.compile(r"[a-z]{3}_[A-Z][a-z]{3}\.txt")
_NLLB_CLIP_RELEASE = Release.from_file("nllb-clip", source_env="NLLB_CLIP_SOURCE")
XTD200 = _flores_descriptor(
    "xtd200", "XTD200", "data/xtd200", "data/xtd200/test_image_names.txt", "coco2014",
    "the XTD10 images (MSCOCO 2014), downloaded or read from a local copy",
    "XTD10 (Adobe Research License, noncommercial)", XTD10.subsets, XTD10.default_subsets, XTD10.subset_labels,
    "The 1000 XTD10 images (MSCOCO 2014)")
FLICKR30K_200 = _flores_descriptor(
    "flickr30k-200", "Flickr30k-200", "data/flickr30k-200", "data/flickr30k-200/filenames.txt", "flickr30k",
    "the 1000 Flickr30k test images, read from a local copy (Flickr30k's terms: request them from its authors)",
    "Flickr30k captions (Flickr30k terms of use, noncommercial)", (SUBSET_ALL,), (SUBSET_ALL,),
    {SUBSET_ALL: "all 1000 images"}, "The 1000 Flickr30k test images")
DATASETS: dict[str, DatasetDescriptor] = {d.key: d for d in (XTD10, DEMO, XTD200, FLICKR30K_200)}


def dataset_descriptor(name: str) -> DatasetDescriptor | None:
    """The descriptor of a dataset by CLI key or result-file name; None if unknown."""
    for descriptor in DATASETS.values():
        if name in (descriptor.key, descriptor.name):
            return descriptor
    return None


def promoted_descriptor(entries: Iterable[Mapping[str, Any]], revision: str | None = None) -> DatasetDescriptor:
    """XTD10 plus the languages a promoted crowd source adds (its ``languages.json``
    entries, as written by ``xtd10 crowd promote``). An added language counts as translated
    when its provenance says so (the crowd task shows the English caption to translate),
    otherwise as written independently."""
    added = [str(e["code"]) for e in entries if e.get("code") not in XTD10_CODES]
    translated = [str(e["code"]) for e in entries
                  if e.get("code") in added and "translat" in str(e.get("provenance", "")).lower()]
    paths = {str(e["code"]): str(e.get("upstream_path", "")) for e in entries if e.get("code") in added}
    return dataclasses.replace(
        XTD10, title=XTD10.title + " with " + ", ".join(added) if added else XTD10.title,
        revision=revision, languages=(*XTD10.languages, *added),
        independent=(*XTD10.independent, *(c for c in added if c not in translated)),
        translated=(*XTD10.translated, *translated), captions={**XTD10.captions, **paths})
