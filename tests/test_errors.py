"""Install hints: every "needs the optional package" message names a command that works from
a checkout (the toolkit is on no package index, so ``pip install 'xtd10[x]'`` would fail)."""

from __future__ import annotations

import re
from pathlib import Path

import xtd10
from xtd10.errors import install_extra_hint

PACKAGE = Path(xtd10.__file__).resolve().parent


def test_the_hint_is_an_editable_install_of_the_checkout():
    assert install_extra_hint("clip") == "pip install -e '.[clip]' in the toolkit's checkout"


def test_no_message_tells_users_to_install_the_toolkit_from_an_index():
    from_an_index = re.compile(r"""pip install ['"]?xtd10\[""")
    offenders = [f"{path.relative_to(PACKAGE)}:{number}"
                 for path in sorted(PACKAGE.rglob("*.py"))
                 for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if from_an_index.search(line)]
    assert offenders == []
