"""The one result reader and writer (xtd10.schema): every committed result file passes it
and the published JSON Schema, and each consistency rule refuses a file broken in one place."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.installed import need
from tests.leaderboard.leaderboard_factories import result_dict, write_json
from xtd10.cli import cli
from xtd10.schema import (
    DEMO,
    XTD10,
    Result,
    ResultFileError,
    json_schema,
    json_schema_text,
    promoted_descriptor,
)

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = sorted((ROOT / "leaderboards" / "results").glob("*.json"))
SCHEMA_FILE = ROOT / "docs" / "result.schema.json"


def test_committed_json_schema_is_the_generated_one():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema_text()


@pytest.mark.parametrize("path", COMMITTED, ids=lambda p: p.name)
def test_every_committed_result_passes_the_reader_and_the_json_schema(path):
    jsonschema = need("jsonschema")
    data = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, json_schema())
    result = Result.load(path)
    assert result.cells() and result.per_query
    # no machine path recorded (H): a source has a kind and, for a local one, no location
    assert "location" not in result.dataset["source"] or not result.dataset["source"]["location"].startswith("/")
    assert "/" + "work" + "/" not in path.read_text(encoding="utf-8")


def test_json_schema_refuses_what_the_reader_refuses_structurally(tmp_path):
    jsonschema = need("jsonschema")
    data = result_dict("m")
    data["metrics"][0]["direction"] = "x2en"  # not a direction of the image track
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json_schema())
    with pytest.raises(ResultFileError, match=r"metrics\[0\]\.direction: 'x2en' is not a direction of the image"):
        Result.load(write_json(tmp_path / "r.json", data))


def test_a_file_with_a_bom_and_a_minimal_file_load_in_benchmark_and_leaderboard_alike(tmp_path):
    from xtd10.leaderboard.results import read_result_file

    minimal = {"schema": "xtd10.result", "schema_version": 1,
               "dataset": {"name": "xtd10", "revision": "r1"}, "encoder": {"spec": "m"},
               "metrics": [{"track": "text", "direction": "x2en", "language": "de", "subset": "all",
                            "metric": "R@1", "value": 0.5, "ci_low": None, "ci_high": None, "n_queries": 10}]}
    path = tmp_path / "minimal.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(minimal).encode())
    assert Result.load(path).value("text", "x2en", "de", "all", "R@1") == 0.5
    entry, (score,) = read_result_file(path)
    assert (entry.spec, score.value) == ("m", 50.0)


def _with_ranks(tmp_path: Path) -> tuple[dict, Path]:
    """A small real result (random encoder, demo set) with its per-query ranks."""
    out = tmp_path / "r.json"
    res = CliRunner().invoke(cli, ["bench", "run", "-m", "random", "--dataset", "demo", "--track", "text",
                                   "--languages", "de,fr", "--bootstrap", "200", "--out", str(out)],
                             catch_exceptions=False)
    assert res.exit_code == 0, res.output
    return json.loads(out.read_text(encoding="utf-8")), out


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: d["metrics"][3].update(value=0.5), r"metrics\[3\]: MedR is a rank|metrics\[3\]\.value: MedR"),
    (lambda d: d["metrics"][4].update(value=0.0), r"metrics\[4\]\.value: MeanR is a rank \(1 = best\), got 0.0"),
    (lambda d: d["metrics"][0].update(n_queries=0), r"metrics\[0\]\.n_queries: expected a positive integer"),
    (lambda d: d["metrics"][0].update(ci_low=0.99, ci_high=1.0, value=0.0),
     r"metrics\[0\]: R@1 value 0.0 lies outside its interval \[0.99, 1.0\]"),
    (lambda d: d["metrics"][0].update(ci_low=None, ci_high=None, value=round(d["metrics"][0]["value"] + 0.25, 6)
                                      if d["metrics"][0]["value"] <= 0.75 else 0.0),
     r"metrics\[0\]: R@1 of text/x2en/de/all is .* but its per_query ranks give"),
    (lambda d: d["per_query"][0]["ranks"].pop(), r"metrics\[0\]: n_queries 12 but per_query has 11 ranks"),
    (lambda d: d["per_query"][1].update(ndcg=[1.0] * 11),
     r"broken\.json: per_query\[1\]\.ndcg: 11 values but 12 ranks: one of each per query$"),
    (lambda d: d["per_query"].append(copy.deepcopy(d["per_query"][0])),
     r"broken\.json: per_query\[\d+\]: a second per-query entry for text/x2en/de/all \(the first is per_query\[0\]\)$"),
    (lambda d: d["per_query"][0].update(language=["de"]), r"broken\.json: per_query\[0\]\.language: expected a non-empty"),
])
def test_inconsistent_result_files_are_refused_naming_the_cell(tmp_path, change, message):
    data, _ = _with_ranks(tmp_path)
    assert data["metrics"][3]["metric"] == "MedR" and data["metrics"][4]["metric"] == "MeanR"
    broken = copy.deepcopy(data)
    change(broken)
    path = write_json(tmp_path / "broken.json", broken)
    before = path.read_bytes()
    with pytest.raises(ResultFileError, match=message):
        Result.load(path)
    res = CliRunner().invoke(cli, ["leaderboard", "validate", "--results", str(tmp_path), "--reported",
                                   str(tmp_path / "none")])
    assert isinstance(res.exception, ResultFileError) and "broken.json" in str(res.exception)
    assert path.read_bytes() == before


def test_deeply_nested_json_is_one_clear_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    with pytest.raises(ResultFileError, match=r"deep\.json: invalid JSON: nested too deeply"):
        Result.load(path)
    xtd10_script = Path(sys.executable).with_name("xtd10")
    res = subprocess.run([str(xtd10_script), "bench", "compare", str(path), str(path)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.strip() == f"error: {path}: invalid JSON: nested too deeply to read"


def test_results_record_no_machine_paths(tmp_path):
    data, out = _with_ranks(tmp_path)
    assert data["dataset"]["source"] == {"kind": "embedded", "location": "xtd10.data.demo"}
    assert str(tmp_path) not in out.read_text(encoding="utf-8")  # --out DIR was replaced by a placeholder
    assert "--out '<path>'" in data["command"] or "--out <path>" in data["command"]


def test_dataset_descriptors_declare_provenance():
    assert XTD10.independent == ("en", "ja") and "ja" not in XTD10.translated
    assert set(XTD10.translated) | set(XTD10.independent) == set(XTD10.languages)
    from xtd10.languages import REGISTRY, STAIR_INDEPENDENT

    assert {c for c in REGISTRY.codes if REGISTRY.get(c).provenance == STAIR_INDEPENDENT} <= set(XTD10.independent)
    assert DEMO.default_subsets == ("all",) and not DEMO.ranked and DEMO.headline_metric == "R@1"
    plus = promoted_descriptor([{"code": "hi", "provenance": "crowdsourced caption"},
                                {"code": "vi", "provenance": "crowdsourced translation"}])
    assert plus.languages[-2:] == ("hi", "vi") and "hi" in plus.independent and "vi" in plus.translated


def test_schema_names_are_imported_from_the_package_only():
    """One import path per name: ``from xtd10.schema import X``; the submodules are the
    package's own layout, free to move names between them."""
    import ast

    outside = []
    for folder in ("xtd10", "tests", "benchmark"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if (ROOT / "xtd10" / "schema") in path.parents:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("xtd10.schema."):
                    outside.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.module}")
    assert outside == []
