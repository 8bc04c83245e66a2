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

from xtd10.data.upstream import LICENSE_NAME
from xtd10.languages import Language
from xtd10.schema import XTD10, DatasetDescriptor


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


SOURCE_DATASETS = {"coco2014": ["extended|mscoco"], "flickr30k": ["extended|flickr30k"]}
IMAGE_FIELDS = {
    "coco2014": "- `image_id`: COCO image id; `file_name`: COCO file name; `coco_split`: `train2014` or `val2014`.",
    "flickr30k": "- `image_id`: Flickr30k image id (the file name's number); `file_name`: Flickr30k file name; "
                 "`coco_split`: `test` (the Flickr30k test split the images come from).",
}


def _title(d: DatasetDescriptor) -> str:
    """XTD10 with languages promoted into it is still XTD10 on the Hub."""
    return XTD10.title if d.name == XTD10.name else d.title


def _intro(inputs: CardInputs) -> list[str]:
    """The card's first paragraph and its licence section, from the descriptor."""
    d = inputs.descriptor
    release = d.release
    built = (f"Built by the XTD10 toolkit from [{release.repo}]({release.web_url}), revision `{inputs.revision}`."
             if release is not None else f"Revision `{inputs.revision}`.")
    summary = d.card_summary.format(n_languages=len(inputs.languages))
    return [f"{summary} {built}", "", "## Licence", "", d.card_licence, ""]


def licence_text(descriptor: DatasetDescriptor) -> str:
    """``LICENSE.md`` of a build whose release has no licence file: what the data may be used for."""
    release = descriptor.release
    where = f" ({release.web_url})" if release is not None else ""
    return (f"# {descriptor.title}: terms of use\n\nThe upstream repository{where} has no licence file.\n\n"
            f"{descriptor.licence[:1].upper() + descriptor.licence[1:]}.\n\nCite:\n\n```bibtex\n"
            f"{descriptor.citation}\n```\n")


def render_card(inputs: CardInputs) -> str:
    total = sum(c.num_rows for c in inputs.configs if c.name == "all")
    d = inputs.descriptor
    meta = {
        "pretty_name": _title(d),
        "license": "other",
        "license_name": LICENSE_NAME.lower().replace(" ", "-") if d.licence_file else "noncommercial-research-only",
        "license_link": "LICENSE.md",
        "language": [lang.code for lang in inputs.languages],
        "multilinguality": "multilingual",
        "task_categories": ["text-to-image", "image-to-text", "sentence-similarity"],
        "task_ids": ["image-captioning"],
        "size_categories": [size_category(total)],
        "source_datasets": SOURCE_DATASETS.get(d.image_kind, []),
        "tags": ["cross-lingual", "image-text-retrieval", "zero-shot", *dict.fromkeys(["xtd10", d.key])],
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
        f"# {_title(d)}: a multilingual image-text retrieval test set", "",
        *_intro(inputs),
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
        IMAGE_FIELDS.get(d.image_kind, IMAGE_FIELDS["coco2014"]),
        "- `language`: ISO 639-1 code; `caption_index`: 0 for the first caption of an image "
        "(several captions per image are allowed for future languages); `caption`: the text."
        if d.languages_from != "flores" else
        "- `language`: BCP 47 tag; `caption_index`: 0 (one caption per image); `caption`: the text.",
        *([f"- `image`: the {'COCO ' if d.image_kind == 'coco2014' else ''}image, bytes embedded."]
          if inputs.with_images else []), "",
        "## Known issues", "",
        *[f"- {issue}" for issue in d.known_issues], "",
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
    lines += ["## Citation", "", "```bibtex", d.citation, "```", ""]
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
