"""The adapter registry: spec strings (``"hf:openai/clip"``) to encoders.

A spec's prefix names an adapter; built-in adapters are named by import path and loaded
the first time their prefix is used, so importing the registry imports no adapter module
(and no torch). Installed packages add adapters through the ``xtd10.encoders`` entry-point
group; ``py:MODULE:FACTORY`` builds an encoder from the user's own code.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import logging
import os
import re
import sys
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from xtd10.encoders.checks import check_encoder
from xtd10.encoders.protocol import Encoder, EncoderError
from xtd10.errors import install_extra_hint


class UnknownEncoderError(EncoderError):
    """A spec string names no registered adapter."""


@dataclass(frozen=True)
class Adapter:
    prefix: str
    factory: Callable[..., Encoder]
    description: str
    takes_argument: bool
    # import name -> pip distribution name; lets ``describe_adapters`` say what is missing
    # without importing anything heavy.
    requires: Mapping[str, str] = field(default_factory=dict)
    # the toolkit's optional extra that installs ``requires``; None for third-party adapters,
    # whose packages are named to pip directly
    extra: str | None = None

    def missing_packages(self) -> list[str]:
        """Pip names of required packages that are not importable here."""
        return [pip for module, pip in self.requires.items() if importlib.util.find_spec(module) is None]

    def install_hint(self) -> str:
        """Why the adapter cannot run here and the command that fixes it; empty when it can."""
        missing = self.missing_packages()
        if not missing:
            return ""
        if self.extra:
            return f"needs {', '.join(missing)}: {install_extra_hint(self.extra)}"
        return f"needs: pip install {' '.join(missing)}"


ENTRY_POINT_GROUP = "xtd10.encoders"

# Built-in adapters by import path: the module is imported the first time its prefix is
# looked up, so importing the registry imports no adapter module (and no torch), and the
# baseline's adapter is found without ``xtd10.encoders`` importing ``xtd10.baseline``.
BUILTIN_ADAPTERS: dict[str, str] = {
    "baseline": "xtd10.baseline.encoder:_baseline",
    "e5-small": "xtd10.encoders.e5:build_e5_small",
    "hf": "xtd10.encoders.hf:HFEncoder",
    "mclip": "xtd10.encoders.mclip:MCLIPEncoder",
    "muse": "xtd10.encoders.muse:build_muse",
    "offline-labels": "xtd10.encoders.offline_labels:build_offline_labels",
    "open_clip": "xtd10.encoders.openclip:OpenCLIPEncoder",
    "random": "xtd10.encoders.random_encoder:build_random",
    "st": "xtd10.encoders.sbert:build_st",
}


def _entry_point_adapters() -> dict[str, str]:
    """``name -> "module:attr"`` of the ``xtd10.encoders`` entry points of installed
    distributions (read afresh on each call: a package installed meanwhile is found)."""
    from importlib.metadata import entry_points

    found: dict[str, str] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in BUILTIN_ADAPTERS:
            logging.getLogger("xtd10.encoders").warning(
                "ignoring entry point %r (%s): the prefix belongs to a built-in adapter", point.name, point.value)
            continue
        found.setdefault(point.name, point.value)
    return found


class AdapterRegistry(MutableMapping):
    """``prefix -> Adapter``, loading built-in and entry-point adapters on first lookup.

    ``register`` stores into it; a lookup of a prefix not yet loaded imports the module
    its import path names (which usually registers the adapter with its description);
    a factory that the module did not register is registered under the prefix as it is.
    Iterating loads every known adapter.
    """

    def __init__(self) -> None:
        self._loaded: dict[str, Adapter] = {}

    def _lazy(self) -> dict[str, str]:
        return {**_entry_point_adapters(), **BUILTIN_ADAPTERS}

    def _load(self, prefix: str, target: str) -> None:
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
            factory = getattr(module, attr) if attr else None
        except Exception as err:  # a broken third-party package must not break the registry
            raise EncoderError(f"encoder adapter {prefix!r} ({target}) could not be loaded: {err}") from None
        if prefix not in self._loaded:
            declared = getattr(factory, "__xtd10_adapter__", None)
            if isinstance(declared, Adapter) and declared.prefix == prefix:
                self._loaded[prefix] = declared  # registered on an earlier import
                return
            if not callable(factory):
                raise EncoderError(f"encoder adapter {prefix!r}: {target} is not a factory")
            doc = (inspect.getdoc(factory) or f"adapter from {target}").strip().splitlines()[0]
            register(prefix, doc, takes_argument=_takes_argument(factory))(factory)

    def __getitem__(self, prefix: str) -> Adapter:
        if prefix not in self._loaded:
            target = BUILTIN_ADAPTERS.get(prefix) or _entry_point_adapters().get(prefix)
            if target is None:
                raise KeyError(prefix)
            self._load(prefix, target)
        return self._loaded[prefix]

    def __setitem__(self, prefix: str, adapter: Adapter) -> None:
        self._loaded[prefix] = adapter

    def __delitem__(self, prefix: str) -> None:
        del self._loaded[prefix]

    def load_all(self) -> dict[str, str]:
        """Load every known adapter; returns ``prefix -> error`` for those that failed."""
        failed = {}
        for prefix, target in self._lazy().items():
            if prefix not in self._loaded:
                try:
                    self._load(prefix, target)
                except EncoderError as err:
                    failed[prefix] = str(err)
        return failed

    def __iter__(self):
        self.load_all()
        return iter(dict(self._loaded))

    def __len__(self) -> int:
        self.load_all()
        return len(self._loaded)


def _takes_argument(factory: Callable[..., Any]) -> bool:
    """Whether a factory takes the spec's argument: its first parameter is positional."""
    try:
        parameters = list(inspect.signature(factory).parameters.values())
    except (TypeError, ValueError):
        return True
    return bool(parameters) and parameters[0].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                        inspect.Parameter.POSITIONAL_OR_KEYWORD)


ADAPTERS: MutableMapping[str, Adapter] = AdapterRegistry()


def register(
    prefix: str, description: str, *, takes_argument: bool = True, requires: Mapping[str, str] | None = None,
    extra: str | None = None,
):
    """Register ``factory(argument, **options)`` (or ``factory(**options)`` when
    ``takes_argument`` is false) under the spec prefix ``prefix``.

    ``requires`` maps import names to pip names of the packages the adapter needs; they are
    only looked up (never imported) when listing adapters, so registering stays cheap.
    ``extra`` names the toolkit's optional extra that installs them (built-in adapters only).
    """

    def decorate(factory: Callable[..., Encoder]) -> Callable[..., Encoder]:
        adapter = Adapter(prefix, factory, description, takes_argument, dict(requires or {}), extra)
        ADAPTERS[prefix] = adapter
        with contextlib.suppress(AttributeError, TypeError):  # remembered for a registry that reloads
            factory.__xtd10_adapter__ = adapter  # type: ignore[attr-defined]
        return factory

    return decorate


@dataclass(frozen=True)
class AdapterInfo:
    """One row of ``xtd10 bench models``: can this adapter run here, and if not, why not."""

    prefix: str
    description: str
    available: bool
    reason: str


def describe_adapters() -> list[AdapterInfo]:
    """Every registered adapter (plus ``py:``), with whether its packages are installed;
    an installed plugin that fails to load is listed as unavailable with its error."""
    rows = []
    failed = ADAPTERS.load_all() if isinstance(ADAPTERS, AdapterRegistry) else {}
    for prefix, adapter in sorted(ADAPTERS.items()):
        reason = adapter.install_hint()
        shown = f"{prefix}:<model>" if adapter.takes_argument else prefix
        rows.append(AdapterInfo(shown, adapter.description, not reason, reason))
    for prefix, error in sorted(failed.items()):
        rows.append(AdapterInfo(f"{prefix}:<model>", "installed plugin", False, error))
    rows.append(AdapterInfo("py:<module>:<factory>", "any encoder built by third-party Python code", True, ""))
    return rows


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"hf:openai/clip"`` -> ("hf", "openai/clip"); ``"muse"`` -> ("muse", None)."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownEncoderError("an encoder spec must be a non-empty string")
    prefix, sep, rest = spec.strip().partition(":")
    return prefix, (rest if sep else None)


class UntrustedCodeError(EncoderError):
    """A file (a checkpoint's config) names Python code to import, and trust was not given."""


def require_trusted(spec: str, *, trust_code: bool, origin: str) -> None:
    """Refuse a ``py:`` spec that comes from a file rather than from the user.

    A checkpoint's ``config.json`` names the encoders it was trained on; a ``py:`` spec
    there would import (and run) a module found on ``sys.path`` or in the current folder
    as soon as the checkpoint is used. Specs of registered adapters (built-in or installed
    by the user as a plugin) need no trust; Python code needs ``trust_code=True``.
    """
    prefix, _ = parse_spec(spec)
    if prefix == "py" and not trust_code:
        raise UntrustedCodeError(
            f"{origin} names Python code to import ({spec!r}); it is not imported unless you trust whoever "
            "made the file: pass --trust-code on the command line (trust_code=True in Python)")


