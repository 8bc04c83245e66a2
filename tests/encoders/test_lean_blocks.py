"""The lean block forward against a reference written the plain way: every position through
``nn.MultiheadAttention`` with an explicit mask, then the pooled rows picked out. The blocks
are stand-ins shaped like open_clip's, so the reference does not depend on the package;
tests/encoders/test_speed_paths.py runs open_clip's own blocks."""

from __future__ import annotations

import platform
import threading
from collections import OrderedDict

import pytest

from tests.installed import need

torch = need("torch")

from xtd10.encoders import lean_blocks  # noqa: E402
from xtd10.encoders.batching import length_batches  # noqa: E402
from xtd10.encoders.lean_blocks import LeanBlocks, PackedMatrix, _Weights  # noqa: E402


class ResidualAttentionBlock(torch.nn.Module):
    """Shaped like open_clip.transformer.ResidualAttentionBlock (pre-norm, batch first)."""

    def __init__(self, width: int, heads: int, scale: float | None = None):
        super().__init__()
        self.ln_1, self.ln_2 = torch.nn.LayerNorm(width), torch.nn.LayerNorm(width)
        self.attn = torch.nn.MultiheadAttention(width, heads, batch_first=True)
        self.ls_1 = self.ls_2 = torch.nn.Identity() if scale is None else _Scale(width, scale)
        self.mlp = torch.nn.Sequential(OrderedDict([("c_fc", torch.nn.Linear(width, 4 * width)),
                                                    ("gelu", torch.nn.GELU()),
                                                    ("c_proj", torch.nn.Linear(4 * width, width))]))

    def forward(self, x, attn_mask=None):
        h = self.ln_1(x)
        x = x + self.ls_1(self.attn(h, h, h, need_weights=False, attn_mask=attn_mask)[0])
        return x + self.ls_2(self.mlp(self.ln_2(x)))


ResidualAttentionBlock.__module__ = "open_clip.transformer"  # what LeanBlocks.of recognises


class _Scale(torch.nn.Module):
    def __init__(self, width: int, value: float):
        super().__init__()
        self.gamma = torch.nn.Parameter(torch.full((width,), value))

    def forward(self, x):
        return x * self.gamma


class Transformer(torch.nn.Module):
    def __init__(self, blocks, batch_first: bool = True):
        super().__init__()
        self.resblocks, self.batch_first = torch.nn.ModuleList(blocks), batch_first


def _tower(layers=3, width=32, heads=4, scale=None):
    torch.manual_seed(0)
    tower = Transformer([ResidualAttentionBlock(width, heads, scale) for _ in range(layers)]).eval()
    for parameter in tower.parameters():  # non-trivial biases and norms
        torch.nn.init.normal_(parameter, std=0.2)
    return tower


def _reference(tower, x, *, causal, pooled):
    mask = None
    if causal:
        length = x.shape[1]
        mask = torch.triu(torch.full((length, length), float("-inf")), diagonal=1)
    for block in tower.resblocks:
        x = block(x, attn_mask=mask)
    return x[torch.arange(x.shape[0]), pooled]


@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("scale", [None, 0.5])
def test_lean_blocks_equal_the_plain_forward_at_the_pooled_positions(causal, scale):
    tower = _tower(scale=scale)
    x = torch.randn(5, 9, 32, generator=torch.Generator().manual_seed(1))
    pooled = torch.tensor([8, 0, 3, 5, 8])
    lean = LeanBlocks.of(tower)
    assert lean is not None
    with torch.no_grad():
        got, want = lean(x, causal=causal, pooled=pooled), _reference(tower, x, causal=causal, pooled=pooled)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)


def test_causal_lean_blocks_ignore_positions_after_the_pooled_one():
    lean = LeanBlocks.of(_tower())
    x = torch.randn(2, 7, 32, generator=torch.Generator().manual_seed(2))
    changed = x.clone()
    changed[0, 5:] = 100.0  # row 0 is read at position 4: what follows must not matter
    pooled = torch.tensor([4, 6])
    with torch.no_grad():
        a, b = lean(x, causal=True, pooled=pooled), lean(changed, causal=True, pooled=pooled)
    torch.testing.assert_close(a[0], b[0], rtol=1e-6, atol=1e-6)
    changed[0, 4] = 100.0  # ... while its own position does
    with torch.no_grad():
        assert not torch.allclose(a[0], lean(changed, causal=True, pooled=pooled)[0])


