"""Training objectives for the projection heads, over one batch of (caption, image) pairs.

All three losses take L2-normalised caption embeddings ``t`` (B, D), image embeddings
``v`` (B, D) where row k of each is a positive pair, and ``groups`` (B,), the image id of
each row: rows that share an image (COCO has five captions per image) are never used as
each other's negatives. Distances are cosine distances ``d(a, b) = 1 - a.b`` in [0, 2].

* ``infonce``: symmetric InfoNCE (CLIP-style)
  L = 1/2 [ CE(softmax_j(t_k.v_j / tau), k) + CE(softmax_j(v_k.t_j / tau), k) ].
* ``patr``: positive-aware triplet ranking with the hardest in-batch negative image
  L = d(t, i+) + max(0, m - d(t, i-)).
  Unlike a plain hinge triplet, the positive distance is always pulled in.
* ``m3l``: the repulsion objective ("multimodal metric loss"),
  L = a1 * d(t, i+)^rho / d(t, i-) + a2 * d(t, i+)^rho / d(t, t-),
  with i- the hardest (closest) negative image and t- the hardest (closest) caption of
  another image. The ratio form shrinks the positive distance *relative* to the nearest
  dissimilar image and caption, so dissimilar items are pushed apart. THIS FORM IS A
  RECONSTRUCTION from the published description (Adobe patent US 11,734,339 B2 and the
  paper abstracts, arXiv 2012.05107 / 2109.07622); the exact published formula was not
  available.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from xtd10.baseline.errors import ConfigError

_EPS = 1e-6
_FAR = 4.0  # larger than any cosine distance: masks positives out of a hardest-negative min


@dataclass(frozen=True)
class LossConfig:
    """Hyper-parameters of all three losses (each loss reads only its own)."""

    name: str = "m3l"
    a1: float = 1.0
    a2: float = 1.0
    rho: float = 1.0
    margin: float = 0.4
    temperature: float = 0.05

    def __post_init__(self) -> None:
        loss_function(self.name)  # refuses unknown names, listing the known ones
        for field_name in ("rho", "temperature"):
            if not getattr(self, field_name) > 0:  # NaN too
                raise ConfigError(f"loss.{field_name} must be > 0, got {getattr(self, field_name)}")
        if not (self.a1 >= 0 and self.a2 >= 0 and self.margin >= 0 and math.isfinite(self.a1 + self.a2 + self.margin)):
            raise ConfigError("loss.a1, loss.a2 and loss.margin must be finite and >= 0")


def _negative_mask(groups: torch.Tensor) -> torch.Tensor:
    """(B, B) True where row j is a valid negative for row i (a different image)."""
    return groups[:, None] != groups[None, :]


def _hardest(distances: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
    """Smallest distance among valid negatives per row (``_FAR`` if a row has none)."""
    masked = distances.masked_fill(~negatives, _FAR)
    return masked.min(dim=1).values


def infonce(t: torch.Tensor, v: torch.Tensor, groups: torch.Tensor, temperature: float) -> torch.Tensor:
    logits = t @ v.T / temperature
    # other rows of the same image are neither positives nor negatives: drop them
    same = ~_negative_mask(groups)
    same.fill_diagonal_(False)
    logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(t.shape[0], device=t.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


def patr(t: torch.Tensor, v: torch.Tensor, groups: torch.Tensor, margin: float) -> torch.Tensor:
    d_ti = 1.0 - t @ v.T
    positive = d_ti.diagonal()
    hardest_image = _hardest(d_ti, _negative_mask(groups))
    return (positive + torch.clamp(margin - hardest_image, min=0.0)).mean()


def m3l(t: torch.Tensor, v: torch.Tensor, groups: torch.Tensor, a1: float, a2: float, rho: float) -> torch.Tensor:
    negatives = _negative_mask(groups)
    d_ti = 1.0 - t @ v.T
    d_tt = 1.0 - t @ t.T
    positive = d_ti.diagonal().clamp(min=0.0) ** rho
    hardest_image = _hardest(d_ti, negatives).clamp(min=_EPS)
    hardest_text = _hardest(d_tt, negatives).clamp(min=_EPS)
    return (a1 * positive / hardest_image + a2 * positive / hardest_text).mean()


# name -> the loss over one batch, reading its own hyper-parameters from the config
LOSS_FUNCTIONS: dict[str, Callable[[LossConfig, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "m3l": lambda c, t, v, g: m3l(t, v, g, c.a1, c.a2, c.rho),
    "patr": lambda c, t, v, g: patr(t, v, g, c.margin),
    "infonce": lambda c, t, v, g: infonce(t, v, g, c.temperature),
}
LOSSES = tuple(LOSS_FUNCTIONS)


def loss_function(name: str) -> Callable[[LossConfig, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """The loss registered under ``name``; an unknown name is an error listing the known
    ones (never a silent fall-back to another objective)."""
    try:
        return LOSS_FUNCTIONS[name]
    except KeyError:
        raise ConfigError(f"loss.name: unknown loss {name!r}; choose one of {', '.join(LOSS_FUNCTIONS)}") from None


def compute_loss(config: LossConfig, t: torch.Tensor, v: torch.Tensor, groups: torch.Tensor) -> torch.Tensor:
    """The configured loss for one batch; computed in float32 even under autocast."""
    return loss_function(config.name)(config, t.float(), v.float(), groups)
