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
from xtd10.crowd.settings import canonical_code, load_settings
from xtd10.crowd.staging import NEW, clean_stale, discard, new_work_folder, swap_into_place
from xtd10.data.sources import EXTRA_LANGUAGES_FILE, LocalSource, parse_language_manifest, resolve_source
from xtd10.data.upstream import UPSTREAM_SHA256
from xtd10.files import atomic_write_text
from xtd10.languages import REGISTRY, Language

PROVENANCE = "crowdsourced translation (xtd10 crowd tools)"


def clean_caption(text: str) -> str:
    """One line per caption: tabs and line breaks inside a caption become spaces."""
    return " ".join(str(text).replace("\t", " ").split())


def inside(root: Path, relpath: str) -> Path:
    """``root / relpath``, resolved, refused unless it stays inside ``root``: a path built
    from user input (a language code) must never write elsewhere."""
    root = root.resolve()
    target = (root / relpath).resolve()
    if not target.is_relative_to(root):
        raise CrowdError(f"refusing to write {relpath!r}: it resolves outside the output folder {root}")
    return target


def _copy_source(src, dest: Path) -> None:
    """The source's files (a local folder, or the pinned upstream files) into ``dest``."""
    if isinstance(src, LocalSource):
        shutil.copytree(src.root, dest, dirs_exist_ok=True)
        return
    for rel in UPSTREAM_SHA256:
        target = inside(dest, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src.path(rel), target)


def _approved_only(accepted: pd.DataFrame) -> pd.DataFrame:
    """Rows to publish: only a table that ``decide`` marked, every row approved. A raw
    ingested batch has no decision column and may hold markup, formulas and copies, so it
    is refused rather than published whole; a reviewed or rejected answer never reaches the
    dataset by mistake."""
    if "decision" not in accepted:
        raise CrowdError("the table has no 'decision' column, so nothing in it was decided; promote the "
                         "approved rows that 'xtd10 crowd decide --accepted FILE' writes, not the ingested batch")
    other = accepted["decision"].fillna("").ne("approve")
    if other.any():
        counts = accepted.loc[other, "decision"].fillna("(empty)").value_counts().to_dict()
        raise CrowdError(f"the table holds {int(other.sum())} rows not approved ({counts}); promote only "
                         "the approved rows ('xtd10 crowd decide --accepted FILE' writes them)")
    return accepted


def promote(accepted: pd.DataFrame, *, language: str, source, output: str | os.PathLike,
            name: str | None = None, replace: bool = False, settings_dir=None) -> Language:
    """Write the accepted captions of ``language`` into ``output`` and register it there.

    Everything is checked before anything is written (the code, the rows, the image names,
    an earlier promotion); the new folder is then built in a temporary sibling and moved
    into place, so a refused or interrupted promotion leaves ``output`` as it was. Work
    folders that killed promotions into ``output`` left beside it are removed first (see
    :mod:`xtd10.crowd.staging`).
    """
    code = canonical_code(language)
    if code in REGISTRY:
        raise CrowdError(f"{code!r} is a built-in XTD10 language; promote new languages only")
    missing = {"image", "text"} - set(accepted.columns)
    if missing:
        raise CrowdError(f"the accepted table lacks columns {sorted(missing)}; pass the file written by "
                         "'xtd10 crowd decide --accepted'")
    accepted = _approved_only(accepted)
    rows = accepted[accepted["language"].map(_code_or_none) == code] if "language" in accepted else accepted
    rows = rows[rows["text"].fillna("").map(clean_caption).ne("")]
    if rows.empty:
        raise CrowdError(f"no accepted captions for {code!r} to promote")
    src = resolve_source(source)
    out = Path(output).expanduser().resolve()
    clean_stale(out)  # before reading out: a killed run may have moved the earlier output aside
    in_place = isinstance(src, LocalSource) and src.root.resolve() == out
    if isinstance(src, LocalSource) and not in_place and out.is_relative_to(src.root.resolve()):
        raise CrowdError(f"{out}: inside the source folder {src.root}; write to the source itself or elsewhere")
    from xtd10.data.table import read_images

    order = {img.file_name: img.index for img in read_images(src)}
    unknown = sorted(set(rows["image"].astype(str)) - set(order))
    if unknown:
        raise CrowdError(f"{len(unknown)} accepted rows name images not in the source: {unknown[:3]}")
    relpath = f"CROWD/test_1kcaptions_{code}.txt"
    manifest_rel = EXTRA_LANGUAGES_FILE
    earlier = out / manifest_rel if (out / manifest_rel).is_file() else (
        src.root / manifest_rel if isinstance(src, LocalSource) else None)
    existing = parse_language_manifest(earlier) if earlier is not None and earlier.is_file() else []
    if any(e.code == code for e in existing) and not replace:
        raise CrowdError(f"{earlier} already has {code!r}; pass replace=True (--replace) to overwrite it")
    if out.exists() and not out.is_dir():
        raise CrowdError(f"{out}: exists and is not a folder")
    settings = load_settings(code, settings_dir)
    rows = rows.assign(_order=rows["image"].map(order)).sort_values(
        ["_order", *(["submission_id"] if "submission_id" in rows else [])], kind="stable")
    entry = Language(code=code, name=name or settings.name, script=settings.script, provenance=PROVENANCE,
                     upstream_path=relpath, layout="indexed", builtin=False,
                     provenance_detail=f"{len(rows)} crowdsourced captions for {rows['image'].nunique()} images, "
                     "accepted by the xtd10 crowd validation rules.")
    entries = [e for e in existing if e.code != code] + [entry]

    out.parent.mkdir(parents=True, exist_ok=True)
    work = new_work_folder(out)
    staging = work / NEW
    try:
        staging.mkdir()
        if not in_place:
            _copy_source(src, staging)
        if out.is_dir():
            shutil.copytree(out, staging, dirs_exist_ok=True)  # an earlier promotion into out wins
        captions = inside(staging, relpath)
        captions.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(captions, "".join(f"{img}\t{clean_caption(t)}\n"
                                            for img, t in zip(rows["image"], rows["text"], strict=True)))
        atomic_write_text(inside(staging, manifest_rel),
                          json.dumps([e.to_dict() for e in entries], ensure_ascii=False, indent=2) + "\n")
        swap_into_place(work, out)
    except BaseException:
        discard(work, out)
        raise
    return entry


def _code_or_none(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return canonical_code(value)
    except CrowdError:
        return None

