"""Hostile input through the public commands: path escapes, huge captions, injection into
the card and reports, stray bytes, files of the wrong kind, refused promotions, outputs
that are inputs."""

from __future__ import annotations

import json
import re
import time
from typing import NamedTuple

import pandas as pd
import pytest

from tests.crowd.conftest import IMAGES, PAIRS, clean_rows
from xtd10.cli import main
from xtd10.crowd.errors import CrowdError, IngestError, MappingError
from xtd10.crowd.ingest import ingest, load_mapping
from xtd10.crowd.promote import promote
from xtd10.crowd.report import write_report
from xtd10.crowd.validate import validate

ESCAPE = "x/../../../escaped"


class Result(NamedTuple):
    exit_code: int
    output: str


@pytest.fixture
def run(capsys):
    """The command as a user runs it (``xtd10 ...``): errors are one line, exit status 2."""
    def invoke(*args) -> Result:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as err:
            code = int(err.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out + captured.err)
    return invoke


def _accepted(tmp_path, language="hi") -> str:
    path = tmp_path / "accepted.parquet"
    pd.DataFrame(clean_rows()).assign(language=language).to_parquet(path)
    return str(path)


def test_promote_refuses_a_language_code_that_leaves_the_output(run, tmp_path, tiny_source):
    out = tmp_path / "deep" / "a" / "out"
    result = run("crowd", "promote", _accepted(tmp_path), "--language", ESCAPE, "-o", out, "--source", tiny_source)
    assert result.exit_code == 2 and "invalid language code" in result.output
    assert not list(tmp_path.rglob("*escaped*")) and not out.exists()
    with pytest.raises(CrowdError, match="invalid language code"):
        promote(pd.DataFrame(clean_rows()), language="../hi", source=tiny_source, output=out)


def test_ingest_refuses_a_language_code_that_is_not_a_tag(run, tmp_path, tiny_source):
    export = tmp_path / "e.csv"
    export.write_text(f"worker_id,image,text\nw,{IMAGES[0]},x\n", encoding="utf-8")
    result = run("crowd", "ingest", export, "--platform", "csv", "--language", ESCAPE, "-o", tmp_path / "b.parquet",
                  "--source", tiny_source)
    assert result.exit_code == 2 and "invalid language code" in result.output
    with pytest.raises(CrowdError, match="invalid language code"):
        ingest(export, platform="csv", language="de/..", output=tmp_path / "c.parquet", image_names=IMAGES)
    assert not (tmp_path / "b.parquet").exists() and not (tmp_path / "c.parquet").exists()


def test_a_megabyte_caption_is_rejected_quickly():
    rows = clean_rows()
    rows[0]["text"] = "ab" * 500_000  # the repeated-substring pattern used to backtrack on this
    rows[1]["text"] = "<a" * 300_000 + "x" * 100_000  # and the markup one on unclosed tags
    rows[2]["text"] = "w" * 1_000_000
    start = time.perf_counter()
    v = validate(pd.DataFrame(rows))
    elapsed = time.perf_counter() - start
    decisions = v.decisions.set_index("submission_id")
    assert set(decisions.loc[["s0", "s1", "s2"], "decision"]) == {"reject"}
    assert all("too_long" in decisions.loc[s, "rules"] for s in ("s0", "s1", "s2"))
    assert elapsed < 5, elapsed  # linear: well under a second here; generous for loaded machines


def test_promote_name_cannot_break_the_dataset_card(tmp_path, tiny_source):
    from xtd10.data.card import CardInputs, render_card
    from xtd10.data.sources import resolve_source

    out = tmp_path / "src"
    promote(pd.DataFrame(clean_rows()).assign(language="hi", decision="approve"), language="hi",
            source=tiny_source, output=out, name="<img src=x onerror=alert(1)> | x\u202e\nnew row")
    languages = [lang for lang in resolve_source(out).registry if lang.code in ("en", "hi")]
    card = render_card(CardInputs(languages=languages, configs=[], revision="r", counts={"hi": 20},
                                  with_images=False))
    row = next(line for line in card.splitlines() if line.startswith("| `hi` |"))
    assert re.search(r"(?<!\\)<img", card) is None and "\u202e" not in card
    assert row.count(" | ") == 5 and "\\<img src=x onerror=alert(1)\\> \\| x<U+202E> new row" in row.replace(
        "\\<U+202E\\>", "<U+202E>")


