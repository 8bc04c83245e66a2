"""Human vs machine translation: one encoder's XTD10 and XTD200 scores, language by language.

XTD200 machine-translated (NLLB-200) the same English captions of the same 1000 images, in
the same order, that XTD10 had translated by people. Query ``i`` is therefore image ``i``
in both sets, and the two runs of one encoder can be paired query by query with the swap
test of :mod:`xtd10.benchmark.comparison`: the difference XTD200 - XTD10 says how much a
machine-translated test set over-states (positive) or under-states (negative) the model.

Which side is a translation, and which was written independently, is read from the
datasets' descriptors, never assumed: XTD10's Japanese captions (STAIR Captions) were
written for the images, not translated from the English, so the Japanese difference
compares two kinds of caption, not two qualities of translation.
"""

from __future__ import annotations

import os

import pandas as pd

from xtd10.benchmark.comparison import paired_permutation
from xtd10.data.registries import registry_for
from xtd10.errors import XTD10Error
from xtd10.escaping.csv_cells import one_line
from xtd10.languages import ENGLISH, table_row
from xtd10.schema import (
    RECALL_METRICS,
    SUBSET_ALL,
    XTD10,
    XTD200,
    DatasetDescriptor,
    Result,
    dataset_descriptor,
    is_recall,
)

COLUMNS = ["language", "tag", "name", "independent", "xtd10_captions", "xtd200_captions", "track", "direction",
           "subset", "metric", "xtd10", "xtd200", "diff", "p_value", "n_queries"]
DEFAULT_METRICS = RECALL_METRICS


class TranslationGapError(XTD10Error):
    """Two results that cannot be set side by side as XTD10 vs XTD200 of one encoder."""


def _as_result(item: Result | str | os.PathLike) -> Result:
    return item if isinstance(item, Result) else Result.load(item)


def _descriptor(result: Result) -> DatasetDescriptor | None:
    return dataset_descriptor(str(result.dataset.get("name")))


def _human_and_machine(first: Result, second: Result) -> tuple[Result, Result]:
    """The XTD10 result and the XTD200 result, in whichever order they were given."""
    by_key: dict[str, Result] = {}
    for result in (first, second):
        descriptor = _descriptor(result)
        by_key.setdefault(descriptor.key if descriptor else str(result.dataset.get("name")), result)
    if set(by_key) != {XTD10.key, XTD200.key}:
        names = " and ".join(str(r.dataset.get("name")) for r in (first, second))
        raise TranslationGapError(f"results on {names}: the translation gap needs one result on {XTD10.key} "
                                  f"and one on {XTD200.key}")
    return by_key[XTD10.key], by_key[XTD200.key]


def _check_same_encoder(human: Result, machine: Result) -> None:
    identity = [(str(r.encoder.get("spec")), str(r.encoder.get("revision", ""))) for r in (human, machine)]
    if identity[0] != identity[1]:
        raise TranslationGapError(
            f"different encoders: {identity[0][0]} ({identity[0][1] or 'no revision'}) on {XTD10.key} vs "
            f"{identity[1][0]} ({identity[1][1] or 'no revision'}) on {XTD200.key}; the gap compares one encoder "
            "on the two sets")


def _check_same_images(human: Result, machine: Result) -> None:
    """Where both results recorded the checksum of their image list, it must be the same
    list (pairing query i with query i is only sound for the same images in the same order)."""
    sums = [dict(r.dataset.get("file_sha256") or {}).get(d.image_list)
            for r, d in ((human, XTD10), (machine, XTD200))]
    human_sum, machine_sum = sums
    if human_sum and machine_sum and human_sum != machine_sum:
        raise TranslationGapError(f"the two results were scored on different image lists ({XTD10.image_list} "
                                  f"{human_sum[:12]} vs {XTD200.image_list} {machine_sum[:12]}); queries cannot be "
                                  "paired")


def shared_languages(human: Result, machine: Result) -> dict[str, str]:
    """``{XTD10 code: XTD200 tag}`` for every non-English language scored in both results,
    matched through the language table's ``xtd10`` column (``zh`` -> ``zh-Hans``)."""
    human_codes = {cell[2] for cell in human.query_stats()}
    pairs = {}
    for tag in dict.fromkeys(cell[2] for cell in machine.query_stats()):
        row = table_row(tag)
        if row is not None and row.xtd10 and row.xtd10 != ENGLISH and row.xtd10 in human_codes:
            pairs[row.xtd10] = tag
    return dict(sorted(pairs.items(), key=lambda item: XTD10.languages.index(item[0])
                       if item[0] in XTD10.languages else len(XTD10.languages)))


