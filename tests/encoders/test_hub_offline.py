"""Hub models with the Hub out of reach: one-line errors at once, cached and local models load.

The root conftest sets HF_HUB_OFFLINE=1; these tests unset it so that the reachability
probe decides, as on a newcomer's machine, and replace the probe's TCP connect by a stub.
"""

from __future__ import annotations

import shutil
import socket

import pytest

from tests.data.loopback import refused_url
from tests.installed import need
from xtd10 import encoders, hub_access
from xtd10.encoders.protocol import EncoderError

need("transformers")

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def probe(monkeypatch) -> list[tuple[str, int]]:
    """The Hub is unreachable (no offline variable set); returns the probes made."""
    for name in hub_access.OFFLINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("HF_ENDPOINT", raising=False)
    monkeypatch.setattr(hub_access, "_probed", {})
    calls: list[tuple[str, int]] = []

    def unreachable(host, port, timeout=hub_access.PROBE_TIMEOUT):
        calls.append((host, port))
        return False

    monkeypatch.setattr(hub_access, "can_connect", unreachable)
    return calls


@pytest.fixture
def no_hub_requests(monkeypatch) -> list[str]:
    """huggingface_hub as if online, with every HTTP request recorded and answered 404 (an
    answer, not a connection error, so nothing is retried): a loader that ignored
    local_files_only would show up here."""
    import httpx2
    import huggingface_hub.constants as constants
    from huggingface_hub.utils import _http

    requests: list[str] = []

    def refuse(request):
        requests.append(str(request.url))
        return httpx2.Response(404, request=request)

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(_http, "_GLOBAL_CLIENT", None)
    monkeypatch.setattr(_http, "_GLOBAL_CLIENT_FACTORY", lambda: httpx2.Client(transport=httpx2.MockTransport(refuse)))
    return requests


@pytest.mark.parametrize("spec", [
    "hf:openai/clip-vit-base-patch32",
    "mclip:M-CLIP/XLM-Roberta-Large-Vit-B-32",
    "st:sentence-transformers/clip-ViT-B-32-multilingual-v1",
])
def test_uncached_hub_model_is_one_line_naming_spec_and_fix(probe, spec):
    if spec.startswith("st:"):
        need("sentence_transformers")
    with pytest.raises(EncoderError) as err:
        encoders.get(spec)
    message = str(err.value)
    prefix = spec.partition(":")[0]
    assert "\n" not in message
    assert message.startswith(f"{spec}: the Hugging Face Hub (huggingface.co) is unreachable")
    assert "not in the local cache" in message and f"pass a local directory: {prefix}:/path/to/model" in message
    assert probe == [("huggingface.co", 443)]  # probed once; the answer is kept for the process
    with pytest.raises(EncoderError):
        encoders.get(spec)
    assert len(probe) == 1


def test_offline_variable_skips_the_probe_and_is_named(probe, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderError, match=r"^hf:no-such-org/no-such-model: HF_HUB_OFFLINE is set and the model"):
        encoders.get("hf:no-such-org/no-such-model")
    assert probe == []


def test_a_missing_directory_is_not_taken_for_a_hub_id(probe, tmp_path):
    with pytest.raises(EncoderError, match="local model directory '.*no-such-dir' does not exist") as err:
        encoders.get(f"hf:{tmp_path / 'no-such-dir'}")
    assert "Hugging Face Hub" not in str(err.value) and probe == []


def test_local_directories_load_without_asking_the_hub(tiny_models, monkeypatch):
    def no_probe(*args, **kwargs):
        raise AssertionError("a local directory must not probe the Hub")

    monkeypatch.setattr(hub_access, "hub_reachable", no_probe)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert encoders.get(f"hf:{tiny_models['clip']}").encode_text(["a cat"]).shape == (1, 24)
    assert encoders.get(f"mclip:{tiny_models['mclip']}+{tiny_models['clip']}").encode_text(["gato"]).shape == (1, 24)


def test_local_st_directory_loads_without_asking_the_hub(tiny_st_models, monkeypatch):
    monkeypatch.setattr(hub_access, "hub_reachable", lambda: pytest.fail("probed the Hub for a local directory"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert encoders.get(f"st:{tiny_st_models['st-clip']}").encode_text(["a cat"]).shape[0] == 1


def test_cached_hub_model_loads_offline_from_the_cache_only(tiny_models, tmp_path, probe, no_hub_requests,
                                                           monkeypatch):
    import huggingface_hub.constants as constants

    repo = tmp_path / "hub" / "models--tiny-org--tiny-clip"
    shutil.copytree(tiny_models["clip"], repo / "snapshots" / COMMIT)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(COMMIT)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    encoder = encoders.get("hf:tiny-org/tiny-clip")
    assert encoder.encode_text(["a cat"]).shape == (1, 24)
    assert encoder.meta.revision == COMMIT
    assert no_hub_requests == []
    assert probe == [("huggingface.co", 443)]


def test_probe_targets_the_endpoint_or_its_proxy(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:8123/")
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    assert hub_access.endpoint_host() == "127.0.0.1:8123"
    assert hub_access._address(hub_access.endpoint()) == ("127.0.0.1", 8123)
    monkeypatch.delenv("HF_ENDPOINT")
    assert hub_access._address(hub_access.endpoint()) == ("huggingface.co", 443)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    assert hub_access._address(hub_access.endpoint()) == ("proxy.internal", 3128)


def test_can_connect_on_loopback():
    host, port = refused_url().removeprefix("http://").split(":")
    assert not hub_access.can_connect(host, int(port), timeout=1)
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert hub_access.can_connect("127.0.0.1", listener.getsockname()[1], timeout=1)
