"""An unreachable server (offline machine) fails fast, in one line that says how to fix it.

Connection failures come from a loopback port nobody listens on (refused at once) or from a
monkeypatched ``urlopen`` (DNS failures, timeouts); attempts are counted, never timed.
"""

from __future__ import annotations

import errno
import logging
import socket
import urllib.error

import pytest

import xtd10.data.http as http
import xtd10.data.images as images
from tests.data.conftest import FAST_RETRY, IMAGE_NAMES, jpeg_bytes
from tests.data.loopback import LoopbackServer, refused_url
from xtd10.cli import main
from xtd10.data.images import resolve_images
from xtd10.data.sources import UrlSource
from xtd10.errors import (
    DownloadError,
    HostUnreachableError,
    ImageServerUnreachableError,
    ImagesUnavailableError,
)

ES = "XTD10/test_1kcaptions_es.txt"


@pytest.fixture
def fetch_calls(monkeypatch) -> list[str]:
    """Every HTTP attempt made by ``download``."""
    calls: list[str] = []
    real = http._fetch_into

    def counting(url, *args, **kwargs):
        calls.append(url)
        return real(url, *args, **kwargs)

    monkeypatch.setattr(http, "_fetch_into", counting)
    return calls


def failing_urlopen(monkeypatch, reason: BaseException) -> list[str]:
    """Make every request fail before connecting, with ``reason`` (as urllib wraps it)."""
    calls: list[str] = []

    def urlopen(request, timeout=None):
        calls.append(request.full_url)
        raise urllib.error.URLError(reason)

    monkeypatch.setattr(http.urllib.request, "urlopen", urlopen)
    return calls


@pytest.mark.parametrize(("reason", "tries", "words"), [
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), 1, "does not resolve"),
    (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), 2, "does not resolve"),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), 2, "connection refused"),
    (TimeoutError("timed out"), 1, "timed out"),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), 2, "Network is unreachable"),
])
def test_connection_failures_get_few_attempts(monkeypatch, tmp_path, reason, tries, words):
    calls = failing_urlopen(monkeypatch, reason)
    with pytest.raises(HostUnreachableError) as err:
        http.download("http://files.example.org/a.txt", tmp_path / "a.txt", retry=FAST_RETRY)
    assert len(calls) == tries
    assert err.value.host == "files.example.org"
    assert "cannot reach files.example.org" in str(err.value) and words in str(err.value)


def test_other_url_errors_keep_the_full_retries(monkeypatch, tmp_path):
    calls = failing_urlopen(monkeypatch, ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"))
    with pytest.raises(DownloadError, match="failed after 4 attempts") as err:
        http.download("http://files.example.org/a.txt", tmp_path / "a.txt", retry=FAST_RETRY)
    assert not isinstance(err.value, HostUnreachableError)
    assert len(calls) == FAST_RETRY.attempts


def test_refused_image_server_is_one_error_after_one_probe(monkeypatch, fetch_calls):
    base = refused_url()
    monkeypatch.setenv("XTD10_IMAGE_URL", base)
    with pytest.raises(ImageServerUnreachableError) as err:
        resolve_images(IMAGE_NAMES, True, retry=FAST_RETRY, progress=False)
    assert len(fetch_calls) == FAST_RETRY.connect_attempts  # one image, two tries, nothing else
    host = base.removeprefix("http://")
    message = str(err.value)
    assert "\n" not in message
    assert f"cannot reach {host}" in message and "connection refused" in message
    assert "images=DIR" in message and "XTD10_IMAGES" in message and "XTD10_IMAGE_URL" in message
    assert isinstance(err.value, ImagesUnavailableError) and err.value.missing == sorted(IMAGE_NAMES)
    assert err.value.host == host


def test_default_coco_server_unresolvable_names_its_host(monkeypatch):
    calls = failing_urlopen(monkeypatch, socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(ImageServerUnreachableError, match=r"cannot reach images\.cocodataset\.org") as err:
        resolve_images(IMAGE_NAMES, True, progress=False)  # default retry policy, default server
    assert len(calls) == 1
    assert "pass images=DIR" in str(err.value)  # the library's words; the CLI says --images


def test_breaker_stops_the_pool_and_keeps_what_arrived(tmp_path, monkeypatch):
    names = [f"COCO_val2014_{i:012d}.jpg" for i in range(40)]
    root = tmp_path / "served" / "val2014"
    root.mkdir(parents=True)
    for i, name in enumerate(names):
        (root / name).write_bytes(jpeg_bytes(i))
    monkeypatch.setattr(images, "BREAKER_THRESHOLD", 5)
    calls: list[str] = []
    real = images.download
    with LoopbackServer(tmp_path / "served") as server:

        def host_goes_away_after_the_first(url, *args, **kwargs):
            calls.append(url)
            try:
                return real(url, *args, **kwargs)
            finally:  # the server stops listening: later connections are refused
                server.httpd.shutdown()
                server.httpd.server_close()

        monkeypatch.setattr(images, "download", host_goes_away_after_the_first)
        with pytest.raises(ImageServerUnreachableError) as err:
            resolve_images(names, server.url, workers=1, retry=FAST_RETRY, progress=False)
    # the probe, five refused in a row, at most one more already picked up by the worker
    assert 1 + 5 <= len(calls) <= 1 + 5 + 1
    message = str(err.value)
    assert "5 connection failures in a row" in message and "1 of 40 images are in the cache" in message
    assert "rerun resumes" in message and "images=DIR" in message
    assert len(err.value.missing) == 39
    assert (images.image_cache_dir() / names[0]).is_file()


def test_pool_retries_are_quiet_and_the_summary_names_the_first_failure(image_dir, monkeypatch, caplog):
    (image_dir / "val2014" / IMAGE_NAMES[3]).unlink()
    caplog.set_level(logging.WARNING)
    with LoopbackServer(image_dir) as server, pytest.raises(ImagesUnavailableError) as err:
        server.faults.fail_times[f"train2014/{IMAGE_NAMES[1]}"] = (503, 1)
        resolve_images(IMAGE_NAMES, server.url, retry=FAST_RETRY, progress=False)
    assert not isinstance(err.value, ImageServerUnreachableError)  # the server answered: a plain 404
    assert err.value.missing == [IMAGE_NAMES[3]]
    assert "first failure: " in str(err.value) and "HTTP 404" in str(err.value)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("xtd10")] == []


def test_caption_download_from_refused_host_fails_after_two_tries(fetch_calls):
    src = UrlSource(base_url=refused_url(), retry=FAST_RETRY)
    with pytest.raises(HostUnreachableError, match="connection refused") as err:
        src.path(ES)
    assert len(fetch_calls) == 2
    # the library speaks of its own argument; the command line of its option (below)
    assert "pass source=DIR" in str(err.value) and "XTD10_SOURCE" in str(err.value)


def test_info_fetch_offline_is_one_line_without_retry_warnings(monkeypatch, capsys, caplog):
    failing_urlopen(monkeypatch, socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    caplog.set_level(logging.WARNING)
    with pytest.raises(SystemExit) as info:
        main(["data", "info", "--fetch"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "cannot reach raw.githubusercontent.com" in err
    assert "pass --source DIR" in err and "source=DIR" not in err
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []
