"""The pinned-upstream code path, served by a loopback copy of the real files."""

import pytest

import xtd10
from tests.data.conftest import FAST_RETRY
from xtd10.data.sources import UrlSource
from xtd10.data.upstream import UPSTREAM_COMMIT
from xtd10.errors import ChecksumMismatchError, DownloadError

ES = "XTD10/test_1kcaptions_es.txt"


def test_download_verify_and_then_offline_from_cache(served_real_source, real_source):
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    ds = xtd10.load("es", source=src)
    assert len(ds) == 1000
    assert src.path(ES).read_bytes() == (real_source / ES).read_bytes()
    assert src.revision([ES]) == UPSTREAM_COMMIT
    served_real_source.httpd.shutdown()  # the network is gone
    again = xtd10.load("es", source=UrlSource(base_url=served_real_source.url, retry=FAST_RETRY))
    assert again["caption"] == ds["caption"]


def test_checksum_mismatch_names_file_and_both_hashes(served_real_source):
    served_real_source.faults.override[ES] = b"tampered\n"
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    with pytest.raises(ChecksumMismatchError) as err:
        src.path(ES)
    message = str(err.value)
    assert "test_1kcaptions_es.txt" in message
    assert "cacc43d4e7af56b0" in message  # expected
    assert "got " in message
    assert not (src.cache_dir / ES).exists()


def test_interrupted_download_resumes_with_range(served_real_source):
    served_real_source.faults.cut_after[ES] = 5000
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    assert len(xtd10.load("es", source=src)) == 1000
    ranges = [r for p, r in served_real_source.requests if p == ES]
    assert ranges[0] is None and ranges[1] == "bytes=5000-"


def test_server_errors_are_retried(served_real_source):
    served_real_source.faults.fail_times[ES] = (500, 2)
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    src.path(ES)
    assert served_real_source.hits(ES) == 3


def test_persistent_500_gives_up_clearly(served_real_source):
    served_real_source.faults.fail_times[ES] = (503, 99)
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    with pytest.raises(DownloadError, match="failed after 4 attempts"):
        src.path(ES)


def test_404_is_not_retried(served_real_source):
    src = UrlSource(base_url=served_real_source.url + "/nothing-here", retry=FAST_RETRY)
    with pytest.raises(DownloadError, match="HTTP 404"):
        src.path(ES)
    assert len(served_real_source.requests) == 1


def test_an_edited_cached_caption_file_is_fetched_again_with_a_warning(served_real_source, real_source, caplog):
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    original = xtd10.load("es", source=src)["caption"]
    cached = src.cache_dir / ES
    others = {p: p.read_bytes() for p in src.cache_dir.rglob("*") if p.is_file() and p != cached}
    cached.write_bytes(cached.read_bytes().replace(b"\n", b" edited\n", 1))
    with caplog.at_level("WARNING"):
        again = xtd10.load("es", source=UrlSource(base_url=served_real_source.url, retry=FAST_RETRY))
    assert again["caption"] == original
    assert any(str(cached) in r.getMessage() and "damaged or was edited" in r.getMessage() for r in caplog.records)
    assert served_real_source.hits(ES) == 2
    assert cached.read_bytes() == (real_source / ES).read_bytes()
    assert {p: p.read_bytes() for p in others} == others


def test_a_damaged_cached_file_is_refused_when_it_cannot_be_fetched_again(served_real_source):
    src = UrlSource(base_url=served_real_source.url, retry=FAST_RETRY)
    xtd10.load("es", source=src)
    cached = src.cache_dir / ES
    cached.write_bytes(b"truncated")
    served_real_source.httpd.shutdown()  # offline now
    with pytest.raises(ChecksumMismatchError, match=rf"{ES}.*damaged or was edited.*could not be fetched again"):
        xtd10.load("es", source=UrlSource(base_url=served_real_source.url, retry=FAST_RETRY))
