"""The words of an XTD10 result and the one model that reads and writes result files.

Everything that names a track, a direction, a subset, a metric or an aggregate imports it
from here, and every result file — written by ``xtd10 bench run``, compared by ``bench
compare``, ranked by the leaderboard — goes through :meth:`Result.load` and
:meth:`Result.save`. One reader means one set of rules: a file the leaderboard accepts is
a file the benchmark accepts, with the same error message naming the same field.

The layout follows the habits of other evaluation harnesses (mteb, lm-evaluation-harness):
a flat list of metric rows keyed by (track, direction, language, subset, metric), with the
run's configuration, the encoder's identity and the data's revision beside it.

This module sits at the bottom of the package: it uses only the foundation modules
``xtd10.errors``, ``xtd10.files`` and ``xtd10.userfiles`` (which import nothing of
``xtd10`` themselves), so the data layer, the benchmark, the leaderboard and the baseline
can all depend on it without cycles. ``docs/result.schema.json`` is generated from it by
:func:`json_schema`; docs/result-schema.md explains the fields.

Quick use::

    from xtd10.schema import Result
    result = Result.load("leaderboards/results/muse.json")   # validated, or ResultFileError
    result.value("text", "x2en", "de", "all", "R@10")         # 0.991
    result.cells()                                            # scored (track, direction, language, subset)
    result.save("copy.json")                                  # atomic, diff-friendly JSON
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from xtd10.errors import XTD10Error
from xtd10.files import atomic_write_text
from xtd10.languages import LANGUAGE_CODE, flores_tag
from xtd10.userfiles import read_json

# --------------------------------------------------------------------------------------
# The words
# --------------------------------------------------------------------------------------
SCHEMA_NAME = "xtd10.result"
SCHEMA_VERSION = 1

IMAGE_TRACK = "image"
TEXT_TRACK = "text"
# track -> its two directions: text->image / image->text, caption in X -> English / English -> X
TRACKS: dict[str, tuple[str, str]] = {IMAGE_TRACK: ("t2i", "i2t"), TEXT_TRACK: ("x2en", "en2x")}
DIRECTIONS: tuple[str, ...] = tuple(d for pair in TRACKS.values() for d in pair)
DIRECTION_DESCRIPTIONS: dict[str, str] = dict(zip(DIRECTIONS, (
    "text → image", "image → text", "caption in language → English caption", "English caption → caption in language",
), strict=True))
# Each track's two directions answer each other: the gallery of one is the queries of the other.
OPPOSITE: dict[str, str] = {d: pair[1 - i] for pair in TRACKS.values() for i, d in enumerate(pair)}
# The first direction of each track has the captions as queries (what succeeds or fails).
CAPTION_QUERIES: dict[str, str] = {pair[0]: track for track, pair in TRACKS.items()}
BOTH_TRACKS = "both"  # the CLI's word for every track

SUBSET_ALL = "all"  # every image of the dataset
SUBSET_VAL2014 = "val2014"  # XTD10: the 200 images absent from COCO train2014

AVG = "avg"  # mean over every scored language
AVG_NON_EN = "avg_non_en"  # mean over the non-English ones
AGGREGATES: tuple[str, ...] = (AVG, AVG_NON_EN)
ALL_LANGUAGES = "all"  # the language of cross-lingual rows (consistency)

DEFAULT_KS: tuple[int, ...] = (1, 5, 10)
NDCG_DEPTH = 10
MEDR, MEANR, MRR, NDCG = "MedR", "MeanR", "MRR", f"nDCG@{NDCG_DEPTH}"
CONSISTENCY = "consistency"
RANK_METRICS = (MEDR, MEANR)  # 1-based ranks: 1 is best, never below 1


def recall_name(k: int) -> str:
    """``R@k``: the share of queries whose first relevant item is in the top k."""
    return f"R@{k}"


def recall_k(metric: str) -> int | None:
    """k of an ``R@k`` name, else None."""
    found = re.fullmatch(r"R@([1-9][0-9]*)", metric)
    return int(found.group(1)) if found else None


RECALL_METRICS: tuple[str, ...] = tuple(recall_name(k) for k in DEFAULT_KS)
# the order metric rows are written and shown in
METRIC_ORDER: tuple[str, ...] = (*RECALL_METRICS, MEDR, MEANR, MRR, NDCG)


def metric_names(ks: Iterable[int] = DEFAULT_KS) -> list[str]:
    """The per-cell metrics of a run with these ``ks``: its recalls, then the rest."""
    return [recall_name(k) for k in ks] + [m for m in METRIC_ORDER if recall_k(m) is None]


def is_fraction(metric: str) -> bool:
    """Stored as fractions in [0, 1] (recalls, MRR, nDCG); shown in percent."""
    return recall_k(metric) is not None or metric in (MRR, NDCG)


def lower_is_better(metric: str) -> bool:
    return metric in (*RANK_METRICS, CONSISTENCY)


def is_known_metric(metric: str) -> bool:
    return recall_k(metric) is not None or metric in (MEDR, MEANR, MRR, NDCG, CONSISTENCY)


CELL_FIELDS = ("track", "direction", "language", "subset")
METRIC_FIELDS = (*CELL_FIELDS, "metric", "value", "ci_low", "ci_high", "n_queries")

Cell = tuple[str, str, str, str]


# --------------------------------------------------------------------------------------
# Dataset descriptors
# --------------------------------------------------------------------------------------
_DESCRIPTOR_FILES = Path(__file__).resolve().parent / "descriptors"


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
    headline_metric: str = "R@10"
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

XTD10_LANGUAGES = ("en", "de", "es", "fr", "it", "ja", "ko", "pl", "ru", "tr", "zh")
_XTD10_RELEASE = Release.from_file("xtd10", source_env="XTD10_SOURCE")
XTD10 = DatasetDescriptor(
    key="xtd10",
    name="xtd10",
    title="XTD10",
    revision=_XTD10_RELEASE.commit,  # adobe-research/Cross-lingual-Test-Dataset-XTD10
    languages=XTD10_LANGUAGES,
    independent=("en", "ja"),  # English: MSCOCO captions; Japanese: STAIR Captions, written for the images
    translated=tuple(c for c in XTD10_LANGUAGES if c not in ("en", "ja")),
    subsets=(SUBSET_ALL, SUBSET_VAL2014, "train2014"),
    default_subsets=(SUBSET_ALL, SUBSET_VAL2014),
    subset_labels={SUBSET_ALL: "all 1000 images",
                   SUBSET_VAL2014: "val2014 subset (the 200 images not in COCO train2014)"},
    image_source="MSCOCO 2014 (train2014 and val2014), downloaded or read from a local copy",
    n_images=1000,
    release=_XTD10_RELEASE,
    image_list="XTD10/test_image_names.txt",
    captions={"en": "XTD10/test_1kcaptions_en.txt", "de": "MIC/test_1kcaptions_de.txt",
              "es": "XTD10/test_1kcaptions_es.txt", "fr": "MIC/test_1kcaptions_fr.txt",
              "it": "XTD10/test_1kcaptions_it.txt", "ja": "STAIR/test_1kcaptions_jp.txt",
              "ko": "XTD10/test_1kcaptions_ko.txt", "pl": "XTD10/test_1kcaptions_pl.txt",
              "ru": "XTD10/test_1kcaptions_ru.txt", "tr": "XTD10/test_1kcaptions_tr.txt",
              "zh": "XTD10/test_1kcaptions_zh.txt"},
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
    languages=XTD10_LANGUAGES,
    independent=XTD10_LANGUAGES,  # every caption written for this project, per language
    translated=(),
    subsets=(SUBSET_ALL,),
    default_subsets=(SUBSET_ALL,),
    subset_labels={SUBSET_ALL: "all images"},
    image_source="photos shipped inside scikit-image, scikit-learn and matplotlib (embedded, offline)",
    n_images=None,
    headline_metric="R@1",
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
    added = [str(e["code"]) for e in entries if e.get("code") not in XTD10_LANGUAGES]
    translated = [str(e["code"]) for e in entries
                  if e.get("code") in added and "translat" in str(e.get("provenance", "")).lower()]
    paths = {str(e["code"]): str(e.get("upstream_path", "")) for e in entries if e.get("code") in added}
    return dataclasses.replace(
        XTD10, title=XTD10.title + " with " + ", ".join(added) if added else XTD10.title,
        revision=revision, languages=(*XTD10.languages, *added),
        independent=(*XTD10.independent, *(c for c in added if c not in translated)),
        translated=(*XTD10.translated, *translated), captions={**XTD10.captions, **paths})


# --------------------------------------------------------------------------------------
# Per-query outcome
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueryStats:
    """Per-query outcome of one scored cell: all metrics, bootstraps and paired tests start here."""

    ranks: np.ndarray  # int64 (n,), 1-based rank of the first relevant item
    ndcg: np.ndarray  # float64 (n,), nDCG@10 of each query

    def __len__(self) -> int:
        return int(self.ranks.shape[0])

    def take(self, index: np.ndarray) -> QueryStats:
        return QueryStats(self.ranks[index], self.ndcg[index])


def ndcg_from_single_ranks(ranks: np.ndarray) -> np.ndarray:
    """nDCG@10 of queries that have exactly one relevant item."""
    ranks = np.asarray(ranks, dtype=np.float64)
    return np.where(ranks <= NDCG_DEPTH, 1.0 / np.log2(ranks + 1.0), 0.0)


# --------------------------------------------------------------------------------------
# What a result file may record about where it came from
# --------------------------------------------------------------------------------------
PATH_PLACEHOLDER = "<path>"
_PATH_OPTIONS = ("--source", "--images", "--out", "--config", "--results", "--reported", "--settings", "--report",
                 "-o")
_KEYWORDS = {"download", "true", "false", "all"}


def _looks_like_local_path(text: str) -> bool:
    return text.startswith(("/", "~", "./", "../", "\\\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", text))


def public_command(command: str) -> str:
    """The command line without machine paths: values of path options and absolute path
    arguments become ``<path>`` (a ``prefix:/abs/dir`` spec keeps its prefix)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    out: list[str] = []
    for number, word in enumerate(words):
        flag, eq, value = word.partition("=")
        if word.startswith(("http://", "https://")):
            out.append(word)
        elif eq and flag in _PATH_OPTIONS and not _is_public_value(value):
            out.append(f"{flag}={PATH_PLACEHOLDER}")
        elif (number and words[number - 1] in _PATH_OPTIONS and not _is_public_value(word)) \
                or _looks_like_local_path(word):
            out.append(PATH_PLACEHOLDER)
        elif re.match(r"^[a-z_]+:", word) and _looks_like_local_path(word.partition(":")[2]):
            out.append(word.partition(":")[0] + ":" + PATH_PLACEHOLDER)
        else:
            out.append(word)
    return " ".join(shlex.quote(w) if w != PATH_PLACEHOLDER and not w.endswith(PATH_PLACEHOLDER) else w
                    for w in out)


