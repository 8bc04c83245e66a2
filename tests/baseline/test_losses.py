"""The three losses against plain-loop reference computations, plus gradient sanity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from xtd10.baseline.errors import ConfigError
from xtd10.baseline.losses import LossConfig, compute_loss, infonce, m3l, patr


def batch(seed: int = 0, n: int = 6, d: int = 5, groups=None):
    gen = torch.Generator().manual_seed(seed)
    t = F.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=1)
    v = F.normalize(torch.randn(n, d, generator=gen, dtype=torch.float64), dim=1)
    g = torch.tensor(groups if groups is not None else list(range(n)))
    return t, v, g


def dist(a, b) -> float:
    return 1.0 - sum(x * y for x, y in zip(a.tolist(), b.tolist(), strict=True))


def ref_m3l(t, v, g, a1, a2, rho):
    total = 0.0
    n = len(t)
    for i in range(n):
        neg = [j for j in range(n) if int(g[j]) != int(g[i])]
        d_pos = dist(t[i], v[i])
        d_img = min(dist(t[i], v[j]) for j in neg)
        d_txt = min(dist(t[i], t[j]) for j in neg)
        total += a1 * d_pos**rho / d_img + a2 * d_pos**rho / d_txt
    return total / n


def ref_patr(t, v, g, m):
    total = 0.0
    n = len(t)
    for i in range(n):
        d_img = min(dist(t[i], v[j]) for j in range(n) if int(g[j]) != int(g[i]))
        total += dist(t[i], v[i]) + max(0.0, m - d_img)
    return total / n


def ref_infonce(t, v, g, tau):
    n = len(t)

    def direction(q, k):
        total = 0.0
        for i in range(n):
            cols = [j for j in range(n) if j == i or int(g[j]) != int(g[i])]
            logits = [sum(x * y for x, y in zip(q[i].tolist(), k[j].tolist(), strict=True)) / tau for j in cols]
            top = max(logits)
            lse = top + math.log(sum(math.exp(x - top) for x in logits))
            total += lse - logits[cols.index(i)]
        return total / n

    return 0.5 * (direction(t, v) + direction(v, t))


@pytest.mark.parametrize("groups", [None, [0, 0, 1, 2, 2, 3]])
@pytest.mark.parametrize("seed", [0, 1])
def test_losses_match_loop_references(seed, groups):
    t, v, g = batch(seed, groups=groups)
    assert float(m3l(t, v, g, 0.7, 0.3, 2.0)) == pytest.approx(ref_m3l(t, v, g, 0.7, 0.3, 2.0), rel=1e-9)
    assert float(m3l(t, v, g, 1.0, 1.0, 1.5)) == pytest.approx(ref_m3l(t, v, g, 1.0, 1.0, 1.5), rel=1e-9)
    assert float(patr(t, v, g, 0.9)) == pytest.approx(ref_patr(t, v, g, 0.9), rel=1e-9)
    assert float(infonce(t, v, g, 0.1)) == pytest.approx(ref_infonce(t, v, g, 0.1), rel=1e-9)


def test_patr_hinge_switches_off_beyond_margin():
    t, v, g = batch(3)
    # margin 0: the hinge is inactive, so the loss is the mean positive distance alone
    positive = float((1 - (t * v).sum(1)).mean())
    assert float(patr(t, v, g, 0.0)) == pytest.approx(positive)


@pytest.mark.parametrize("name", ["m3l", "patr", "infonce"])
def test_gradients_are_correct_and_descend(name):
    t, v, g = batch(5)
    config = LossConfig(name=name, margin=1.5)
    t_raw = t.clone().requires_grad_(True)
    v_raw = v.clone().requires_grad_(True)

    def loss_of(a, b):
        return compute_loss(config, F.normalize(a, dim=1), F.normalize(b, dim=1), g).double()

    # compute_loss casts to float32; check the analytic gradient on the float64 kernels
    kernels = {"m3l": lambda a, b: m3l(F.normalize(a, dim=1), F.normalize(b, dim=1), g, 1.0, 1.0, 2.0),
               "patr": lambda a, b: patr(F.normalize(a, dim=1), F.normalize(b, dim=1), g, 1.5),
               "infonce": lambda a, b: infonce(F.normalize(a, dim=1), F.normalize(b, dim=1), g, 0.1)}
    assert torch.autograd.gradcheck(kernels[name], (t_raw, v_raw))
    before = loss_of(t_raw, v_raw)
    before.backward()
    with torch.no_grad():
        after = loss_of(t_raw - 0.05 * t_raw.grad, v_raw - 0.05 * v_raw.grad)
    assert float(after) < float(before.detach())


def test_m3l_pushes_dissimilar_captions_apart():
    t, v, g = batch(7)
    t = t.clone().requires_grad_(True)
    loss = m3l(t, v, g, 0.0, 1.0, 2.0)  # text-text repulsion term only
    loss.backward()
    # moving along -grad increases the distance from each caption to its nearest other caption
    d_tt = 1 - t @ t.T
    nearest_before = (d_tt + 4 * torch.eye(len(t))).min(1).values.detach()
    with torch.no_grad():
        moved = F.normalize(t - 0.01 * t.grad, dim=1)
        nearest_after = (1 - moved @ moved.T + 4 * torch.eye(len(t))).min(1).values
    assert float(nearest_after.mean()) > float(nearest_before.mean())


def test_perfect_alignment_gives_zero_m3l_and_patr_positive_term():
    t, _, g = batch(2)
    assert float(m3l(t, t, g, 1.0, 1.0, 2.0)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("kwargs", [{"name": "triplet"}, {"rho": 0}, {"temperature": -1}, {"a1": -0.5}])
def test_bad_loss_config_is_rejected(kwargs):
    with pytest.raises(ConfigError):
        LossConfig(**kwargs)


def test_loss_runs_under_float16_inputs():
    t, v, g = batch(4)
    value = compute_loss(LossConfig("m3l"), t.half(), v.half(), g)
    assert value.dtype == torch.float32 and np.isfinite(float(value))


def test_an_unknown_loss_name_is_refused_never_replaced_by_m3l():
    with pytest.raises(ConfigError, match=r"unknown loss 'M3L'; choose one of m3l, patr, infonce"):
        LossConfig("M3L")
    config = LossConfig("m3l")
    object.__setattr__(config, "name", "triplet")  # past the config's own check, as a stale object could be
    t, v, g = batch(5)
    with pytest.raises(ConfigError, match=r"unknown loss 'triplet'; choose one of m3l, patr, infonce"):
        compute_loss(config, t, v, g)


@pytest.mark.parametrize("name", ["m3l", "patr", "infonce"])
def test_the_registry_maps_each_name_to_its_own_loss(name):
    t, v, g = batch(6)
    config = LossConfig(name, a1=0.7, a2=1.3, rho=1.5, margin=0.3, temperature=0.2)
    expected = {"m3l": lambda: m3l(t, v, g, 0.7, 1.3, 1.5), "patr": lambda: patr(t, v, g, 0.3),
                "infonce": lambda: infonce(t, v, g, 0.2)}[name]()
    assert float(compute_loss(config, t, v, g)) == pytest.approx(float(expected), rel=1e-6)
