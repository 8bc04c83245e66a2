"""The encoder interface shared by the benchmark, the crowd tools and the baseline.

An encoder maps captions (given their language) and, optionally, images to vectors in one
space. Keeping the interface this small is what lets any model — a Hub checkpoint, an
offline package, the project's own baseline, third-party code — be scored identically.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from xtd10.errors import XTD10Error


class EncoderError(XTD10Error):
    """An encoder could not be built or returned unusable output."""


class UnknownEncoderError(EncoderError):
    """A spec string names no registered adapter."""


@dataclass
class EncoderMeta:
    """What a result file records about the model that produced it."""

    name: str
    spec: str
    revision: str | None = None
    embedding_dim: int | None = None
    parameters: int | None = None
    license: str | None = None
    modalities: tuple[str, ...] = ("text",)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["modalities"] = list(self.modalities)
        return data


@runtime_checkable
class Encoder(Protocol):
    """Anything with ``meta`` and ``encode_text``; ``encode_image`` is optional.

    Outputs are float arrays of shape (n, d); the harness L2-normalises them, so
    encoders need not.
    """

    meta: EncoderMeta

    def encode_text(self, texts: Sequence[str], *, language: str) -> np.ndarray: ...


def supports_images(encoder: object) -> bool:
    return callable(getattr(encoder, "encode_image", None))


@dataclass(frozen=True)
class Adapter:
    prefix: str
    factory: Callable[..., Encoder]
    description: str
    takes_argument: bool


ADAPTERS: dict[str, Adapter] = {}


def register(prefix: str, description: str, *, takes_argument: bool = True):
    """Register ``factory(argument, **options)`` (or ``factory(**options)`` when
    ``takes_argument`` is false) under the spec prefix ``prefix``."""

    def decorate(factory: Callable[..., Encoder]) -> Callable[..., Encoder]:
        ADAPTERS[prefix] = Adapter(prefix, factory, description, takes_argument)
        return factory

    return decorate


def parse_spec(spec: str) -> tuple[str, str | None]:
    """``"hf:openai/clip"`` -> ("hf", "openai/clip"); ``"muse"`` -> ("muse", None)."""
    if not isinstance(spec, str) or not spec.strip():
        raise UnknownEncoderError("an encoder spec must be a non-empty string")
    prefix, sep, rest = spec.strip().partition(":")
    return prefix, (rest if sep else None)


def build(spec: str, **options: Any) -> Encoder:
    """Instantiate the encoder named by ``spec``; unknown prefixes list the adapters."""
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
    encoder = adapter.factory(argument, **options) if adapter.takes_argument else adapter.factory(**options)
    check_encoder(encoder, spec)
    return encoder


def _from_python_path(spec: str, argument: str | None, **options: Any) -> Encoder:
    module_name, _, attr = (argument or "").rpartition(":")
    if not module_name or not attr:
        raise UnknownEncoderError(f"encoder spec {spec!r}: expected py:MODULE:FACTORY")
    try:
        factory = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as err:
        raise UnknownEncoderError(f"encoder spec {spec!r}: {err}") from None
    encoder = factory(**options)
    check_encoder(encoder, spec)
    return encoder


def check_encoder(encoder: object, spec: str) -> None:
    if not isinstance(getattr(encoder, "meta", None), EncoderMeta) or not callable(
        getattr(encoder, "encode_text", None)
    ):
        raise EncoderError(f"{spec!r} did not produce an encoder (needs .meta: EncoderMeta and .encode_text)")
