"""The overall progress bar of a run and its early duration estimate."""

from __future__ import annotations

import io

import pytest

import xtd10.benchmark.progress as progress
from xtd10.benchmark import evaluate
from xtd10.benchmark.progress import RunProgress, describe_seconds


class Clock:
    """A settable stand-in for time.perf_counter (no test waits on real time)."""

    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(progress.time, "perf_counter", fake)
    return fake


def test_estimate_uses_encoded_items_only_and_is_announced_once(clock):
    out = io.StringIO()
    bar = RunProgress("muse", {"text": 11_000}, parts=11, file=out)
    part = bar.part("encode text [en]", "text")
    part.skip(1000)  # read from the cache in no time: must not make the rest look instant
    part = bar.part("encode text [de]", "text")
    clock.now += 10.0
    part.update(25)  # the first batch (often the model loading) is not timed
    for _ in range(2):
        clock.now += 1.0
        part.update(25)  # 25 items per second
    # announced once two seconds of encoding were timed: 9,925 items left at 25 items/s
    assert bar.estimate_s() == pytest.approx(9925 / 25)
    assert bar.announced.startswith(f"muse: about {describe_seconds(9925 / 25)} more to encode 9,925 items")
    assert "(25 texts/s on this machine)" in bar.announced and "cached" in bar.announced
    clock.now += 1.0
    part.update(25)
    bar.close()
    assert out.getvalue().count("more to encode") == 1
    assert "(2/11)" in out.getvalue()


def test_each_kind_of_item_gets_its_own_rate(clock):
    """Images are slow and captions fast: no estimate until the captions have a rate."""
    bar = RunProgress("model", {"image": 100, "text": 1000}, parts=2, file=io.StringIO())
    part = bar.part("encode images", "image")
    for _ in range(4):
        clock.now += 1.0
        part.update(10)  # 10 images/s, 60 images left: 6 s
    assert bar.estimate_s() is None and bar.announced is None
    for _ in range(6):
        clock.now += 1.0
        part.update(10)
    part = bar.part("encode text [en]", "text")
    for _ in range(3):
        clock.now += 1.0
        part.update(100)  # 100 captions/s: 700 left, 7 s
    assert bar.estimate_s() == pytest.approx(7.0)
    assert bar.announced == ""  # under the threshold: no line


def test_short_runs_print_no_estimate(clock):
    out = io.StringIO()
    bar = RunProgress("random", {"text": 100}, parts=1, file=out)
    part = bar.part("encode text [en]", "text")
    clock.now += 1.0
    part.update(10)
    clock.now += 3.0
    part.update(80)  # 10 items left at about 27 items/s: well under the announcement threshold
    bar.close()
    assert bar.announced == "" and "more to encode" not in out.getvalue()


@pytest.mark.parametrize(("seconds", "words"), [(12, "10 s"), (61, "60 s"), (400, "7 min"), (5400, "1 h 30 min")])
def test_durations_read_as_words(seconds, words):
    assert describe_seconds(seconds) == words


def test_a_run_shows_one_bar_over_every_language_and_the_images(capsys):
    evaluate("random", dataset="demo", bootstrap=0)
    err = capsys.readouterr().err
    # 12 photos + 12 captions in each of 11 languages, in 12 parts
    assert "144/144" in err and "(12/12)" in err
