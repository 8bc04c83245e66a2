"""Whether the Hugging Face Hub can be used, decided up front and once per process.

Offline, huggingface_hub and transformers retry every request with backoff and print
warnings for half a minute before failing with a multi-line error — unless HF_HUB_OFFLINE
was set before they were imported, which a newcomer rarely knows. Deciding first (the
offline variables, else one short TCP connect to the endpoint or its proxy) lets the
loaders pass ``local_files_only=True``, so a model already in the cache still loads, and
lets a model that is not cached fail at once with one line saying what to do.
"""

from __future__ import annotations

import logging
import os
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://huggingface.co"
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
PROBE_TIMEOUT = 3.0
_TRUE = {"1", "ON", "YES", "TRUE"}

# (host, port) -> reachable; a probe costs up to PROBE_TIMEOUT, so it runs once per process.
_probed: dict[tuple[str, int], bool] = {}


def endpoint() -> str:
    """The Hub's base URL: ``HF_ENDPOINT`` (mirrors, private hubs), else huggingface.co."""
    return (os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT).rstrip("/")


def endpoint_host() -> str:
    return urlsplit(endpoint()).netloc or endpoint()


def offline_variable() -> str | None:
    """The offline variable that is set (``HF_HUB_OFFLINE=1``, ...), if any."""
    return next((name for name in OFFLINE_VARIABLES if os.environ.get(name, "").upper() in _TRUE), None)


def _address(url: str) -> tuple[str, int]:
    """Where a request for ``url`` would connect first: its proxy when one applies."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(host):
        proxy_parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        return proxy_parts.hostname or "", proxy_parts.port or 80
    return host, parts.port or (443 if parts.scheme == "https" else 80)


def can_connect(host: str, port: int, timeout: float = PROBE_TIMEOUT) -> bool:
    """One TCP connect; any failure (unknown name, refused, timeout) means no."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError as err:
        log.debug("cannot connect to %s:%s: %s", host, port, err)
        return False


def hub_reachable() -> bool:
    address = _address(endpoint())
    if address not in _probed:
        _probed[address] = can_connect(*address)
    return _probed[address]


def offline_reason() -> str | None:
    """None when the Hub can be asked; otherwise why not, worded for an error message."""
    variable = offline_variable()
    if variable:
        return f"{variable} is set"
    if not hub_reachable():
        return f"the Hugging Face Hub ({endpoint_host()}) is unreachable"
    return None


def looks_like_hub_id(name: str) -> bool:
    """``name`` or ``org/name``; a path (``/x``, ``./x``, ``~/x``, ``a/b/c``) is not one, so a
    mistyped directory gets the loader's own error, not advice about the Hub."""
    return bool(name) and not name.startswith(("/", ".", "~")) and "\\" not in name and name.count("/") <= 1


def cache_only_reason(model_id: str) -> str | None:
    """Why ``model_id`` must come from the local cache only (None: a local directory, or
    the Hub is reachable). Decided before loading, so that transformers never spends half
    a minute retrying an unreachable Hub."""
    if Path(model_id).is_dir() or not looks_like_hub_id(model_id):
        return None
    return offline_reason()


def load_failure_hint(model_id: str, reason: str | None) -> str:
    """What to add to a failed load's message: that only the cache was tried, or where
    the model was looked for."""
    if reason is not None:
        return f" ({reason}: only the local HF cache was used)"
    return "" if Path(model_id).is_dir() else " (is it on the Hub and reachable, or in the local HF cache?)"


def hub_cache_dir() -> str:
    """Where huggingface_hub keeps downloaded models (``HF_HUB_CACHE``, ``HF_HOME``, ...)."""
    try:
        from huggingface_hub import constants
    except ImportError:
        return str(Path("~/.cache/huggingface/hub").expanduser())
    return str(constants.HF_HUB_CACHE)


def in_hub_cache(model_id: str, filenames: tuple[str, ...] = ("config.json",)) -> bool:
    """Whether a snapshot of ``model_id`` in the cache holds one of ``filenames``."""
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    for filename in filenames:
        try:
            if isinstance(try_to_load_from_cache(model_id, filename), str):
                return True
        except Exception:  # an id that is not a valid repo id cannot be cached either
            log.debug("cache lookup failed for %s/%s", model_id, filename, exc_info=True)
    return False


def not_cached_message(spec: str, reason: str, what: str = "the model") -> str:
    """One line for a Hub model that cannot be fetched now and is not in the cache."""
    prefix = spec.partition(":")[0]
    return (
        f"{spec}: {reason} and {what} is not in the local cache ({hub_cache_dir()}); download it on a "
        f"connected machine or pass a local directory: {prefix}:/path/to/model"
    )