def _names_local_file(text: str) -> bool:
    """Whether a spec's argument names something on this machine: a path spelled as one, a
    ``.py`` file, or a relative path that exists here."""
    if _looks_like_local_path(text) or text.endswith(".py"):
        return True
    try:
        return ("/" in text or os.sep in text) and Path(text).expanduser().exists()
    except OSError:
        return False


def public_spec(spec: str) -> str:
    """An encoder spec without the machine's paths: ``hf:/home/me/models/ModelA`` ->
    ``hf:<path>/ModelA``; ``py:./src/enc.py:build`` and ``py:/abs/src/enc.py:build`` ->
    ``py:<path>/enc.py:build`` (one encoder, one spelling). Hub ids and built-in names are
    kept as they are."""
    prefix, colon, rest = spec.partition(":")
    if not colon or not re.fullmatch(r"[a-z_]+", prefix) or rest.startswith(PATH_PLACEHOLDER):
        return spec
    factory = ""
    if prefix == "py" and rest.count(":") and not re.match(r"^[A-Za-z]:[\\/]", rest[rest.rfind(":") - 1:]):
        head, _, factory = rest.rpartition(":")
        if head:
            rest, factory = head, ":" + factory
        else:
            factory = ""
    model, at, weights = rest.partition("@")  # open_clip:ARCH@FILE
    if at and _names_local_file(weights):
        return f"{prefix}:{model}@{PATH_PLACEHOLDER}/{_last_part(weights)}"
    if not _names_local_file(rest):
        return spec
    return f"{prefix}:{PATH_PLACEHOLDER}/{_last_part(rest) or 'local'}{factory}"


