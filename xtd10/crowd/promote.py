"""Turning accepted captions into a new language of the dataset.

Writes ``CROWD/test_1kcaptions_<code>.txt`` (layout ``indexed``: ``<file_name>\\t<caption>``
lines, several per image allowed) and a ``languages.json`` registry entry into a source
directory in the upstream layout, which ``xtd10.load`` and ``xtd10 data build`` read.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd

from xtd10.crowd.errors import CrowdError
from xtd10.crowd.settings import load_settings
from xtd10.data.sources import EXTRA_LANGUAGES_FILE, LocalSource, parse_language_manifest, resolve_source
from xtd10.data.upstream import UPSTREAM_SHA256
from xtd10.files import atomic_write_text
from xtd10.languages import REGISTRY, Language

PROVENANCE = "crowdsourced translation (xtd10 crowd tools)"


def clean_caption(text: str) -> str:
    """One line per caption: tabs and line breaks inside a caption become spaces."""
    return " ".join(str(text).replace("\t", " ").split())


def prepare_output(source, output: str | os.PathLike) -> Path:
    """``output`` as a writable copy of ``source`` (or ``source`` itself for an overlay)."""
    src = resolve_source(source)
    out = Path(output).expanduser().resolve()
    if isinstance(src, LocalSource) and src.root == out:
        return out
    out.mkdir(parents=True, exist_ok=True)
    if isinstance(src, LocalSource):
        shutil.copytree(src.root, out, dirs_exist_ok=True)
    else:
        for rel in UPSTREAM_SHA256:
            dest = out / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src.path(rel), dest)
    return out


def promote(accepted: pd.DataFrame, *, language: str, source, output: str | os.PathLike,
            name: str | None = None, replace: bool = False, settings_dir=None) -> Language:
    """Write the accepted captions of ``language`` into ``output`` and register it there."""
    code = language.strip().lower()
    if code in REGISTRY:
        raise CrowdError(f"{code!r} is a built-in XTD10 language; promote new languages only")
    rows = accepted[accepted["language"] == code] if "language" in accepted else accepted
    rows = rows[rows["text"].fillna("").map(clean_caption).ne("")]
    if rows.empty:
        raise CrowdError(f"no accepted captions for {code!r} to promote")
    out = prepare_output(source, output)
    images = resolve_source(out)
    from xtd10.data.table import read_images

    order = {img.file_name: img.index for img in read_images(images)}
    unknown = sorted(set(rows["image"]) - set(order))
    if unknown:
        raise CrowdError(f"{len(unknown)} accepted rows name images not in {out}: {unknown[:3]}")
    rows = rows.assign(_order=rows["image"].map(order)).sort_values(["_order", "submission_id"], kind="stable")
    relpath = f"CROWD/test_1kcaptions_{code}.txt"
    atomic_write_text(out / relpath, "".join(f"{img}\t{clean_caption(t)}\n"
                                             for img, t in zip(rows["image"], rows["text"], strict=True)))
    settings = load_settings(code, settings_dir)
    entry = Language(code=code, name=name or settings.name, script=settings.script, provenance=PROVENANCE,
                     upstream_path=relpath, layout="indexed", builtin=False,
                     provenance_detail=f"{len(rows)} crowdsourced captions for {rows['image'].nunique()} images, "
                     "accepted by the xtd10 crowd validation rules.")
    manifest = out / EXTRA_LANGUAGES_FILE
    existing = parse_language_manifest(manifest) if manifest.is_file() else []
    if any(e.code == code for e in existing) and not replace:
        raise CrowdError(f"{manifest} already has {code!r}; pass replace=True (--replace) to overwrite it")
    entries = [e for e in existing if e.code != code] + [entry]
    atomic_write_text(manifest, json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2) + "\n")
    return entry
