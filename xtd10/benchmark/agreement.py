"""Does a fresh run give the committed numbers? Metric by metric, not file by file.

A result file also holds its date, timings and hardware, which always change; what a user
wants to know after ``make run`` is whether the *metrics* came out the same as the ones the
project committed, and if not, by how much (a near-tied query moved by the last bits of a
float shows as a few cells differing in the third decimal)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from xtd10.schema import CELL_FIELDS, Result

NUMBERS = ("value", "ci_low", "ci_high")


@dataclass(frozen=True)
class Agreement:
    """A fresh result measured against the committed one of the same model and dataset."""

    committed: Path
    cells: int          # metric rows present in both
    differing: int      # of those, rows whose value or interval differs
    largest: float      # the largest absolute difference of any number of those rows
    only_one_side: int  # metric rows present in one file only
    largest_cell: str = ""  # track/direction/language/subset/metric of the largest difference

    @property
    def identical(self) -> bool:
        return self.differing == 0 and self.only_one_side == 0

    def describe(self) -> str:
        if self.identical:
            return f"identical to the committed result {self.committed} ({self.cells} metric cells)"
        parts = []
        if self.differing:
            parts.append(f"{self.differing} of {self.cells} metric cells differ from the committed result "
                         f"{self.committed} (largest difference {self.largest:.4g}, {self.largest_cell})")
        else:
            parts.append(f"the {self.cells} shared metric cells equal the committed result {self.committed}")
        if self.only_one_side:
            parts.append(f"{self.only_one_side} cells are in one of the two files only")
        return "; ".join(parts)


def _rows(result: Result) -> dict[tuple[str, ...], dict]:
    return {tuple(str(m[k]) for k in (*CELL_FIELDS, "metric")): m for m in result.metrics}


def _difference(a: object, b: object) -> float | None:
    """0 for equal numbers (or both missing), the gap otherwise; None when only one is missing."""
    if a is None or b is None:
        return 0.0 if a is b else None
    return abs(float(a) - float(b))  # type: ignore[arg-type]


def agreement(fresh: Result, committed: Result, committed_path: str | os.PathLike) -> Agreement:
    """Compare every metric row two results share, number by number."""
    new, old = _rows(fresh), _rows(committed)
    shared = new.keys() & old.keys()
    differing, largest, where = 0, 0.0, ""
    for key in sorted(shared):
        gaps = [_difference(new[key].get(n), old[key].get(n)) for n in NUMBERS]
        if any(g is None or g > 0 for g in gaps):
            differing += 1
            gap = max((g for g in gaps if g is not None), default=0.0)
            if gap > largest or not where:
                largest, where = max(largest, gap), "/".join(key)
    return Agreement(Path(committed_path), len(shared), differing, largest, len(new.keys() ^ old.keys()), where)


def agreement_with_folder(fresh: Result, fresh_path: str | os.PathLike,
                          folder: str | os.PathLike) -> Agreement | None:
    """The agreement with the file of the same name in ``folder``, or None without one (or
    when the fresh file *is* that file)."""
    committed_path = Path(folder) / Path(fresh_path).name
    if not committed_path.is_file() or committed_path.resolve() == Path(fresh_path).resolve():
        return None
    return agreement(fresh, Result.load(committed_path), committed_path)