def test_under_autocast_one_shared_cast_copy_gives_what_autocast_computes(monkeypatch):
    monkeypatch.setattr(lean_blocks, "_packs", lambda device, dtype: False)  # plain copies: bit-identical
    tower = _tower()
    lean = LeanBlocks.of(tower)
    x = torch.randn(3, 6, 32, generator=torch.Generator().manual_seed(3))
    pooled = torch.tensor([5, 2, 0])
    cpu = torch.device("cpu")
    assert lean.weights(cpu)[0].qkv is tower.resblocks[0].attn.in_proj_weight  # fp32: the parameters
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        shared = lean(x, causal=True, pooled=pooled)
        copies = lean.weights(cpu)
        assert copies[1].fc.dtype == torch.bfloat16 and not copies[1].fc.requires_grad
        seen = []

        def other_thread():  # autocast is per thread: it enters its own
            with torch.autocast("cpu", dtype=torch.bfloat16):
                seen.append(lean.weights(cpu))

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert seen[0] is copies and lean.weights(cpu) is copies
        lean.weights = lambda device: [_Weights.of(block) for block in tower.resblocks]  # autocast casts itself
        by_autocast = lean(x, causal=True, pooled=pooled)
    assert torch.equal(shared, by_autocast)
    with torch.no_grad():
        in_fp32 = lean(x, causal=True, pooled=pooled)
    assert not torch.equal(shared, in_fp32)  # the products did run in bf16
    torch.testing.assert_close(shared, in_fp32, rtol=5e-2, atol=5e-2)


def test_a_cast_copy_is_made_again_after_a_weight_changes():
    tower = _tower(layers=1)
    lean = LeanBlocks.of(tower)
    cpu = torch.device("cpu")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        before = lean.weights(cpu)
        tower.resblocks[0].mlp.c_proj.bias.add_(1.0)
        after = lean.weights(cpu)
    assert after is not before
    torch.testing.assert_close(after[0].proj_bias.float(), tower.resblocks[0].mlp.c_proj.bias, rtol=1e-2, atol=1e-2)


def _packing_case(seed: int):
    """A three-block tower, its lean blocks, and a batch of four rows read at mixed positions."""
    tower = _tower()
    x = torch.randn(4, 7, 32, generator=torch.Generator().manual_seed(seed))
    return tower, LeanBlocks.of(tower), x, torch.tensor([6, 3, 0, 5])


@pytest.mark.skipif(not lean_blocks._packs(torch.device("cpu"), torch.bfloat16),
                    reason="packed bf16 weights are used on CPUs with native bf16 only")
def test_packed_bf16_weights_give_the_plain_products_up_to_rounding():
    _, lean, x, pooled = _packing_case(seed=4)
    cpu = torch.device("cpu")
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        weights = lean.weights(cpu)
        assert all(isinstance(w.fc, PackedMatrix) for w in weights[:-1]) and not isinstance(weights[-1].fc, PackedMatrix)
        packed = lean(x, causal=True, pooled=pooled)
        lean.packing = False
        lean.forget_copies()
        assert not isinstance(lean.weights(cpu)[0].fc, PackedMatrix)
        plain = lean(x, causal=True, pooled=pooled)
    torch.testing.assert_close(packed, plain, rtol=2e-2, atol=2e-2)
    cosine = torch.nn.functional.cosine_similarity(packed.float(), plain.float(), dim=-1)
    assert bool((cosine > 0.9999).all())


@pytest.mark.skipif(not lean_blocks._packs(torch.device("cpu"), torch.float32),
                    reason="fp32 weights are packed on x86 CPUs, with torch built with oneDNN, only")
