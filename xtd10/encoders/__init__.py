"""Encoders: the protocol, the adapter registry and spec strings (``get("muse")``).

Importing this package registers every built-in adapter without importing torch,
transformers or any model package: those are imported when an encoder is built.
"""

# The trained baseline registers ``baseline:PATH`` itself (its module imports only the
# registry at import time); importing it here makes every documented spec work after
# ``import xtd10.encoders``.
from xtd10.baseline import encoder as _baseline_encoder  # noqa: F401
from xtd10.encoders import e5, hf, mclip, muse, offline_labels, openclip, random_encoder, sbert  # noqa: F401  (register adapters)
from xtd10.encoders.base import (
    ADAPTERS,
    AdapterInfo,
    Encoder,
    EncoderError,
    EncoderMeta,
    UnknownEncoderError,
    build,
    describe_adapters,
    parse_spec,
    register,
    supports_images,
    validate_embeddings,
)

get = build

__all__ = ["ADAPTERS", "AdapterInfo", "Encoder", "EncoderError", "EncoderMeta", "UnknownEncoderError", "build",
           "describe_adapters", "get", "parse_spec", "register", "supports_images", "validate_embeddings"]
