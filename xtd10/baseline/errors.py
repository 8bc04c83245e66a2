"""Errors raised by the baseline: bad configs, bad training data, bad checkpoints."""

from __future__ import annotations

from xtd10.errors import XTD10Error


class BaselineError(XTD10Error):
    """Base class for every deliberate baseline error."""


class ConfigError(BaselineError):
    """A training config names an unknown field or holds an invalid value."""


class TrainingDataError(BaselineError):
    """Caption/image pairs cannot be read (names the file, line or field)."""


class CheckpointError(BaselineError):
    """A checkpoint directory is missing files or holds inconsistent weights."""


class TrainingDivergedError(BaselineError):
    """The loss became NaN or infinite: the run stops before it writes a useless checkpoint."""