def test_packed_fp32_weights_give_the_plain_products_up_to_summation_order():
    tower, lean, x, pooled = _packing_case(seed=5)
    cpu = torch.device("cpu")
    with torch.no_grad():
        weights = lean.weights(cpu)
        assert all(isinstance(w.fc, PackedMatrix) for w in weights[:-1])
        assert weights[-1].fc is tower.resblocks[-1].mlp.c_fc.weight  # the last block: the parameters
        assert weights[0].fc_bias is tower.resblocks[0].mlp.c_fc.bias  # biases are not copied
        assert lean.weights(cpu) is weights  # made once
        packed = lean(x, causal=True, pooled=pooled)
        lean.packing = False
        assert lean.weights(cpu)[0].fc is tower.resblocks[0].mlp.c_fc.weight
        plain = lean(x, causal=True, pooled=pooled)
    torch.testing.assert_close(packed, plain, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(packed, _reference(tower, x, causal=True, pooled=pooled), rtol=1e-5, atol=1e-5)


def test_fp32_weights_are_packed_on_x86_only(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    for machine, packs in (("x86_64", True), ("AMD64", True), ("arm64", False), ("aarch64", False)):
        monkeypatch.setattr(platform, "machine", lambda machine=machine: machine)
        assert lean_blocks._packs(cpu, torch.float32) is packs, machine
    assert lean_blocks._packs(torch.device("meta"), torch.float32) is False  # not on other devices


def test_weights_that_cannot_be_packed_stay_plain(monkeypatch):
    def refuse(self, weight):
        raise RuntimeError("no oneDNN here")

    monkeypatch.setattr(PackedMatrix, "__init__", refuse)
    monkeypatch.setattr(lean_blocks, "_packs", lambda device, dtype: True)
    tower = _tower(layers=2)
    lean = LeanBlocks.of(tower)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        weights = lean.weights(torch.device("cpu"))
        out = lean(torch.randn(2, 5, 32), causal=False, pooled=torch.tensor([0, 0]))
    assert weights[0].fc.dtype == torch.bfloat16 and bool(torch.isfinite(out).all())


def test_other_block_kinds_keep_their_own_forward():
    assert LeanBlocks.of(_tower()) is not None
    assert LeanBlocks.of(Transformer([ResidualAttentionBlock(32, 4)], batch_first=False)) is None

    class ResidualAttentionBlockLike(ResidualAttentionBlock):  # another class, even if similar
        pass

    assert LeanBlocks.of(Transformer([ResidualAttentionBlockLike(32, 4)])) is None
    cross = ResidualAttentionBlock(32, 4)
    cross.ln_1_kv = torch.nn.LayerNorm(32)
    assert LeanBlocks.of(Transformer([cross])) is None
    sequence_first = ResidualAttentionBlock(32, 4)
    sequence_first.attn = torch.nn.MultiheadAttention(32, 4)
    assert LeanBlocks.of(Transformer([sequence_first])) is None
    other_mlp = ResidualAttentionBlock(32, 4)
    other_mlp.mlp = torch.nn.Sequential(torch.nn.Linear(32, 128), torch.nn.GELU(), torch.nn.Linear(128, 32))
    assert LeanBlocks.of(Transformer([other_mlp])) is None
    assert LeanBlocks.of(Transformer([])) is None


def test_length_batches_cap_inputs_and_padded_positions():
    lengths = [60, 50, 20, 20, 20, 20, 10, 10, 3]
    assert length_batches(lengths, 4) == [slice(0, 4), slice(4, 8), slice(8, 12)]
    spans = length_batches(lengths, 4, max_tokens=100)
    assert spans == [slice(0, 1), slice(1, 3), slice(3, 7), slice(7, 11)]
    for span in spans:  # every batch within both caps, padded to its first (longest) input
        members = lengths[span]
        assert len(members) <= 4 and (len(members) == 1 or members[0] * len(members) <= 100)
    assert length_batches([500, 5], 4, max_tokens=100) == [slice(0, 1), slice(1, 5)]  # one input even if over
    assert length_batches([], 4, max_tokens=100) == []
