"""The dataset card (README.md) of a Hub build: YAML front matter plus prose.

The YAML is what makes the folder Hub-native: ``configs`` tells ``datasets`` which
parquet files form which config (no loading script, which ``datasets`` >= 4 refuses),
and ``license: other`` with a name and link is how the Hub represents a licence that is
not in its list — the Adobe Research License is noncommercial and must not be mislabelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import yaml

from xtd10.data.upstream import LICENSE_NAME, UPSTREAM_REPO, UPSTREAM_WEB_URL
from xtd10.languages import Language
from xtd10.schema import XTD10, DatasetDescriptor

CITATIONS = """\
@misc{aggarwal2020zeroshot,
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

KNOWN_ISSUES = (
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
)


@dataclass
class ConfigInfo:
    name: str
    path: str
    num_rows: int
    num_bytes: int
    features: list[dict]
    description: str


@dataclass
class CardInputs:
    languages: Sequence[Language]
    configs: Sequence[ConfigInfo]
    revision: str
    counts: Mapping[str, int]
    with_images: bool
    audit_rows: list[dict] = field(default_factory=list)
    descriptor: DatasetDescriptor = XTD10  # which languages were translated, which written independently


def size_category(rows: int) -> str:
    for limit, label in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if rows < limit:
            return label
    return "100K<n<1M"


def _written(descriptor: DatasetDescriptor, code: str) -> str:
    if code in descriptor.translated:
        return "translated from English"
    return "for the images" if code in descriptor.independent else "not declared"


def render_card(inputs: CardInputs) -> str:
    total = sum(c.num_rows for c in inputs.configs if c.name == "all")
    meta = {
        "pretty_name": "XTD10",
        "license": "other",
        "license_name": LICENSE_NAME.lower().replace(" ", "-"),
        "license_link": "LICENSE.md",
        "language": [lang.code for lang in inputs.languages],
        "multilinguality": "multilingual",
        "task_categories": ["text-to-image", "image-to-text", "sentence-similarity"],
        "task_ids": ["image-captioning"],
        "size_categories": [size_category(total)],
        "source_datasets": ["extended|mscoco"],
        "tags": ["cross-lingual", "image-text-retrieval", "zero-shot", "xtd10"],
        "configs": [
            {"config_name": c.name, "data_files": [{"split": "test", "path": c.path}],
             **({"default": True} if c.name == "all" else {})}
            for c in inputs.configs
        ],
        "dataset_info": [
            {"config_name": c.name, "features": c.features,
             "splits": [{"name": "test", "num_bytes": c.num_bytes, "num_examples": c.num_rows}]}
            for c in inputs.configs
        ],
    }
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    lines = [
        "---", front.rstrip(), "---", "",
        "# XTD10: a multilingual image-text retrieval test set", "",
        "1000 MSCOCO 2014 images with captions in "
        f"{len(inputs.languages)} languages, for zero-shot cross-lingual image-text retrieval "
        "(Aggarwal & Kale, 2020). Built by the XTD10 toolkit from "
        f"[{UPSTREAM_REPO}]({UPSTREAM_WEB_URL}), revision `{inputs.revision}`.", "",
        "## Licence", "",
        f"**{LICENSE_NAME} — noncommercial research use only.** The full text is in "
        "`LICENSE.md` and must accompany any redistribution. Commercial use of any kind is "
        "excluded; contact the authors for commercial licensing. The COCO images are "
        "under their own terms (COCO: Flickr images, see cocodataset.org).", "",
        "## Loading", "",
        "```python",
        "from datasets import load_dataset",
        'ds = load_dataset("PATH_OR_REPO", "es", split="test")   # one language',
        'long = load_dataset("PATH_OR_REPO", "all", split="test") # every language, long format',
        "```", "",
        "## Configs", "",
        "| config | rows | contents |", "|---|---|---|",
        *[f"| `{c.name}` | {c.num_rows} | {c.description} |" for c in inputs.configs], "",
        "## Languages and provenance", "",
        "| code | language | script | captions | written | provenance |", "|---|---|---|---|---|---|",
        *[
            f"| `{_md(lang.code)}` | {_md(lang.name)} | {_md(lang.script)} | {inputs.counts.get(lang.code, 0)} | "
            f"{_written(inputs.descriptor, lang.code)} | {_md(lang.provenance_detail or lang.provenance)} |"
            for lang in inputs.languages
        ], "",
        "## Fields", "",
        "- `index`: position of the image in the upstream image list (0-999).",
        "- `image_id`: COCO image id; `file_name`: COCO file name; `coco_split`: `train2014` or `val2014`.",
        "- `language`: ISO 639-1 code; `caption_index`: 0 for the first caption of an image "
        "(several captions per image are allowed for future languages); `caption`: the text.",
        *(["- `image`: the COCO image, bytes embedded."] if inputs.with_images else []), "",
        "## Known issues", "",
        *[f"- {issue}" for issue in KNOWN_ISSUES], "",
    ]
    if inputs.audit_rows:
        lines += [
            "### Automatic audit findings", "",
            "Captions flagged by the toolkit's crowdsourcing rules (`xtd10 crowd audit`); "
            "flags are prompts for review, not verdicts.", "",
            "| language | rule | flagged | example |", "|---|---|---|---|",
            *[
                f"| `{_md(row['language'])}` | {_md(row['rule'])} | {row['count']} | {_md(_first(row.get('examples')))} |"
                for row in inputs.audit_rows
            ], "",
        ]
    lines += ["## Citation", "", "```bibtex", CITATIONS, "```", ""]
    return "\n".join(lines)


def _first(examples) -> str:
    if isinstance(examples, str):
        return examples
    return str(examples[0]) if examples else ""


# Control, bidi and zero-width characters: shown as markers, never passed to the page.
_INVISIBLE = re.compile("[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028\u2029\u202a-\u202e"
                        "\u2060-\u2064\u2066-\u2069\ufeff\ufff9-\ufffb]")


def _md(text: object) -> str:
    """Escape text (a language name from ``promote --name``, a crowd caption) for a
    Markdown table cell: no cell break, no new row, no HTML, no link, no reordering."""
    out = str(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")
    out = _INVISIBLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", out)
    out = out.replace("\\", "\\\\").replace("&", "&amp;")
    for ch in "|`*_[]<>!#~":
        out = out.replace(ch, "\\" + ch)
    return out
