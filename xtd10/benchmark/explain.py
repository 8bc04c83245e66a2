"""``explain``: which captions a model fails, and why — from result files alone.

Result files store the rank of every query (``per_query``), so the failures of a model can
be studied without re-running it: per image, the rank each model gives it in every
language and direction; the hardest captions (missed by every model); the images whose
languages disagree most (rank variance across languages, the per-image term of the
``consistency`` metric); for two results, what one gets right that the other misses, with
the paired permutation test of :mod:`xtd10.benchmark.comparison`; and per language, the
rank distribution (a language whose captions were written independently, like Japanese,
shows a different shape, not only a lower mean).

The captions themselves are not in result files (their licence forbids bundling them):
they are read through the data loader from the result's dataset source when one is given.
This module returns data frames; :mod:`xtd10.benchmark.explain_page` and
:mod:`xtd10.benchmark.explain_plots` render them, :mod:`xtd10.benchmark.explain_files`
writes the folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xtd10.benchmark.comparison import paired_permutation
from xtd10.benchmark.result import result_slug
from xtd10.errors import XTD10Error
from xtd10.languages import ENGLISH, XTD10_CODES
from xtd10.schema import (
    CAPTION_QUERIES,
    DEFAULT_KS,
    DIRECTIONS,
    MEDR,
    R1,
    SUBSET_ALL,
    TEXT_TRACK,
    QueryStats,
    Result,
    ndcg_from_single_ranks,
    recall_k,
    recall_name,
)

SUBSET = SUBSET_ALL  # query i is image i only on the full set


class ExplainError(XTD10Error):
    """Results that cannot be explained together (different data, no per-query ranks)."""


@dataclass
class Model:
    """One result file, keyed for display."""

    label: str  # unique short name: the encoder spec
    slug: str
    result: Result
    metrics: dict[tuple[str, str, str], dict[str, float]]  # (direction, language, metric-subset) -> stored values


@dataclass
class Explained:
    """Everything the page and CSVs show."""

    models: list[Model]
    dataset: str
    revision: str
    n_images: int
    languages: list[str]
    directions: list[str]
    ranks: pd.DataFrame  # long: model, direction, language, image, rank
    captions: pd.DataFrame | None  # image, language, caption (None without a source)
    file_names: list[str] | None
    flagged: dict[str, set[int]] = field(default_factory=dict)  # language -> flagged image indices
    notes: list[str] = field(default_factory=list)

    def wide(self) -> pd.DataFrame:
        """One row per image, one column ``model|direction|language`` per rank."""
        table = self.ranks.pivot_table(index="image", columns=["model", "direction", "language"], values="rank",
                                       aggfunc="first")
        table.columns = ["|".join(c) for c in table.columns]
        return table.reindex(range(self.n_images))

    def caption(self, image: int, language: str) -> str | None:
        if self.captions is None:
            return None
        found = self._caption_index.get((image, language))
        return found

    def memo(self, name: str, compute):
        """Views are used by the page and the CSVs alike: compute each once."""
        if name not in self._memo:
            self._memo[name] = compute()
        return self._memo[name]

    def __post_init__(self) -> None:
        self._memo: dict[str, object] = {}
        self._caption_index: dict[tuple[int, str], str] = {}
        if self.captions is not None:
            for row in self.captions.itertuples(index=False):
                self._caption_index.setdefault((int(row.image), str(row.language)), str(row.caption))


def _ordered(codes: Sequence[str]) -> list[str]:
    known = [c for c in XTD10_CODES if c in codes]
    return known + sorted(c for c in codes if c not in XTD10_CODES)


def explain(results: Sequence[Result | str | os.PathLike], *, source: str | os.PathLike | None = None,
            with_captions: bool = True, flagged: Mapping[str, Iterable[int]] | None = None) -> Explained:
    """Align the per-query ranks of ``results`` (same dataset revision) image by image.

    ``flagged`` (language -> image indices) marks captions; by default, those of the
    flagged-caption lists recorded by ``xtd10 crowd audit`` for the source's revision."""
    loaded = [r if isinstance(r, Result) else Result.load(r) for r in results]
    if not loaded:
        raise ExplainError("no result files given")
    first = loaded[0].dataset
    for other in loaded[1:]:
        if (other.dataset.get("name"), other.dataset.get("revision")) != (first.get("name"), first.get("revision")):
            raise ExplainError(
                f"results were computed on different data: {first.get('name')} {first.get('revision')} vs "
                f"{other.dataset.get('name')} {other.dataset.get('revision')}; their queries do not line up")
    models: list[Model] = []
    used: set[str] = set()
    records = []
    notes: list[str] = []
    sizes: set[int] = set()
    for result in loaded:
        spec = str(result.encoder.get("spec") or result.encoder.get("name") or "model")
        label, n = spec, 2
        while label in used:
            label, n = f"{spec} ({n})", n + 1
        used.add(label)
        if not result.per_query:
            raise ExplainError(f"result for {spec!r} has no per-query ranks (written by an older toolkit?); "
                               "re-run it with xtd10 bench run")
        stored: dict[tuple[str, str, str], dict[str, float]] = {}
        for row in result.metrics:
            if row["subset"] == SUBSET:
                stored.setdefault((row["direction"], row["language"], row["track"]), {})[row["metric"]] = row["value"]
        models.append(Model(label, result_slug(label), result, stored))
        for (track, direction, language, subset), stats in result.query_stats().items():
            if subset != SUBSET:
                continue
            sizes.add(len(stats))
            for image, rank in enumerate(stats.ranks.tolist()):
                records.append((label, track, direction, language, image, int(rank)))
    ranks = pd.DataFrame(records, columns=["model", "track", "direction", "language", "image", "rank"])
    if ranks.empty:
        raise ExplainError(f"no per-query ranks on subset {SUBSET!r}")
    n_images = max(sizes)
    partial = ranks.groupby(["model", "direction", "language"])["image"].transform("size") != n_images
    if partial.any():
        dropped = sorted({f"{m}/{d}/{lang}" for m, d, lang in
                          ranks.loc[partial, ["model", "direction", "language"]].itertuples(index=False)})
        notes.append(f"left out (captions cover fewer images, queries do not line up with images): "
                     f"{', '.join(dropped)}")
        ranks = ranks[~partial]
    directions = [d for d in DIRECTIONS if d in set(ranks["direction"])]
    languages = _ordered(sorted(set(ranks["language"]) | ({ENGLISH} if TEXT_TRACK in set(ranks["track"]) else set())))
    captions = file_names = None
    if with_captions:
        captions, file_names, recorded, more = _load_captions(first, languages, source, flagged is None)
        notes.extend(more)
        marks = recorded if flagged is None else {code: {int(i) for i in found} for code, found in flagged.items()}
    else:
        marks = {code: {int(i) for i in found} for code, found in (flagged or {}).items()}
    return Explained(models, str(first.get("name")), str(first.get("revision")), n_images, languages, directions,
                     ranks.reset_index(drop=True), captions, file_names, marks, notes)