def public_name(name: str) -> str:
    """A display name that is a local path becomes its last part (the folder or file name)."""
    if _looks_like_local_path(name) or ("/" in name and Path(name).expanduser().exists()):
        return _last_part(name) or name
    return name


def _last_part(path: str) -> str:
    """The folder or file name at the end of a path, in POSIX or Windows spelling."""
    return re.split(r"[\\/]", path.rstrip("/\\"))[-1]


def _is_public_value(value: str) -> bool:
    return value.lower() in _KEYWORDS or value.startswith(("http://", "https://"))


def public_source(source: Mapping[str, Any]) -> dict[str, Any]:
    """A source description without a local location: the kind always, the location only
    when it is a URL or a module name (not where files live on this machine)."""
    out = {k: v for k, v in source.items() if k != "location"}
    location = source.get("location")
    if isinstance(location, str) and (location.startswith(("http://", "https://"))
                                      or (source.get("kind") == "embedded" and not _looks_like_local_path(location))):
        out["location"] = location
    return out


# --------------------------------------------------------------------------------------
# The result model
# --------------------------------------------------------------------------------------
class ResultFileError(XTD10Error):
    """A result file that cannot be read: not JSON, wrong schema, a malformed or
    inconsistent field. The message names the file and the field."""


REQUIRED = ("dataset", "encoder", "metrics")
OPTIONAL = ("toolkit_version", "created", "command", "config", "timings", "hardware")


