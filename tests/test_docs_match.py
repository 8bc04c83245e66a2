"""The docs name files, commands, variables and packages that exist as written: each check
below reads the doc and the thing it names."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import click
import pytest

from tests.conftest import REAL_DATA_SKIP, SKIP_KINDS
from xtd10.cli import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def _commands(text: str) -> list[list[str]]:
    """The ``xtd10 ...`` command lines of the fenced code blocks of ``text``."""
    blocks = re.findall(r"```(?:bash)?\n(.*?)```", text, flags=re.S)
    return [line.strip().split("#")[0].split() for block in blocks for line in block.splitlines()
            if line.strip().startswith("xtd10 ")]


@pytest.mark.parametrize("doc", ["README.md", "benchmark/README.md", "docs/benchmark.md", "docs/leaderboard.md", "docs/baseline.md",
                                 "docs/crowdsourcing.md"])
def test_every_command_and_option_in_a_doc_exists(doc):
    for words in _commands((REPO / doc).read_text(encoding="utf-8")):
        command: click.Command = cli
        for word in words[1:]:
            found = command.get_command(click.Context(command), word) if isinstance(command, click.Group) else None
            if found is None:
                break
            command = found
        assert command is not cli, f"{doc}: {' '.join(words)}"
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"{doc}: {' '.join(words)}: no option {word}"


def test_the_readme_names_the_review_pages_export_file():
    page = (REPO / "xtd10" / "crowd" / "templates" / "review.html").read_text(encoding="utf-8")
    assert 'link.download = "reviews-" + batch + ".csv"' in page
    assert "--reviews reviews-<fingerprint>.csv" in README and "review-decisions.csv" not in README


def test_the_readme_says_where_the_caption_checkouts_sit_and_what_the_skips_mean():
    from tests import conftest
    from tests.leaderboard.test_readers import OPENCLIP_CSV_SKIP

    assert "XTD10_TEST_SOURCE" in REAL_DATA_SKIP and "`XTD10_TEST_SOURCE=DIR`" in README
    assert "`NLLB_CLIP_TEST_SOURCE=DIR`" in README
    # the places beside the clone that the README names are where the fixtures look
    assert "`shared/xtd10` and `shared/nllb-clip`" in README
    source = Path(conftest.__file__).read_text(encoding="utf-8")
    assert 'REPO.parent / "shared" / "xtd10"' in source and 'REPO.parent / "shared" / "nllb-clip"' in source
    quoted = " ".join(re.search(r'skipped with "([^"]+)"', README).group(1).split())
    assert OPENCLIP_CSV_SKIP.startswith(quoted) and "`XTD10_OPENCLIP_CSV=FILE`" in README
    assert any(key in OPENCLIP_CSV_SKIP.lower() for key in SKIP_KINDS)
    assert "N skipped: K tests need the real XTD10 caption files" in README


def test_the_fonts_the_readme_names_are_the_ones_ci_installs():
    named = set(re.findall(r"`(fonts-noto-[a-z]+)`", README))
    assert named == {"fonts-noto-cjk", "fonts-noto-core"}
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    installed = set(re.search(r'FONT_PACKAGES="([^"]+)"', ci).group(1).split())
    assert installed == named
    for doc in ("docs/leaderboard.md", "docs/crowdsourcing.md"):
        assert set(re.findall(r"`(fonts-noto-[a-z]+)`", (REPO / doc).read_text(encoding="utf-8"))) == named, doc


def test_local_environments_and_outputs_the_docs_create_are_git_ignored():
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    assert "python3 -m venv cb-venv" in (REPO / "docs" / "benchmark.md").read_text(encoding="utf-8")
    assert "--out runs/ablation" in (REPO / "docs" / "baseline.md").read_text(encoding="utf-8")
    for path in ("cb-venv/", "runs/ablation/", "results/", ".venv/"):
        checked = subprocess.run(["git", "check-ignore", "-q", path], cwd=REPO)
        assert checked.returncode == 0, f"{path} is not git-ignored"