def test_reports_escape_markdown_and_show_invisible_characters(tmp_path):
    rows = clean_rows()
    rows[0]["text"] = "a | b\u202e [x](javascript:alert(1)) \x00"
    rows[1]["worker_id"] = "evil|`\n| injected | row |\u202e"
    rows[1]["work_time_s"] = 1.0  # puts the row in the review queue with its worker
    paths = write_report(validate(pd.DataFrame(rows)), tmp_path / "r")
    summary = paths["markdown"].read_text(encoding="utf-8")
    page = paths["html"].read_text(encoding="utf-8")
    for text in (summary, page):
        assert "\u202e" not in text and "\x00" not in text and "<U+202E>" in text.replace("&lt;", "<").replace(
            "&gt;", ">").replace("\\<", "<").replace("\\>", ">")
    table_rows = [line for line in summary.splitlines() if line.startswith("|")]
    assert not any(line.startswith("| injected") for line in table_rows)
    widths = {line.count(" | ") for line in table_rows if "evil" in line}
    assert widths == {7, 3}  # the worker table row keeps its 8 cells, the review queue row its 4
    assert "](review.html#s1)" in summary and "href='review.html#s1'" in page


def _stray_byte_export(tmp_path):
    lines = ["submission_id,worker_id,image,english,text"]
    for i, (en, de) in enumerate(PAIRS):
        lines.append(f"s{i},w{i % 4},{IMAGES[i]},{en},{de}")
    data = bytearray("\n".join(lines).encode("utf-8") + b"\n")
    bad_line = 5  # s3: "ein Teller mit Essen, ..." (quoted below) gets one cp1252 byte
    raw = data.split(b"\n")
    raw[bad_line - 1] = f's3,w3,{IMAGES[3]},{PAIRS[3][0]},"Gr'.encode() + b"\xfc" + b'n und Reis"'
    path = tmp_path / "export.csv"
    path.write_bytes(b"\n".join(raw))
    offset = sum(len(x) + 1 for x in raw[:bad_line - 1]) + raw[bad_line - 1].index(b"\xfc")
    return path, bad_line, offset


def test_one_stray_byte_reports_that_row_and_keeps_utf8_for_the_rest(tmp_path):
    path, line, offset = _stray_byte_export(tmp_path)
    report = ingest(path, platform="csv", language="de", output=tmp_path / "b.parquet", image_names=IMAGES)
    assert report.encoding == "utf-8" and report.rows == len(PAIRS) - 1
    assert report.errors == [(line, f"not valid UTF-8 (byte 0xFC at offset {offset}); row skipped, the rest of "
                                    "the file is read as UTF-8")]
    frame = pd.read_parquet(tmp_path / "b.parquet")
    assert frame["text"].tolist() == [de for i, (_, de) in enumerate(PAIRS) if i != 3]  # umlauts intact
    v = validate(frame)
    assert set(v.decisions["decision"]) == {"approve"} and "block" not in set(v.workers["recommendation"])


def test_a_whole_legacy_file_is_still_read_and_encoding_can_be_named(tmp_path):
    text = "submission_id,worker_id,image,text\n" + "".join(f's{i},w,{IMAGES[i]},"{de}"\n'
                                                           for i, (_, de) in enumerate(PAIRS))
    path = tmp_path / "legacy.csv"
    path.write_bytes(text.encode("cp1252"))
    report = ingest(path, platform="csv", language="de", output=tmp_path / "a.parquet", image_names=IMAGES)
    assert report.encoding == "cp1252" and report.bad_rows == 0
    assert pd.read_parquet(tmp_path / "a.parquet")["text"].tolist() == [de for _, de in PAIRS]
    path.write_bytes(text.encode("latin-1"))
    report = ingest(path, platform="csv", language="de", output=tmp_path / "b.parquet", image_names=IMAGES,
                    encoding="latin-1")
    assert report.encoding == "iso8859-1"
    with pytest.raises(IngestError, match="unknown encoding"):
        ingest(path, platform="csv", language="de", output=tmp_path / "c.parquet", image_names=IMAGES,
               encoding="klingon")


@pytest.mark.parametrize("command", ["validate", "decide", "promote"])
def test_a_file_that_is_not_an_ingested_batch_is_a_one_line_error(run, tmp_path, command):
    not_parquet = tmp_path / "export.csv"
    not_parquet.write_text("a,b\n1,2\n", encoding="utf-8")
    other_table = tmp_path / "other.parquet"
    pd.DataFrame({"x": [1]}).to_parquet(other_table)
    extra = {"validate": ["--report", tmp_path / "r", "--no-semantic"],
             "decide": ["-o", tmp_path / "d.csv", "--no-semantic"],
             "promote": ["--language", "hi", "-o", tmp_path / "out"]}[command]
    for path, message in ((not_parquet, "not a parquet"), (other_table, "missing columns")):
        result = run("crowd", command, path, *extra)
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output


@pytest.mark.parametrize(("content", "message"), [
    ("columns:\n  text: [a, b]\n", "columns.text must be a column name"),
    ("columns:\n  text: 3\n", "columns.text must be a column name"),
    ("columns: {text: t}\ndelimiter: ';;'\n", "delimiter must be one character"),
    ("columns: {text: t}\ntext_field: [x]\n", "text_field must be"),
    ("columns: {text: t}\ncolums: {}\n", "unknown keys"),
])
def test_mapping_values_of_the_wrong_type_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "map.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