@dataclass
class Result:
    """One evaluation of one encoder on one dataset (schema ``xtd10.result`` v1).

    ``metrics`` holds one dict per (track, direction, language, subset, metric) with
    ``value``, ``ci_low``, ``ci_high`` (95% bootstrap interval or None) and ``n_queries``;
    ``per_query`` the 1-based rank of every query of every scored cell. Unknown top-level
    fields are kept in ``extra`` and written back unchanged.
    """

    dataset: dict[str, Any]
    encoder: dict[str, Any]
    metrics: list[dict[str, Any]]
    toolkit_version: str = ""
    created: str = ""
    command: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)
    hardware: dict[str, Any] = field(default_factory=dict)
    per_query: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    # -- writing -------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The file's content; machine paths are left out (see :func:`public_command`)."""
        dataset = dict(self.dataset)
        if isinstance(dataset.get("source"), Mapping):
            dataset["source"] = public_source(dataset["source"])
        data: dict[str, Any] = {"schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION,
                                "toolkit_version": self.toolkit_version, "created": self.created,
                                "command": public_command(self.command), "dataset": dataset,
                                "encoder": self.encoder, "config": self.config, "metrics": self.metrics,
                                "timings": self.timings, "hardware": self.hardware}
        data.update(self.extra)
        data["per_query"] = self.per_query
        return data

    def to_json(self) -> str:
        """Readable JSON: nested objects indented, but each metric row and each per-query
        array on one line, so files stay diff-friendly and small."""
        data = self.to_dict()
        rows = {"metrics": data.pop("metrics"), "per_query": data.pop("per_query")}
        head = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
        parts = [head[: head.rstrip().rfind("}")].rstrip()]
        for name, items in rows.items():
            body = ",\n".join("    " + json.dumps(item, ensure_ascii=False, separators=(", ", ": "),
                                                  allow_nan=False) for item in items)
            parts.append(f',\n  "{name}": [\n{body}\n  ]' if items else f',\n  "{name}": []')
        return "".join(parts) + "\n}\n"

    def save(self, path: str | os.PathLike) -> Path:
        """Validate, then write atomically (a crash never leaves half a file)."""
        text = self.to_json()
        Result.from_dict(json.loads(text), str(path))
        return atomic_write_text(path, text)

    # -- reading -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | os.PathLike) -> Result:
        """Read and validate a result file; every fault is a :class:`ResultFileError`."""
        return cls.from_dict(read_json(path, ResultFileError, "result file"), str(path))

    @classmethod
    def from_dict(cls, data: Any, where: str = "result") -> Result:
        """Validate ``data`` (see :func:`check`) and build the model."""
        check(data, where)
        known = {"schema", "schema_version", "per_query", *REQUIRED, *OPTIONAL}
        values = {name: data[name] for name in (*REQUIRED, *OPTIONAL) if data.get(name) is not None}
        return cls(**values, per_query=list(data.get("per_query") or []),
                   extra={k: v for k, v in data.items() if k not in known})

    # -- access --------------------------------------------------------------------------
    @property
    def descriptor(self) -> DatasetDescriptor | None:
        return dataset_descriptor(str(self.dataset.get("name")))

    def frame(self):  # -> pandas.DataFrame (imported lazily: pandas is slow to import)
        """The metric rows as a DataFrame (one row per track/direction/language/subset/metric)."""
        import pandas as pd

        return pd.DataFrame(self.metrics, columns=list(METRIC_FIELDS))

    def value(self, track: str, direction: str, language: str, subset: str, metric: str) -> float:
        for row in self.metrics:
            if (row["track"], row["direction"], row["language"], row["subset"], row["metric"]) == (
                    track, direction, language, subset, metric):
                return float(row["value"])
        raise KeyError((track, direction, language, subset, metric))

    def cells(self) -> list[Cell]:
        """Scored (track, direction, language, subset) cells, aggregates excluded."""
        seen: dict[Cell, None] = {}
        for row in self.metrics:
            if row["language"] not in (*AGGREGATES, ALL_LANGUAGES):
                seen[cell_key(row)] = None
        return list(seen)

    def query_stats(self) -> dict[Cell, QueryStats]:
        """Per-query ranks and nDCG of every scored cell, from the ``per_query`` field."""
        out = {}
        for entry in self.per_query:
            ranks = np.asarray(entry["ranks"], dtype=np.int64)
            ndcg = np.asarray(entry["ndcg"], dtype=np.float64) if "ndcg" in entry else ndcg_from_single_ranks(ranks)
            out[cell_key(entry)] = QueryStats(ranks, ndcg)
        return out


