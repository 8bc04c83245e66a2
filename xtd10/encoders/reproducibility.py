"""What a re-run of each built-in encoder is guaranteed to reproduce, declared, not implied.

Metrics are computed from ranks, and a rank moves when two scores are within float rounding
of each other. Whether a re-run can move one depends on where the floats come from: a seeded
generator is exact on every machine; a model's forward pass goes through BLAS, whose kernel
(chosen per CPU family, or forced by ``OPENBLAS_CORETYPE``) decides the last bits. On the
same kernel the toolkit's fixed batch order and single BLAS thread make runs bit-identical;
on another kernel a few near-tied queries can swap (measured: 17 of mUSE's 340 XTD10
text-track cells, about 15 of e5-small's, recalls, MRR and nDCG by at most 0.001). ``xtd10 leaderboard
verify`` prints the line for a result's encoder.
"""

from __future__ import annotations

from dataclasses import dataclass

from xtd10.encoders.registry import parse_spec

__all__ = ["ANYWHERE", "REPRODUCIBILITY", "SAME_KERNEL", "UNDECLARED", "Reproducibility", "reproducibility"]

ANYWHERE, SAME_KERNEL, UNDECLARED = "anywhere", "same-kernel", "undeclared"

_KERNEL_CAVEAT = ("on another CPU family or BLAS kernel (OPENBLAS_CORETYPE) or other package versions, "
                  "near-tied queries may swap and move a few metrics in the third decimal")


@dataclass(frozen=True)
class Reproducibility:
    """How far a re-run of an encoder reproduces its committed metrics."""

    level: str  # ANYWHERE, SAME_KERNEL or UNDECLARED
    statement: str


REPRODUCIBILITY: dict[str, Reproducibility] = {
    "random": Reproducibility(ANYWHERE, "identical on any machine: its vectors are the same bits everywhere "
                                        "(a seeded generator, no model), and random scores lie too far apart "
                                        "for a BLAS kernel's rounding to reorder them"),
    "muse": Reproducibility(SAME_KERNEL, "identical with the pinned packages on the same CPU family and BLAS "
                                         f"kernel (one BLAS thread, fixed batch order); {_KERNEL_CAVEAT}"),
    "e5-small": Reproducibility(SAME_KERNEL, "identical with the pinned packages on the same CPU family and "
                                             f"BLAS kernel (one thread per caption); {_KERNEL_CAVEAT}"),
    "offline-labels": Reproducibility(SAME_KERNEL, "identical with the pinned packages on the same CPU family "
                                                   f"and BLAS kernel; {_KERNEL_CAVEAT}"),
    "baseline": Reproducibility(SAME_KERNEL, "identical with the same checkpoint and pinned packages on the "
                                             f"same CPU family and BLAS kernel at fp32; {_KERNEL_CAVEAT}"),
}
for _prefix in ("hf", "open_clip", "st", "mclip"):
    REPRODUCIBILITY[_prefix] = Reproducibility(
        SAME_KERNEL, "identical with the same model revision, packages, device and torch thread count at fp32 "
                     f"on the same CPU family and BLAS kernel; on a GPU (cuBLAS/cuDNN choose kernels per run), "
                     f"at bf16, or {_KERNEL_CAVEAT.removeprefix('on ')}")


def reproducibility(spec: str) -> Reproducibility:
    """The declared guarantee for an encoder spec (``muse``, ``hf:org/model``); an encoder the
    toolkit does not ship (``py:``, a plugin) gets an explicit "not declared"."""
    prefix, _ = parse_spec(spec)
    return REPRODUCIBILITY.get(prefix) or Reproducibility(
        UNDECLARED, f"not declared: {prefix!r} is not one of the toolkit's encoders; it depends on that "
                    "encoder's own determinism")
