"""Encoders: the protocol, the adapter registry and spec strings (``get("muse")``), and
what is declared about a model without loading it (``model_meta("muse")``).

Importing this package imports no adapter module, no torch, transformers or model
package: each built-in adapter is named by import path (``BUILTIN_ADAPTERS``) and loaded
the first time its prefix is used, and installed packages add adapters through the
``xtd10.encoders`` entry-point group (see docs/encoders.md).
"""

from xtd10.encoders.checks import validate_embeddings
from xtd10.encoders.metadata import ModelMeta, model_meta
from xtd10.encoders.protocol import Encoder, EncoderError, EncoderMeta, supports_images
from xtd10.encoders.registry import (
    ADAPTERS,
    BUILTIN_ADAPTERS,
    ENTRY_POINT_GROUP,
    AdapterInfo,
    UnknownEncoderError,
    UntrustedCodeError,
    build,
    describe_adapters,
    parse_spec,
    register,
    require_trusted,
)

get = build

__all__ = ["ADAPTERS", "BUILTIN_ADAPTERS", "ENTRY_POINT_GROUP", "AdapterInfo", "Encoder", "EncoderError",
           "EncoderMeta", "ModelMeta", "UnknownEncoderError", "UntrustedCodeError", "build", "describe_adapters",
           "get", "model_meta", "parse_spec", "register", "require_trusted", "supports_images",
           "validate_embeddings"]