def test_a_refused_promotion_leaves_the_earlier_one_untouched(tmp_path, tiny_source):
    out = tmp_path / "out"
    first = pd.DataFrame(clean_rows()).assign(language="hi", decision="approve")
    promote(first, language="hi", source=tiny_source, output=out)
    captions = out / "CROWD" / "test_1kcaptions_hi.txt"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    second = first.assign(text="eine ganz andere Beschreibung des Bildes")
    with pytest.raises(CrowdError, match="already has 'hi'"):
        promote(second, language="hi", source=tiny_source, output=out)
    bad_images = second.assign(image="COCO_train2014_000000999999.jpg")
    with pytest.raises(CrowdError, match="images not in the source"):
        promote(bad_images, language="hi", source=tiny_source, output=out, replace=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before and PAIRS[0][1] in captions.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no staging left behind
    promote(second, language="hi", source=tiny_source, output=out, replace=True)
    assert "eine ganz andere" in captions.read_text(encoding="utf-8")


def test_an_output_that_is_an_input_is_refused(run, tmp_path, tiny_source):
    export = tmp_path / "x.csv"
    export.write_text(f"worker_id,image,text\nw,{IMAGES[0]},ein Mann reitet eine Welle\n", encoding="utf-8")
    before = export.read_bytes()
    result = run("crowd", "ingest", export, "--platform", "csv", "--language", "de", "-o", export,
                  "--source", tiny_source)
    assert result.exit_code == 2 and "same file" in result.output and export.read_bytes() == before
    batch = tmp_path / "b.parquet"
    assert run("crowd", "ingest", export, "--platform", "csv", "--language", "de", "-o", batch,
                "--source", tiny_source).exit_code == 0
    stamp = batch.read_bytes()
    for args in (["-o", tmp_path / "d.csv", "--accepted", batch], ["-o", batch],
                 ["-o", tmp_path / "d.csv", "--accepted", tmp_path / "d.csv"]):
        result = run("crowd", "decide", batch, *args, "--no-semantic")
        assert result.exit_code == 2 and "same file" in result.output, result.output
    assert batch.read_bytes() == stamp


def test_promote_refuses_a_batch_that_decide_never_marked(run, tmp_path, tiny_source):
    export = tmp_path / "export.csv"
    rows = [f"s{i},w{i % 4},{IMAGES[i]},{de}" for i, (_, de) in enumerate(PAIRS)]
    rows[0] = f"s0,w0,{IMAGES[0]},<b>=HYPERLINK(1)</b>"  # would be rejected by decide
    export.write_text("submission_id,worker_id,image,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    batch, out = tmp_path / "batch.parquet", tmp_path / "out"
    assert run("crowd", "ingest", export, "--platform", "csv", "--language", "hi", "-o", batch,
               "--source", tiny_source).exit_code == 0
    result = run("crowd", "promote", batch, "--language", "hi", "-o", out, "--source", tiny_source)
    assert result.exit_code == 2 and "no 'decision' column" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert not out.exists()
    with pytest.raises(CrowdError, match="no 'decision' column"):
        promote(pd.read_parquet(batch), language="hi", source=tiny_source, output=out)
    assert not out.exists()


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("where", ["first task", "a later task", "inside a task"])
def test_a_deeply_nested_label_studio_export_is_a_one_line_error(run, tmp_path, tiny_source, where):
    task = json.dumps({"id": 1, "data": {"image": IMAGES[0]}, "annotations": [
        {"id": 5, "completed_by": 1, "result": [{"from_name": "t", "value": {"text": ["ein Mann reitet eine Welle"]}}]}]})
    body = {"first task": _nested(100_000),
            "a later task": task + ",\n" + _nested(100_000),
            "inside a task": task.replace('"id": 1,', '"id": 1, "meta": ' + _nested(100_000) + ",")}[where]
    export, batch = tmp_path / "export.json", tmp_path / "b.parquet"
    export.write_text("[\n" + body + "\n]", encoding="utf-8")
    result = run("crowd", "ingest", export, "--platform", "labelstudio", "--language", "de", "-o", batch,
                 "--source", tiny_source)
    assert "Traceback" not in result.output and "RecursionError" not in result.output, result.output[-300:]
    assert "nested too deeply" in result.output, result.output
    assert all(len(line) < 400 for line in result.output.splitlines())
    if where == "a later task":  # the tasks before it are kept, the fault reported at its line
        assert result.exit_code == 0 and "export.json:3:" in result.output
        assert pd.read_parquet(batch)["text"].tolist() == ["ein Mann reitet eine Welle"]
    else:
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1 and not batch.exists()


@pytest.mark.parametrize("template", ["https://x/{file_name!r:>99}", "{file_name:>99}", "{file_name!s}",
                                      "{file_name.__class__}", "{file_name[0]}", "{index.real}", "{}", "{0}",
                                      "{file_name", "x}", "{split:{index}}", "{secret}"])
def test_image_url_template_allows_only_plain_fields(run, tmp_path, tiny_source, template):
    out = tmp_path / "input.csv"
    result = run("crowd", "task", "--language", "de", "--out", out, "--source", tiny_source,
                 "--image-url-template", template)
    assert result.exit_code == 2, result.output[:300]
    assert "image URL template" in result.output and "{file_name}, {split}, {index}" in result.output
    assert len(result.output.strip().splitlines()) == 1 and len(result.output) < 400 and not out.exists()


def test_image_url_template_with_plain_fields_and_literal_braces(run, tmp_path, tiny_source):
    out = tmp_path / "input.csv"
    result = run("crowd", "task", "--language", "de", "--out", out, "--source", tiny_source,
                 "--image-url-template", "https://x/{split}/{{raw}}/{index}-{file_name}")
    assert result.exit_code == 0, result.output
    urls = pd.read_csv(out, encoding="utf-8-sig")["image_url"]
    assert urls[0] == f"https://x/val2014/{{raw}}/0-{IMAGES[0]}"


_KILLED_PROMOTE = """
import os, signal, sys
from pathlib import Path
import pandas as pd
import xtd10.crowd.promote as promote_module

accepted, source, out, language, where = sys.argv[1:]
if where == "building":  # killed while the new folder is being written
    promote_module.atomic_write_text = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
else:  # killed right after the earlier output was moved aside, before the new one took its place
    replace = os.replace
    def killing_replace(src, dst):
        replace(src, dst)
        if Path(src) == Path(out):
            os.kill(os.getpid(), signal.SIGKILL)
    os.replace = killing_replace
promote_module.promote(pd.read_parquet(accepted), language=language, source=source, output=out)
"""


def _promote_killed(tmp_path, accepted, source, out, language, where) -> None:
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    args = [str(a) for a in (accepted, source, out, language, where)]
    done = subprocess.run([sys.executable, "-c", _KILLED_PROMOTE, *args],
                          env={**__import__("os").environ, "PYTHONPATH": str(repo)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == -9, done.stderr[-2000:]  # SIGKILL: nothing could clean up


@pytest.mark.parametrize("where", ["building", "swapping"])
def test_the_next_promote_cleans_up_after_a_killed_one(run, tmp_path, tiny_source, where):
    import os

    parent = tmp_path / "pub"
    parent.mkdir()
    out = parent / "out"
    accepted, accepted_vi = tmp_path / "hi.parquet", tmp_path / "vi.parquet"
    pd.DataFrame(clean_rows()).assign(language="hi", decision="approve").to_parquet(accepted)
    pd.DataFrame(clean_rows()).assign(language="vi", decision="approve").to_parquet(accepted_vi)
    assert run("crowd", "promote", accepted, "--language", "hi", "-o", out, "--source", tiny_source).exit_code == 0
    # folders that look like the tool's but are not (or are in use) stay as they are
    (parent / ".out.backup").mkdir()
    (parent / ".out.backup" / "mine.txt").write_text("a user's file", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("outside", encoding="utf-8")
    (elsewhere / "xtd10-promote.json").write_text('{"output": "out", "pid": 999999999, "host": "h"}',
                                                  encoding="utf-8")
    os.symlink(elsewhere, parent / ".out.xtd10-promote-999999999-link")
    unmarked = parent / ".out.xtd10-promote-999999999-unmarked"
    unmarked.mkdir()
    (unmarked / "data.txt").write_text("not provably ours", encoding="utf-8")
    user_hidden = {p.name for p in parent.iterdir() if p.name.startswith(".")}

    _promote_killed(tmp_path, accepted_vi, tiny_source, out, "vi", where)
    left = {p.name for p in parent.iterdir() if p.name.startswith(".")} - user_hidden
    assert left, "the kill left nothing behind: the test no longer interrupts a promotion"
    result = run("crowd", "promote", accepted_vi, "--language", "vi", "-o", out, "--source", tiny_source)
    assert result.exit_code == 0, result.output
    assert {p.name for p in parent.iterdir() if p.name.startswith(".")} == user_hidden  # stale ones gone
    assert (elsewhere / "keep.txt").is_file() and (parent / ".out.backup" / "mine.txt").is_file()
    assert (unmarked / "data.txt").is_file()
    from xtd10.data.sources import resolve_source

    codes = {lang.code for lang in resolve_source(out).registry}
    assert {"hi", "vi"} <= codes  # the earlier promotion survived the kill
