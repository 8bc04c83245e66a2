"""One progress bar for a whole benchmark run, and an early estimate of its duration.

A run encodes the images and then the captions of each language; a bar per language says
nothing about how long the whole run will take (mUSE over XTD10's 11,000 captions takes
minutes on a laptop CPU). :class:`RunProgress` shows one bar over every item of the run
(``part k of n``, items done, ETA) and, once it has timed a few seconds of real encoding,
prints one line with the expected duration when that is long, adding that the embeddings
are cached so a re-run is quick. Items read back from the embedding cache advance the bar
but are left out of the rate, so a half-cached run does not promise too little.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from tqdm.auto import tqdm

MEASURE_AFTER_S = 2.0  # encoding time to measure before estimating
ANNOUNCE_ABOVE_S = 30.0  # estimates shorter than this are not worth a line


def describe_seconds(seconds: float) -> str:
    """Rounded, human wording: '40 s', '6 min', '1 h 20 min'."""
    if seconds < 90:
        return f"{max(5, round(seconds / 5) * 5):.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class RunProgress:
    """The overall bar of one run: ``part(label, kind)`` opens the next part (a language, the
    images), whose ``update``/``skip`` advance the same bar.

    ``totals`` counts the items of each kind (``image``, ``text``): an image costs far more
    than a caption, so each kind gets its own measured rate, and the estimate waits until
    every kind still to come has one. The first encoded batch of a kind is not timed: it
    often includes loading the model."""

    def __init__(self, name: str, totals: dict[str, int], parts: int, *, enabled: bool = True,
                 file: TextIO | None = None):
        self.name = name
        self.totals = {kind: int(n) for kind, n in totals.items() if n}
        self.total = sum(self.totals.values())
        self.parts = max(1, int(parts))
        self.file = file if file is not None else sys.stderr
        self.enabled = enabled
        self.bar = tqdm(total=self.total, desc=name, unit="item", disable=not enabled, file=self.file,
                        dynamic_ncols=True)
        self.current = 0
        self.kind = ""
        self.done: dict[str, int] = dict.fromkeys(self.totals, 0)
        self.timed: dict[str, int] = dict.fromkeys(self.totals, 0)  # encoded items with a measured time
        self.timed_s: dict[str, float] = dict.fromkeys(self.totals, 0.0)
        self.batches: dict[str, int] = dict.fromkeys(self.totals, 0)
        self.announced: str | None = None
        self._last = time.perf_counter()

    def part(self, label: str, kind: str) -> _Part:
        self.current += 1
        self.kind = kind
        self.totals.setdefault(kind, 0)
        for table in (self.done, self.timed, self.batches):
            table.setdefault(kind, 0)
        self.timed_s.setdefault(kind, 0.0)
        self.bar.set_description_str(f"{self.name} {label} ({self.current}/{self.parts})", refresh=False)
        self._last = time.perf_counter()
        return _Part(self)

    def _advance(self, n: int, computed: bool) -> None:
        now = time.perf_counter()
        kind = self.kind
        if computed:
            self.batches[kind] += 1
            if self.batches[kind] > 1:
                self.timed[kind] += n
                self.timed_s[kind] += now - self._last
        self._last = now
        self.done[kind] += n
        self.bar.update(n)
        if computed and self.announced is None and self.timed_s[kind] >= MEASURE_AFTER_S:
            self._announce()

    def left(self) -> int:
        return sum(self.totals[k] - self.done[k] for k in self.totals)

    def estimate_s(self) -> float | None:
        """Seconds left at the rates measured on encoded (not cached) items; None while a
        kind still to encode has no rate yet."""
        seconds = 0.0
        for kind, total in self.totals.items():
            left = total - self.done[kind]
            if left <= 0:
                continue
            if not self.timed[kind] or self.timed_s[kind] <= 0:
                return None
            seconds += left * self.timed_s[kind] / self.timed[kind]
        return seconds

    def _announce(self) -> None:
        left = self.estimate_s()
        if left is None:
            return  # measured one kind, another is still to come: wait for its rate
        self.announced = ""
        if left < ANNOUNCE_ABOVE_S:
            return
        kind = self.kind
        rate = self.timed[kind] / self.timed_s[kind]
        speed = f"{rate:.0f} {kind}s/s" if rate >= 1 else f"{1 / rate:.1f} s per {kind}"
        self.announced = (f"{self.name}: about {describe_seconds(left)} more to encode {self.left():,} items "
                          f"({speed} on this machine); the embeddings are cached, so running this again "
                          "takes seconds")
        if self.enabled:
            self.bar.write(self.announced, file=self.file)

    def close(self) -> None:
        self.bar.close()


class _Part:
    """The handle the embedding store advances: ``update`` for encoded items, ``skip`` for
    items read from the cache."""

    def __init__(self, owner: RunProgress):
        self.owner = owner

    def update(self, n: int) -> None:
        self.owner._advance(n, computed=True)

    def skip(self, n: int) -> None:
        self.owner._advance(n, computed=False)

    def close(self) -> None:
        """The overall bar stays open until the run ends."""


class SingleBar:
    """A plain bar for one part, for callers without a :class:`RunProgress` (same handle)."""

    def __init__(self, label: str, total: int, unit: str, enabled: bool):
        self.bar = tqdm(total=total, desc=label, unit=unit, disable=not enabled, leave=False)

    def update(self, n: int) -> None:
        self.bar.update(n)

    skip = update

    def close(self) -> None:
        self.bar.close()


def open_bar(progress: bool | RunProgress, label: str, total: int, unit: str) -> _Part | SingleBar:
    """The bar handle for one part of a run (``unit``: the kind of item, image or text)."""
    if isinstance(progress, RunProgress):
        return progress.part(label, unit)
    return SingleBar(label, total, unit, bool(progress))
