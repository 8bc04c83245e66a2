import re

import pytest
from click.testing import CliRunner

from xtd10.cli import cli, main


def test_info_on_a_local_source(tiny_source):
    result = CliRunner().invoke(cli, ["data", "info", "--source", str(tiny_source)])
    assert result.exit_code == 0, result.output
    assert re.search(r"^ja +Japanese +Jpan +4 ", result.output, re.M)
    assert "4 (2 train2014, 2 val2014)" in result.output
    assert "noncommercial" in result.output


def test_info_without_cache_does_not_touch_network():
    result = CliRunner().invoke(cli, ["data", "info"])
    assert result.exit_code == 0, result.output
    assert "not cached yet" in result.output


def test_build_command(tiny_source, tmp_path):
    out = tmp_path / "hub"
    result = CliRunner().invoke(cli, ["data", "build", str(out), "--source", str(tiny_source)])
    assert result.exit_code == 0, result.output
    assert (out / "data" / "ja" / "test.parquet").is_file()


def test_library_errors_become_one_line(capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["data", "info", "--source", str(tmp_path / "missing")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: XTD10 source directory") and "Traceback" not in err
