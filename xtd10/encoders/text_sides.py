"""Which built-in encoders embed captions with another built-in encoder.

An image-text encoder built from an image model and an existing text model scores the text
track exactly as that text model does: ``offline-labels`` embeds captions with mUSE, so on
the text track it and ``muse`` are one model under two names. The leaderboard says so
beside such rows instead of letting identical numbers look like two results."""

from __future__ import annotations

from xtd10.encoders.registry import parse_spec

__all__ = ["TEXT_SIDES", "text_side"]

# encoder spec -> the spec of the encoder that embeds its captions
TEXT_SIDES: dict[str, str] = {
    "offline-labels": "muse",
}


def text_side(spec: str) -> str:
    """The spec of the encoder that embeds ``spec``'s captions (itself unless declared)."""
    parse_spec(spec)  # the same refusal of an empty spec as everywhere
    return TEXT_SIDES.get(spec.strip(), spec.strip())
