"""Downloading files: retried with backoff, resumable, verified, written atomically.

Only the standard library is used so that fetching the caption files needs nothing
beyond the core install. A download goes to ``<dest>.part``; if that exists from an
interrupted attempt the request asks for the remaining bytes (HTTP Range) and appends.
The file is renamed into place only after its sha256 (when known) checks out, so a
complete-looking file in the cache is always a verified one.

A server that answers badly (5xx, a cut connection) is retried with backoff; a host that
cannot be reached at all (unknown name, refused, connect timeout) is a fact about the
network, so it gets at most ``connect_attempts`` tries and raises
:class:`~xtd10.errors.HostUnreachableError`, which callers use to stop early.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from xtd10.errors import ChecksumMismatchError, DownloadError, HostUnreachableError
from xtd10.files import sha256_file

log = logging.getLogger(__name__)

# Statuses worth retrying: the server or a proxy may recover.
RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
USER_AGENT = "xtd10-toolkit (+https://github.com/adobe-research/Cross-lingual-Test-Dataset-XTD10)"
# Socket errors meaning the route to the host is missing: worth one more try, not five.
_NO_ROUTE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN, errno.EADDRNOTAVAIL})


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` for server errors; ``connect_attempts`` when the host cannot be reached."""

    attempts: int = 5
    backoff_base: float = 0.5
    backoff_max: float = 20.0
    timeout: float = 60.0
    connect_attempts: int = 2

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter, so parallel workers do not retry in lockstep."""
        return min(self.backoff_max, self.backoff_base * 2 ** attempt) * (0.5 + random.random() / 2)


DEFAULT_RETRY = RetryPolicy()


@dataclass(frozen=True)
class ConnectFailure:
    """Why a request never reached the server."""

    reason: str
    final: bool  # retrying will not help (the name does not resolve; a connect timeout already waited)


def connect_failure(err: BaseException) -> ConnectFailure | None:
    """Classify ``err`` from ``urlopen``: a :class:`ConnectFailure` when no connection was
    made, None for everything else (HTTP statuses, failures after connecting).

    urllib wraps in ``URLError`` only the errors of connecting and sending the request;
    errors while reading the response come through bare, and stay retryable.
    """
    if isinstance(err, urllib.error.HTTPError) or not isinstance(err, urllib.error.URLError):
        return None
    reason = err.reason
    if isinstance(reason, socket.gaierror):
        return ConnectFailure(f"the name does not resolve ({reason.strerror or reason})",
                              final=reason.errno != socket.EAI_AGAIN)
    if isinstance(reason, TimeoutError):
        return ConnectFailure("connection timed out", final=True)
    if isinstance(reason, ConnectionRefusedError):
        return ConnectFailure("connection refused", final=False)
    if isinstance(reason, OSError) and reason.errno in _NO_ROUTE:
        return ConnectFailure(reason.strerror or str(reason), final=False)
    return None


def url_host(url: str) -> str:
    """``host[:port]`` of ``url``, for messages."""
    return urlsplit(url).netloc or url


def download(
    url: str,
    dest: str | os.PathLike,
    *,
    sha256: str | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    validate: Callable[[Path], None] | None = None,
    chunk_size: int = 1 << 16,
    retry_log_level: int = logging.WARNING,
) -> Path:
    """Fetch ``url`` to ``dest`` unless a verified copy is already there.

    ``validate`` runs on the finished ``.part`` file before it is renamed (for example
    to check that an image decodes); it raises to reject the file. ``retry_log_level``
    is the level of the per-retry messages: callers fetching many files in parallel pass
    DEBUG and report one summary instead. Raises :class:`HostUnreachableError` when the
    host cannot be reached, :class:`DownloadError` for other failures.
    """
    dest = Path(dest)
    if dest.exists():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    last_error: Exception | None = None
    connect_tries = 0
    for attempt in range(retry.attempts):
        if attempt:
            time.sleep(retry.delay(attempt - 1))
        try:
            _fetch_into(url, part, retry.timeout, chunk_size)
        except urllib.error.HTTPError as err:
            if err.code == 416 and part.exists():
                # Range beyond the end: the part file is already complete (or bogus);
                # verification below decides.
                pass
            elif err.code not in RETRYABLE_STATUS:
                raise DownloadError(f"{url}: HTTP {err.code} {err.reason}") from None
            else:
                last_error = err
                log.log(retry_log_level, "%s: HTTP %s, retrying (%d/%d)", url, err.code, attempt + 1,
                        retry.attempts)
                continue
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            last_error = err
            failure = connect_failure(err)
            if failure is None:
                log.log(retry_log_level, "%s: %s, retrying (%d/%d)", url, err, attempt + 1, retry.attempts)
                continue
            connect_tries += 1
            allowed = 1 if failure.final else max(1, min(retry.connect_attempts, retry.attempts))
            if connect_tries >= allowed:
                tries = "" if connect_tries == 1 else f" (tried {connect_tries} times)"
                raise HostUnreachableError(
                    f"{url}: cannot reach {url_host(url)}: {failure.reason}{tries}", url_host(url)
                ) from None
            log.log(retry_log_level, "%s: cannot reach %s: %s, retrying (%d/%d)", url, url_host(url),
                    failure.reason, connect_tries, allowed)
            continue
        if sha256 is not None:
            actual = sha256_file(part)
            if actual != sha256:
                part.unlink(missing_ok=True)
                raise ChecksumMismatchError(
                    f"{url}: sha256 mismatch for {dest.name}: expected {sha256}, got {actual}"
                )
        if validate is not None:
            try:
                validate(part)
            except Exception:
                part.unlink(missing_ok=True)
                raise
        os.replace(part, dest)
        return dest
    raise DownloadError(f"{url}: failed after {retry.attempts} attempts ({last_error})")


def _fetch_into(url: str, part: Path, timeout: float, chunk_size: int) -> None:
    have = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        status = getattr(response, "status", 200)
        expected = response.headers.get("Content-Length")
        mode = "ab" if (have and status == 206) else "wb"
        written = have if mode == "ab" else 0
        with open(part, mode) as handle:
            while chunk := response.read(chunk_size):
                handle.write(chunk)
                written += len(chunk)
        if expected is not None:
            wanted = int(expected) + (have if mode == "ab" else 0)
            if written < wanted:
                raise OSError(f"connection closed after {written} of {wanted} bytes")
