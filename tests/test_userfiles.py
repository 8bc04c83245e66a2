"""Every way a hand-written YAML file can be unreadable is one error naming the file."""

from __future__ import annotations

import pytest

from xtd10.errors import XTD10Error
from xtd10.userfiles import parse_yaml, read_yaml


class BadFile(XTD10Error):
    pass


def test_reads_utf8_with_and_without_bom(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: é\n", encoding="utf-8")
    assert read_yaml(path, BadFile) == {"name": "é"}
    path.write_bytes(b"\xef\xbb\xbfname: x\n")
    assert read_yaml(path, BadFile) == {"name": "x"}


@pytest.mark.parametrize(("content", "message"), [
    (None, r"missing\.yaml: no such model list$"),
    (b"a: [unclosed\nb: 1\n", r"c\.yaml: invalid YAML: .* \(line 2, column 2\)$"),
    ("name: café\n".encode("cp1252"), r"c\.yaml: not UTF-8 text \(byte 9 is b'\\xe9'\); save the file as UTF-8$"),
    ("key: value\n".encode("utf-16"), r"c\.yaml: not UTF-8 text \(byte 0 is b'\\xff'\)"),
])
def test_unreadable_files_name_the_file_and_the_fault(tmp_path, content, message):
    path = tmp_path / ("missing.yaml" if content is None else "c.yaml")
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(BadFile, match=message):
        read_yaml(path, BadFile, "model list")


def test_a_directory_is_a_read_error_not_a_traceback(tmp_path):
    with pytest.raises(BadFile, match=r": cannot read the config: "):
        read_yaml(tmp_path, BadFile, "config")


def test_parse_names_the_given_place():
    with pytest.raises(BadFile, match=r"^packaged/x\.yaml: invalid YAML: .*\(line 1, column 6\)"):
        parse_yaml("a: [b", "packaged/x.yaml", BadFile)


def test_read_text_drops_a_byte_order_mark_only_at_the_start(tmp_path):
    from xtd10.userfiles import read_text

    path = tmp_path / "v.txt"
    path.write_bytes("\ufefftag\nzwnbsp\ufeffinside\n".encode())
    assert read_text(path, BadFile).splitlines() == ["tag", "zwnbsp\ufeffinside"]


# Nine levels of nine aliases: under 600 bytes, a billion strings once expanded.
ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)
ONE_ALIAS = "defaults: &shared {batch_size: 8}\nother: *shared\n"


def _run(argv: list[str], capsys) -> str:
    from xtd10.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    return err


@pytest.mark.parametrize("text", [ALIAS_BOMB, ONE_ALIAS], ids=["bomb", "one alias"])
@pytest.mark.parametrize("role", ["reported numbers", "model list", "training config"])
def test_yaml_aliases_are_refused_by_every_command_that_reads_user_yaml(tmp_path, capsys, text, role):
    import time

    assert len(ALIAS_BOMB) < 600
    reported = tmp_path / "reported"
    reported.mkdir()
    path = (reported if role == "reported numbers" else tmp_path) / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    argv = {
        "reported numbers": ["leaderboard", "validate", "--results", str(tmp_path / "none"), "--reported",
                             str(reported)],
        "model list": ["bench", "sweep", "--config", str(path)],
        "training config": ["baseline", "train", "--config", str(path)],
    }[role]
    started = time.perf_counter()
    err = _run(argv, capsys)
    assert time.perf_counter() - started < 5
    assert "hostile.yaml" in err and "aliases" in err and "(line 1, column" in err
    assert len(err) < 300  # never the expanded value


def test_yaml_aliases_are_refused_in_language_settings(tmp_path):
    from xtd10.crowd.settings import SettingsError, load_settings

    (tmp_path / "hi.yaml").write_text("code: hi\nmax_chars: &m 300\nmin_chars: *m\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"hi\.yaml: .*aliases.*\(line 2, column 12\)"):
        load_settings("hi", tmp_path, warn=False)


def test_deeply_nested_yaml_is_one_error():
    with pytest.raises(BadFile, match=r"^deep\.yaml: invalid YAML: nested too deeply"):
        parse_yaml("[" * 100_000 + "]" * 100_000, "deep.yaml", BadFile)


def test_a_number_too_long_for_python_is_one_error(tmp_path):
    from xtd10.userfiles import brief, read_json

    path = tmp_path / "c.yaml"
    path.write_text("layers: " + "9" * 5000 + "\n")
    with pytest.raises(BadFile, match=r"c\.yaml: invalid YAML: a number of 5000 digits$"):
        read_yaml(path, BadFile)
    path = tmp_path / "r.json"
    path.write_text('{"bootstrap": ' + "9" * 5000 + "}")
    with pytest.raises(BadFile, match=r"r\.json: invalid JSON: a number of 5000 digits$"):
        read_json(path, BadFile)
    assert brief(10**5000) == "a number of about 5000 digits"
    assert brief("x" * 1000) == "'" + "x" * 56 + "..."