def _load_captions(dataset: dict, languages: list[str], source: str | os.PathLike | None,
                   recorded: bool) -> tuple[pd.DataFrame | None, list[str] | None, dict[str, set[int]], list[str]]:
    """Captions and image file names from the dataset's source (the demo set is built in)."""
    from xtd10.benchmark.dataset import load_bench_data

    name = dataset.get("name")
    if name == "xtd10-demo":
        data = load_bench_data("demo", languages)
    elif name == "xtd10":
        if source is None and not os.environ.get("XTD10_SOURCE"):
            return None, None, {}, ["captions not shown: give the caption source (--source DIR or XTD10_SOURCE)"]
        data = load_bench_data("xtd10", languages, source=source)
    else:
        return None, None, {}, [f"captions not shown: unknown dataset {name!r}"]
    notes = []
    if data.revision != dataset.get("revision"):
        notes.append(f"the caption source is revision {data.revision}, the results {dataset.get('revision')}: "
                     "captions may not be those that were scored")
    frame = data.frame[data.frame["caption_index"] == 0]
    captions = pd.DataFrame({"image": frame["index"].astype(int), "language": frame["language"],
                             "caption": frame["caption"]}).reset_index(drop=True)
    flagged = _recorded_flags(languages, source, notes) if recorded and name == "xtd10" else {}
    return captions, list(data.image_files), flagged, notes


