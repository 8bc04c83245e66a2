"""``push_hub_dataset`` failures are one line naming the repo and the endpoint.

The real huggingface_hub client talks to a loopback stand-in for the Hub (answering a
fixed status) or to a loopback port nobody listens on; nothing leaves the machine.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest

from tests.data.loopback import ServedOnLoopback, refused_url
from tests.installed import need
from xtd10.cli import main
from xtd10.data.hub import build_hub_dataset, push_hub_dataset
from xtd10.errors import HubError

hub_constants = need("huggingface_hub.constants")


@pytest.fixture
def built(tiny_source, tmp_path):
    out = tmp_path / "built"
    build_hub_dataset(out, source=tiny_source, languages="en,es")
    return out


@pytest.fixture
def hub_online(monkeypatch):
    """The root conftest makes huggingface_hub offline; pushing needs it "online" (towards
    loopback endpoints only), with a token so that requests are sent."""
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", "hf_test_token_not_real")

    def use(endpoint: str) -> str:
        monkeypatch.setattr(hub_constants, "ENDPOINT", endpoint)
        return endpoint

    return use


class FakeHub(ServedOnLoopback):
    """Answers every request with one status and a Hub-style JSON error; counts requests."""

    def __init__(self, status: int):
        self.requests: list[str] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _answer(self) -> None:
                hub.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                body = json.dumps({"error": "test stand-in refuses"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _answer

        self.serve(Handler)


def test_unreachable_endpoint_is_one_line_naming_repo_and_endpoint(built, hub_online):
    endpoint = hub_online(refused_url())
    with pytest.raises(HubError) as err:
        push_hub_dataset(built, "org/xtd10")
    message = str(err.value)
    assert message.startswith(f"push to org/xtd10 failed: cannot reach {endpoint} (")
    assert "ConnectError" in message and "\n" not in message


@pytest.mark.parametrize(("status", "words"), [
    (401, "HTTP 401 Unauthorized"),
    (403, "HTTP 403 Forbidden"),
])
def test_refused_credentials_say_how_to_log_in(built, hub_online, status, words):
    with FakeHub(status) as hub:
        hub_online(hub.url)
        with pytest.raises(HubError) as err:
            push_hub_dataset(built, "org/xtd10")
    message = str(err.value)
    assert message.startswith(f"push to org/xtd10 failed: {hub.url} answered {words}")
    assert "hf auth login" in message and "HF_TOKEN" in message and "\n" not in message
    assert hub.requests  # the real client really asked


def test_other_http_errors_name_the_status(built, hub_online):
    with FakeHub(500) as hub:
        hub_online(hub.url)
        with pytest.raises(HubError, match=rf"^push to org/xtd10 failed: {hub.url} answered HTTP 500"):
            push_hub_dataset(built, "org/xtd10")


def test_offline_mode_is_named(built, monkeypatch):
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubError, match="offline mode is on .*HF_HUB_OFFLINE"):
        push_hub_dataset(built, "org/xtd10")


def test_cli_push_offline_is_one_line(built, hub_online, capsys):
    endpoint = hub_online(refused_url())
    with pytest.raises(SystemExit) as info:
        main(["data", "push", str(built), "--repo-id", "org/xtd10"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: push to org/xtd10 failed: cannot reach {endpoint}") and err.count("\n") == 1