def build(spec: str, *, trust_code: bool = False, **options: Any) -> Encoder:
    """Instantiate the encoder named by ``spec``; unknown prefixes list the adapters.

    ``trust_code`` is passed on to adapters that load files which may name code (the
    baseline's checkpoints); a ``py:`` spec given here is the caller's own choice.
    """
    prefix, argument = parse_spec(spec)
    if prefix == "py":
        return _from_python_path(spec, argument, **options)
    adapter = ADAPTERS.get(prefix)
    if adapter is None:
        known = ", ".join(f"{p}{':ARG' if a.takes_argument else ''}" for p, a in sorted(ADAPTERS.items()))
        raise UnknownEncoderError(f"unknown encoder spec {spec!r}; available adapters: {known}, py:MODULE:FACTORY")
    if adapter.takes_argument and not argument:
        raise UnknownEncoderError(f"encoder spec {spec!r} needs an argument: {prefix}:<model>")
    if not adapter.takes_argument and argument:
        raise UnknownEncoderError(f"encoder spec {spec!r}: adapter {prefix!r} takes no argument")
    _check_options(adapter, spec, options)
    if trust_code and "trust_code" in inspect.signature(adapter.factory).parameters:
        options = {**options, "trust_code": True}
    encoder = adapter.factory(argument, **options) if adapter.takes_argument else adapter.factory(**options)
    check_encoder(encoder, spec)
    return encoder


def _check_options(adapter: Adapter, spec: str, options: Mapping[str, Any]) -> None:
    """Reject options the adapter does not take with a message listing those it does,
    instead of a TypeError from deep inside the factory."""
    parameters = inspect.signature(adapter.factory).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return
    accepted = [
        name
        for name, p in parameters.items()
        if p.kind in (inspect.Parameter.KEYWORD_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    ]
    if adapter.takes_argument and accepted:
        accepted = accepted[1:]  # the spec's argument, passed positionally
    accepted = [name for name in accepted if name != "trust_code"]  # build's own keyword, never an option
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise EncoderError(
            f"encoder spec {spec!r}: adapter {adapter.prefix!r} does not take option(s) "
            f"{', '.join(unknown)}; it takes: {', '.join(accepted) or 'none'}"
        )


def _from_python_path(spec: str, argument: str | None, **options: Any) -> Encoder:
    module_name, _, attr = (argument or "").rpartition(":")
    if not module_name or not attr:
        raise UnknownEncoderError(f"encoder spec {spec!r}: expected py:MODULE:FACTORY")
    # Like ``python -m``, resolve the module from the current directory too, so a user's
    # own file works from the console script without installing it.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.append(os.getcwd())
    try:
        module = _module_from_file(spec, module_name) if module_name.endswith(".py") else \
            importlib.import_module(module_name)
        factory = getattr(module, attr)
    except ModuleNotFoundError as err:
        raise UnknownEncoderError(f"encoder spec {spec!r}: {err} (run from the folder that holds the module, "
                                  "or name the file: py:path/to/file.py:FACTORY)") from None
    except (ImportError, AttributeError) as err:
        raise UnknownEncoderError(f"encoder spec {spec!r}: {err}") from None
    encoder = factory(**options)
    check_encoder(encoder, spec)
    return encoder


def _module_from_file(spec: str, file_name: str) -> Any:
    """Import a user's ``.py`` file by path, so ``py:path/to/file.py:FACTORY`` works from any
    directory. The module gets a name of its own (registered in ``sys.modules``, which the
    embedding cache reads to fingerprint user code)."""
    path = os.path.abspath(file_name)
    if not os.path.isfile(path):
        raise UnknownEncoderError(f"encoder spec {spec!r}: no such file {file_name}")
    stem = re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    name = f"xtd10_user_{stem}_{hashlib.sha256(path.encode()).hexdigest()[:12]}"
    if name in sys.modules:
        return sys.modules[name]
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or module_spec.loader is None:
        raise UnknownEncoderError(f"encoder spec {spec!r}: {file_name} cannot be imported")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    try:
        module_spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