def cell_key(entry: Mapping[str, Any]) -> Cell:
    return tuple(str(entry[k]) for k in CELL_FIELDS)  # type: ignore[return-value]


def clean_float(value: float | None, digits: int = 6) -> float | None:
    """JSON-safe rounding (no NaN in result files)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


# --------------------------------------------------------------------------------------
# Validation: the one set of rules
# --------------------------------------------------------------------------------------
TOLERANCE = 1e-6  # values are written rounded to 6 digits
MIN_RESAMPLES_FOR_CONTAINMENT = 100


class _Checker:
    def __init__(self, where: str):
        self.where = where

    def fail(self, place: str, problem: str) -> ResultFileError:
        return ResultFileError(f"{self.where}: {place}: {problem}")

    def mapping(self, value: Any, place: str) -> Mapping:
        if not isinstance(value, Mapping):
            raise self.fail(place, f"expected an object, got {type(value).__name__}")
        return value

    def text(self, value: Any, place: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(place, f"expected a non-empty string, got {value!r:.80}")
        return value

    def number(self, value: Any, place: str, *, optional: bool = False) -> float | None:
        if value is None and optional:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise self.fail(place, f"expected a finite number, got {value!r:.80}")
        return float(value)


def check(data: Any, where: str = "result") -> None:
    """Raise :class:`ResultFileError` naming the first field that breaks the schema.

    Structure: ``schema``/``schema_version`` known, ``dataset.name``, ``dataset.revision``
    and ``encoder.spec`` present, a non-empty ``metrics`` list of rows with a known track,
    one of its directions, a language code (or an aggregate), a subset, a known metric.
    Consistency: fractions in [0, 1], MedR/MeanR >= 1, ``n_queries`` > 0,
    ``ci_low <= value <= ci_high`` (MedR, and runs of under 100 bootstrap resamples:
    ``ci_low <= ci_high``), no duplicate row; where ``per_query`` ranks are given,
    the recalls and ``n_queries`` recomputed from them equal the stored ones.
    """
    c = _Checker(where)
    data = c.mapping(data, "top level")
    if data.get("schema") != SCHEMA_NAME:
        raise c.fail("schema", f"unknown schema {data.get('schema')!r:.60} (expected {SCHEMA_NAME!r})")
    version = data.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise c.fail("schema_version", f"expected a positive integer, got {version!r:.40}")
    if version > SCHEMA_VERSION:
        raise c.fail("schema_version", f"version {version} is newer than this toolkit reads "
                                       f"({SCHEMA_VERSION}); upgrade xtd10")
    dataset = c.mapping(data.get("dataset"), "dataset")
    c.text(dataset.get("name"), "dataset.name")
    c.text(dataset.get("revision"), "dataset.revision")
    encoder = c.mapping(data.get("encoder"), "encoder")
    c.text(encoder.get("spec"), "encoder.spec")
    for name in ("config", "timings", "hardware"):
        if data.get(name) is not None:
            c.mapping(data[name], name)
    for name in ("toolkit_version", "created", "command"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise c.fail(name, f"expected a string, got {type(data[name]).__name__}")
    resamples = (data.get("config") or {}).get("bootstrap")
    contain = not isinstance(resamples, int) or resamples >= MIN_RESAMPLES_FOR_CONTAINMENT
    stored = _check_metrics(c, data.get("metrics"), contain)
    _check_per_query(c, data.get("per_query"), stored)


def _check_metrics(c: _Checker, metrics: Any, contain: bool = True) -> dict[tuple[str, ...], dict]:
    if not isinstance(metrics, list) or not metrics:
        raise c.fail("metrics", "expected a non-empty list")
    seen: dict[tuple[str, ...], dict] = {}
    for i, item in enumerate(metrics):
        place = f"metrics[{i}]"
        row = c.mapping(item, place)
        track = c.text(row.get("track"), f"{place}.track")
        if track not in TRACKS:
            raise c.fail(f"{place}.track", f"unknown track {track!r:.40} (known: {', '.join(TRACKS)})")
        direction = c.text(row.get("direction"), f"{place}.direction")
        if direction not in TRACKS[track]:
            raise c.fail(f"{place}.direction", f"{direction!r:.40} is not a direction of the {track} track")
        language = c.text(row.get("language"), f"{place}.language").strip()
        if language not in (*AGGREGATES, ALL_LANGUAGES) and not LANGUAGE_CODE.match(language):
            raise c.fail(f"{place}.language", f"not a language code: {language!r:.40}")
        subset = c.text(row.get("subset"), f"{place}.subset")
        metric = c.text(row.get("metric"), f"{place}.metric")
        if not is_known_metric(metric):
            raise c.fail(f"{place}.metric", f"unknown metric {metric!r:.40}")
        value = c.number(row.get("value"), f"{place}.value")
        low = c.number(row.get("ci_low"), f"{place}.ci_low", optional=True)
        high = c.number(row.get("ci_high"), f"{place}.ci_high", optional=True)
        for bound_name, bound in (("value", value), ("ci_low", low), ("ci_high", high)):
            if bound is None:
                continue
            if is_fraction(metric) and not 0.0 <= bound <= 1.0:
                raise c.fail(f"{place}.{bound_name}", f"{metric} must be a fraction in [0, 1], got {bound}")
            if metric in RANK_METRICS and bound < 1.0:
                raise c.fail(f"{place}.{bound_name}", f"{metric} is a rank (1 = best), got {bound}")
        if low is not None and high is not None:
            if low > high:
                raise c.fail(place, f"ci_low {low} is above ci_high {high}")
            # A percentile interval of a median (or of an average of medians), or one from a
            # handful of resamples, can miss the point estimate honestly; a mean's interval
            # from MIN_RESAMPLES_FOR_CONTAINMENT or more resamples cannot, short of damage.
            if contain and metric != MEDR and not low - TOLERANCE <= value <= high + TOLERANCE:  # type: ignore[operator]
                raise c.fail(place, f"{metric} value {value} lies outside its interval [{low}, {high}]")
        n_queries = row.get("n_queries")
        if isinstance(n_queries, bool) or not isinstance(n_queries, int) or n_queries <= 0:
            raise c.fail(f"{place}.n_queries", f"expected a positive integer, got {n_queries!r:.40}")
        identity = (track, direction, language, subset, metric)
        if identity in seen:
            raise c.fail(place, f"duplicate metric row {'/'.join(identity)}")
        seen[identity] = dict(row, _place=place)
    return seen


def _check_per_query(c: _Checker, per_query: Any, stored: dict[tuple[str, ...], dict]) -> None:
    if per_query is None:
        return
    if not isinstance(per_query, list):
        raise c.fail("per_query", "expected a list")
    by_cell: dict[tuple[str, ...], list[tuple[str, dict]]] = {}
    for (*row_cell, metric), row in stored.items():
        by_cell.setdefault(tuple(row_cell), []).append((metric, row))
    for i, item in enumerate(per_query):
        place = f"per_query[{i}]"
        entry = c.mapping(item, place)
        if any(k not in entry for k in (*CELL_FIELDS, "ranks")):
            raise c.fail(place, f"needs {', '.join(CELL_FIELDS)} and ranks")
        ranks = entry["ranks"]
        if (not isinstance(ranks, list) or not ranks
                or not all(isinstance(r, int) and not isinstance(r, bool) and r >= 1 for r in ranks)):
            raise c.fail(f"{place}.ranks", "expected a non-empty list of ranks (integers >= 1)")
        cell = cell_key(entry)
        array = np.asarray(ranks, dtype=np.int64)
        for metric, row in by_cell.get(cell, []):
            name = "/".join(cell)
            if row["n_queries"] != len(array):
                raise c.fail(row["_place"], f"n_queries {row['n_queries']} but per_query has {len(array)} "
                                            f"ranks for {name}")
            k = recall_k(metric)
            if k is not None:
                recomputed = float(np.mean(array <= k))
                if abs(recomputed - float(row["value"])) > TOLERANCE:
                    raise c.fail(row["_place"], f"{metric} of {name} is {row['value']} but its per_query ranks "
                                                f"give {recomputed:.6f}")


# --------------------------------------------------------------------------------------
# The published JSON Schema
# --------------------------------------------------------------------------------------
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of result files, built from the words above.

    It describes the structure; the cross-field rules (intervals around values, recalls
    matching the per-query ranks) are checked by :func:`check` only. Committed as
    ``docs/result.schema.json``.
    """
    nullable_number = {"type": ["number", "null"]}
    row_cases = [{"properties": {"track": {"const": track}, "direction": {"enum": list(directions)}}}
                 for track, directions in TRACKS.items()]
    metric_pattern = "^(R@[1-9][0-9]*|" + "|".join(re.escape(m) for m in (MEDR, MEANR, MRR, NDCG, CONSISTENCY)) + ")$"
    language = {"anyOf": [{"enum": [*AGGREGATES, ALL_LANGUAGES]}, {"type": "string", "pattern": LANGUAGE_CODE.pattern}]}
    cell = {"track": {"enum": list(TRACKS)}, "direction": {"enum": list(DIRECTIONS)}, "language": language,
            "subset": {"type": "string", "minLength": 1}}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://xtd10.invalid/result.schema.json",
        "title": "XTD10 result file",
        "description": f"Schema {SCHEMA_NAME} version {SCHEMA_VERSION}; see docs/result-schema.md. "
                       "Generated by xtd10.schema.json_schema().",
        "type": "object",
        "required": ["schema", "schema_version", *REQUIRED],
        "properties": {
            "schema": {"const": SCHEMA_NAME},
            "schema_version": {"type": "integer", "minimum": 1, "maximum": SCHEMA_VERSION},
            "toolkit_version": {"type": "string"},
            "created": {"type": "string"},
            "command": {"type": "string"},
            "dataset": {"type": "object", "required": ["name", "revision"],
                        "properties": {"name": {"type": "string", "minLength": 1},
                                       "revision": {"type": "string", "minLength": 1},
                                       "source": {"type": "object", "properties": {"kind": {"type": "string"}}},
                                       "file_sha256": {"type": "object",
                                                       "additionalProperties": {"type": "string"}},
                                       "languages": {"type": "array", "items": {"type": "string"}}}},
            "encoder": {"type": "object", "required": ["spec"],
                        "properties": {"spec": {"type": "string", "minLength": 1}}},
            "config": {"type": "object"},
            "timings": {"type": "object"},
            "hardware": {"type": "object"},
            "metrics": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": list(METRIC_FIELDS),
                "properties": {**cell, "metric": {"type": "string", "pattern": metric_pattern},
                               "value": {"type": "number"}, "ci_low": nullable_number, "ci_high": nullable_number,
                               "n_queries": {"type": "integer", "minimum": 1}},
                "oneOf": row_cases}},
            "per_query": {"type": "array", "items": {
                "type": "object", "required": [*CELL_FIELDS, "ranks"],
                "properties": {**cell, "ranks": {"type": "array", "minItems": 1,
                                                 "items": {"type": "integer", "minimum": 1}},
                               "ndcg": {"type": "array", "items": {"type": "number"}}}}},
        },
    }


def json_schema_text() -> str:
    """:func:`json_schema` as the committed file's text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