def translation_gap(
    first: Result | str | os.PathLike,
    second: Result | str | os.PathLike,
    *,
    metrics: list[str] | tuple[str, ...] | None = None,
    n_permutations: int = 2000,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per shared language x track x direction x subset x metric: the XTD10 value,
    the XTD200 value, ``diff`` = XTD200 - XTD10 and the paired permutation p-value.

    ``first`` and ``second`` are one encoder's results on XTD10 and on XTD200 (either
    order). ``independent`` is True where XTD10's captions of that language were written for
    the images rather than translated (Japanese): read its gap as a difference between
    kinds of caption, not as the quality of a translation.
    """
    human, machine = _human_and_machine(_as_result(first), _as_result(second))
    _check_same_encoder(human, machine)
    _check_same_images(human, machine)
    stats_human, stats_machine = human.query_stats(), machine.query_stats()
    if not stats_human or not stats_machine:
        raise TranslationGapError("a result file has no per_query ranks (written by an older toolkit?); re-run it")
    pairs = shared_languages(human, machine)
    if not pairs:
        raise TranslationGapError(f"the {XTD10.key} and {XTD200.key} results share no non-English language "
                                  f"(score {XTD200.key} with --languages {','.join(XTD10.languages)})")
    human_descriptor, machine_descriptor = _descriptor(human) or XTD10, _descriptor(machine) or XTD200
    human_registry, machine_registry = registry_for(human_descriptor), registry_for(machine_descriptor)
    names = list(metrics or DEFAULT_METRICS)
    rows = []
    for code, tag in pairs.items():
        row = table_row(tag)
        independent = code in human_descriptor.independent
        human_words = human_registry.get(code).provenance
        machine_words = machine_registry.get(tag).provenance if tag in machine_descriptor.translated else "original"
        for cell, human_stats in stats_human.items():
            track, direction, language, subset = cell
            machine_stats = stats_machine.get((track, direction, tag, subset))
            if language != code or machine_stats is None:
                continue
            if len(human_stats) != len(machine_stats):
                raise TranslationGapError(
                    f"{track} {direction} {code}/{tag} {subset}: {len(human_stats)} queries on {XTD10.key} vs "
                    f"{len(machine_stats)} on {XTD200.key}; queries cannot be paired")
            tested = paired_permutation(human_stats, machine_stats, names, n_permutations, seed)
            for metric, (value_human, value_machine, diff, p_value) in tested.items():
                rows.append([code, tag, row.name if row else code, independent, human_words, machine_words, track,
                             direction, subset, metric, value_human, value_machine, diff, p_value,
                             len(human_stats)])
    return pd.DataFrame(rows, columns=COLUMNS)


def independent_notes(table: pd.DataFrame) -> list[str]:
    """One sentence per language whose XTD10 captions were not translated, for any view of
    the table: without it a reader takes the Japanese gap for a verdict on translation."""
    notes = []
    for code, name in dict.fromkeys(zip(table.loc[table["independent"], "language"],
                                        table.loc[table["independent"], "name"], strict=True)):
        registry = registry_for(XTD10)
        origin = registry.get(code).provenance if code in registry else "written independently"
        notes.append(f"{code} ({name}) on {XTD10.title}: {origin}, not a translation of the English; its difference "
                     "compares two kinds of caption, not translation quality")
    return notes


def _md(value: object) -> str:
    return one_line(str(value)).replace("|", "\\|")


def markdown_table(table: pd.DataFrame, subset: str = SUBSET_ALL, significance: float = 0.05) -> str:
    """The table of one subset as Markdown (recall in points), with the notes on
    independently written languages; what ``--markdown`` writes."""
    shown = table[table["subset"] == subset]
    lines = []
    for (track, direction), rows in shown.groupby(["track", "direction"], sort=False):
        lines += [f"**{_md(track)} {_md(direction)}** ({_md(subset)})", "",
                  "| language | name | metric | XTD10 (human) | XTD200 (NLLB) | difference | p |  |",
                  "|---|---|---|---:|---:|---:|---:|---|"]
        for r in rows.itertuples():
            scale, digits = (100, 1) if is_recall(str(r.metric)) else (1, 3)
            mark = "*" if r.p_value < significance else ""
            name = _md(r.name) + (" †" if r.independent else "")
            label = _md(r.language) + ("" if r.tag == r.language else f" ({_md(r.tag)})")
            lines.append(f"| {label} | {name} | {_md(r.metric)} | "
                         f"{r.xtd10 * scale:.{digits}f} | {r.xtd200 * scale:.{digits}f} | "
                         f"{r.diff * scale:+.{digits}f} | {r.p_value:.4f} | {mark} |")
        lines.append("")
    lines.append(f"difference = XTD200 - XTD10 (positive: the machine-translated set over-states the model); "
                 f"p: paired permutation test over the same queries; * p < {significance:g}.")
    lines += [f"† {_md(note)}." for note in independent_notes(shown)]
    return "\n".join(lines) + "\n"