def _recorded_flags(languages: list[str], source: str | os.PathLike | None, notes: list[str]) -> dict[str, set[int]]:
    """The reject-severity flags that ``xtd10 crowd audit`` recorded for this revision of
    the captions; languages never audited are listed in a note."""
    from xtd10.data import resolve_source
    from xtd10.data.flagged import flagged_for, flagged_lists
    from xtd10.data.loading import source_revision

    src = resolve_source(source)
    codes = [c for c in languages if c != "en"]
    lists = flagged_lists(src.dataset, source_revision(src, codes))
    missing = [c for c in codes if c not in lists]
    if missing:
        notes.append(f"no caption audit recorded for {', '.join(missing)}: run xtd10 crowd audit, or "
                     "bench explain --audit, to mark flagged captions")
    return {code: flagged_for(lists, code, None) for code in codes if code in lists}


# -- views ---------------------------------------------------------------------------------
def caption_failures(ex: Explained) -> pd.DataFrame:
    """Per (image, language) caption query (t2i, x2en): the best and mean rank over models.

    ``missed_by_all`` is true when no model ranks the right item first. Sorted hardest
    first: by best rank over models, then mean rank."""
    return ex.memo("caption_failures", lambda: _caption_failures(ex))


def _caption_failures(ex: Explained) -> pd.DataFrame:
    queries = ex.ranks[ex.ranks["direction"].isin(list(CAPTION_QUERIES))]
    grouped = queries.groupby(["image", "language"])["rank"]
    out = pd.DataFrame({"best_rank": grouped.min(), "mean_rank": grouped.mean(), "n": grouped.size()}).reset_index()
    out["missed_by_all"] = out["best_rank"] > 1
    return out.sort_values(["best_rank", "mean_rank", "image", "language"], ascending=[False, False, True, True],
                           kind="mergesort").reset_index(drop=True)


def hardest(ex: Explained, top: int = 10) -> pd.DataFrame:
    """The ``top`` hardest caption queries (missed by every model first)."""
    return caption_failures(ex).head(top)


def disagreement(ex: Explained, top: int = 10) -> pd.DataFrame:
    """Images whose rank varies most across languages: per model and direction the
    population variance (as in the ``consistency`` metric), averaged over them."""
    scored = ex.ranks  # the text track has no English cells: its variance is over the others, as in the metric
    variance = scored.groupby(["model", "direction", "image"])["rank"].agg(lambda r: float(np.var(r.to_numpy())))
    per_image = variance.groupby("image").mean().rename("rank_variance").reset_index()
    spread = scored.groupby("image")["rank"].agg(["min", "max"]).reset_index()
    out = per_image.merge(spread, on="image")
    return out.sort_values(["rank_variance", "image"], ascending=[False, True], kind="mergesort").head(top).reset_index(
        drop=True)


def pair_difference(ex: Explained, k: int = 1) -> pd.DataFrame:
    """For two results, per caption query: ``a_only`` (A within top k, B not), ``b_only``."""
    if len(ex.models) != 2:
        raise ExplainError("a pairwise view needs exactly two results")
    a, b = ex.models[0].label, ex.models[1].label
    keys = ["direction", "language", "image"]
    left = ex.ranks[ex.ranks["model"] == a].set_index(keys)["rank"].rename("rank_a")
    right = ex.ranks[ex.ranks["model"] == b].set_index(keys)["rank"].rename("rank_b")
    joined = pd.concat([left, right], axis=1, join="inner").reset_index()
    joined["winner"] = np.where((joined["rank_a"] <= k) & (joined["rank_b"] > k), a,
                                np.where((joined["rank_b"] <= k) & (joined["rank_a"] > k), b, ""))
    joined = joined[joined["winner"] != ""]
    joined["gap"] = (joined["rank_a"] - joined["rank_b"]).abs()
    return joined.sort_values(["winner", "gap", "direction", "language", "image"],
                              ascending=[True, False, True, True, True], kind="mergesort").reset_index(drop=True)


