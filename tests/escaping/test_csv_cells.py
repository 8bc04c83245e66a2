"""Every CSV the toolkit writes goes through ``xtd10.escaping.csv_cells.csv_text``, as its
docstring says; the review page's export, written by the browser, guards the same prefixes."""

from __future__ import annotations

import re
from pathlib import Path

import xtd10
from xtd10.escaping.csv_cells import FORMULA_PREFIXES

PACKAGE = Path(xtd10.__file__).parent
HOME = PACKAGE / "escaping" / "csv_cells.py"
CSV_WRITERS = re.compile(r"\.to_csv\(|csv\.writer\(|csv\.DictWriter\(")


def test_no_module_but_csv_cells_writes_csv_itself() -> None:
    writers = [f"{path.relative_to(PACKAGE.parent)}:{number}"
               for path in sorted(PACKAGE.rglob("*.py")) if path != HOME
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if CSV_WRITERS.search(line)]
    assert writers == [], "write CSV through xtd10.escaping.csv_cells.csv_text: " + ", ".join(writers)


def test_the_review_page_export_guards_the_same_formula_prefixes() -> None:
    script = (PACKAGE / "crowd" / "templates" / "review.html").read_text(encoding="utf-8")
    guard = re.search(r"function csvCell\(value\) \{.*?if \(/\^\[(.*?)\]/\.test\(text\)\) text = \"'\" \+ text;",
                      script, re.S)
    assert guard is not None, "the review page's csvCell no longer prefixes formula cells"
    escapes = {"\\t": "\t", "\\r": "\r", "\\-": "-"}
    guarded = set(re.findall(r"\\.|.", guard.group(1)))
    assert {escapes.get(c, c) for c in guarded} == set(FORMULA_PREFIXES)
