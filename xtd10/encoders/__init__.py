"""Encoders: the protocol, the adapter registry and spec strings (``get("muse")``)."""

from xtd10.encoders.base import (
    ADAPTERS,
    Encoder,
    EncoderError,
    EncoderMeta,
    UnknownEncoderError,
    build,
    parse_spec,
    register,
    supports_images,
)

get = build

__all__ = ["ADAPTERS", "Encoder", "EncoderError", "EncoderMeta", "UnknownEncoderError", "build", "get",
           "parse_spec", "register", "supports_images"]
