"""The streaming JSON array reader against ``json.loads`` as the reference."""

from __future__ import annotations

import io
import json
import random

import pytest

from xtd10.crowd.jsonstream import JSONArrayError, iter_json_array, iter_json_stream


def _elements(rng: random.Random) -> list:
    return [{"id": i, "text": "é\n\\\"" * rng.randint(0, 9) + "x" * rng.randint(0, 80),
             "n": rng.random() * 10 ** rng.randint(0, 18), "big": 10 ** rng.randint(0, 30),
             "flags": [None, True, False], "nested": {"a": [[], {}]}} for i in range(rng.randint(0, 30))]


@pytest.mark.parametrize("seed", range(40))
def test_matches_json_loads_for_any_window_size(tmp_path, seed):
    rng = random.Random(seed)
    data = _elements(rng)
    text = json.dumps(data, indent=rng.choice([None, 1, 2]), ensure_ascii=rng.random() < 0.5)
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    got = list(iter_json_array(path, chunk_chars=rng.randint(1, 50)))
    assert [element for _, element in got] == json.loads(text)
    lines = text.split("\n")
    for line, element in got:  # the reported line is where the element starts
        assert lines[line - 1].lstrip(" [").startswith("{"), (line, element)


@pytest.mark.parametrize("seed", range(20))
def test_truncation_keeps_complete_elements_and_names_the_line(tmp_path, seed):
    rng = random.Random(seed)
    data = [{"id": i, "v": "w" * rng.randint(0, 20)} for i in range(10)]
    text = json.dumps(data, indent=1)
    cut = rng.randint(2, len(text) - 1)
    path = tmp_path / "cut.json"
    path.write_text(text[:cut], encoding="utf-8")
    seen = []
    with pytest.raises(JSONArrayError) as caught:
        for _, element in iter_json_array(path, chunk_chars=rng.randint(1, 40)):
            seen.append(element)
    assert seen == data[:len(seen)] and caught.value.elements_read == len(seen)
    assert 1 <= caught.value.line <= text[:cut].count("\n") + 1


@pytest.mark.parametrize(("text", "message"), [
    ('{"tasks": []}', "expected a JSON array"), ("", "end of the file"), ("[1 2]", "expected ',' or ']'"),
    ("[1]x", "after the closing"), ('[{"a": }]', "invalid JSON in element 1"),
])
def test_malformed_documents_are_named_errors(tmp_path, text, message):
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(JSONArrayError, match=message):
        list(iter_json_array(path))


class _CountingReader(io.StringIO):
    """A text stream that records how many characters were asked of it."""

    characters_read = 0

    def read(self, size: int | None = -1) -> str:
        chunk = super().read(size)
        self.characters_read += len(chunk)
        return chunk


def test_a_fault_early_in_a_large_file_is_found_without_reading_the_rest():
    text = '[{"a": 1}, {"a": tru}, ' + ", ".join(['{"b": "' + "z" * 1000 + '"}'] * 5000) + "]"
    stream = _CountingReader(text)
    with pytest.raises(JSONArrayError, match="element 2"):
        list(iter_json_stream(stream, chunk_chars=4096))
    assert stream.characters_read <= 2 * 4096 < len(text) // 500


def test_memory_is_bounded_by_the_largest_element_not_the_file():
    text = "[" + ", ".join(['{"b": "' + "z" * 1000 + '"}'] * 5000) + "]"
    stream = _CountingReader(text)
    windows = []
    for _ in iter_json_stream(stream, chunk_chars=4096):
        windows.append(stream.characters_read)
    assert windows[-1] == len(text)
    # Text is read as the elements are consumed, never far ahead of them.
    per_element = len(text) // 5000
    assert all(read - per_element * (i + 1) <= 2 * 4096 for i, read in enumerate(windows))
