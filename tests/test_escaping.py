"""Every CSV the toolkit writes goes through ``xtd10.escaping.csv_text``, as its docstring says."""

from __future__ import annotations

import re
from pathlib import Path

import xtd10

PACKAGE = Path(xtd10.__file__).parent
CSV_WRITERS = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")


def test_no_module_but_escaping_writes_csv_itself() -> None:
    writers = [f"{path.relative_to(PACKAGE.parent)}:{number}"
               for path in sorted(PACKAGE.rglob("*.py")) if path.name != "escaping.py" or path.parent != PACKAGE
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if CSV_WRITERS.search(line)]
    assert writers == [], "write CSV through xtd10.escaping.csv_text: " + ", ".join(writers)