def pair_tests(ex: Explained, metric: str = R1, n_permutations: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Per direction and language: A, B, B - A and the paired permutation p-value
    (:func:`xtd10.benchmark.comparison.paired_permutation`), with the discordant counts."""
    return ex.memo(f"pair_tests {metric} {n_permutations} {seed}",
                   lambda: _pair_tests(ex, metric, n_permutations, seed))


def _pair_tests(ex: Explained, metric: str, n_permutations: int, seed: int) -> pd.DataFrame:
    if len(ex.models) != 2:
        raise ExplainError("a pairwise view needs exactly two results")
    k = recall_k(metric) or 1
    a, b = ex.models[0].label, ex.models[1].label
    rows = []
    for (direction, language), group in ex.ranks.groupby(["direction", "language"], sort=False):
        ra = group[group["model"] == a].sort_values("image")["rank"].to_numpy()
        rb = group[group["model"] == b].sort_values("image")["rank"].to_numpy()
        if len(ra) == 0 or len(ra) != len(rb):
            continue
        stats = [QueryStats(r, ndcg_from_single_ranks(r)) for r in (ra, rb)]
        value_a, value_b, diff, p = paired_permutation(stats[0], stats[1], [metric], n_permutations, seed)[metric]
        rows.append({"direction": direction, "language": language, "metric": metric, "a": value_a, "b": value_b,
                     "diff": diff, "p_value": p, "a_only": int(((ra <= k) & (rb > k)).sum()),
                     "b_only": int(((rb <= k) & (ra > k)).sum()), "n_queries": len(ra)})
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    out["_d"] = out["direction"].map(DIRECTIONS.index)
    out["_l"] = out["language"].map({c: i for i, c in enumerate(ex.languages)})
    return out.sort_values(["_d", "_l"]).drop(columns=["_d", "_l"]).reset_index(drop=True)


def stored_column(metric: str) -> str:
    """The column of :func:`rank_summary` with the result file's own value of ``metric``."""
    return f"stored {metric}"


def rank_summary(ex: Explained) -> pd.DataFrame:
    """Per model, direction and language: R@1/R@5/R@10 and MedR from the ranks, with the
    result file's stored values beside them (they must agree)."""
    rows = []
    for model in ex.models:
        mine = ex.ranks[ex.ranks["model"] == model.label]
        for (track, direction, language), group in mine.groupby(["track", "direction", "language"], sort=False):
            r = group["rank"].to_numpy()
            stored = model.metrics.get((direction, language, track), {})
            row = {"model": model.label, "direction": direction, "language": language, "n_queries": len(r)}
            for k in DEFAULT_KS:
                row[recall_name(k)] = float(np.mean(r <= k))
                row[stored_column(recall_name(k))] = stored.get(recall_name(k))
            row[MEDR] = float(np.median(r))
            rows.append(row)
    return pd.DataFrame(rows)


def upstream_line_url(language: str, image: int) -> str | None:
    """The caption's line in the upstream repository at the pinned commit (built-in languages)."""
    from xtd10.data.upstream import UPSTREAM_COMMIT, UPSTREAM_REPO
    from xtd10.errors import UnknownLanguageError
    from xtd10.languages import REGISTRY

    try:
        lang = REGISTRY.get(language)
    except UnknownLanguageError:
        return None
    if lang.layout != "lines":
        return None
    return f"https://github.com/{UPSTREAM_REPO}/blob/{UPSTREAM_COMMIT}/{lang.upstream_path}#L{image + 1}"


def with_captions(ex: Explained, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (with image and language columns) plus the caption, its upstream line and
    whether the audit flags it."""
    out = frame.copy()
    if ex.captions is not None:
        out["caption"] = [ex.caption(int(i), str(lang)) for i, lang in zip(out["image"], out["language"], strict=True)]
    out["flagged"] = [int(i) in ex.flagged.get(str(lang), set()) for i, lang in
                      zip(out["image"], out["language"], strict=True)]
    out["upstream_line"] = [upstream_line_url(str(lang), int(i)) for i, lang in
                            zip(out["image"], out["language"], strict=True)]
    return out


def per_image_table(ex: Explained) -> pd.DataFrame:
    """The per-image CSV: captions (when known) and every model's rank per direction/language."""
    wide = ex.wide()
    wide.insert(0, "image", range(ex.n_images))
    if ex.file_names is not None:
        wide.insert(1, "file_name", ex.file_names[: ex.n_images])
    if ex.captions is not None:
        for offset, code in enumerate(ex.languages):
            wide.insert(2 + offset, f"caption_{code}", [ex.caption(i, code) for i in range(ex.n_images)])
    return wide.reset_index(drop=True)
