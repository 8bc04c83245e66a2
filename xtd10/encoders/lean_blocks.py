"""A leaner forward pass through open_clip's standard transformer blocks, for scoring.

An embedding is read at one position per input (the end-of-text token of a causal text
tower, the class token of a vision tower), so after the last block only that position is
needed: the last block computes keys and values for every position but attention, MLP
and residuals only for the pooled one (about 7% of a 12-block tower). The other blocks run
as one projection to queries, keys and values and ``scaled_dot_product_attention``,
which skips the reshaping copies ``nn.MultiheadAttention`` makes on the CPU.

The result equals the model's own forward up to float rounding; adapters check that on a
probe input when they load a model and keep the model's own forward if it does not.
"""

from __future__ import annotations

from typing import Any

_STANDARD_BLOCK = ("open_clip", "ResidualAttentionBlock")


def _is_standard_block(block: Any) -> bool:
    """open_clip's pre-norm block with a plain ``nn.MultiheadAttention`` (no cross-attention,
    no extra key/value bias, no zero attention, dropout only in training)."""
    import torch

    kind = type(block)
    if (kind.__module__.split(".")[0], kind.__qualname__) != _STANDARD_BLOCK or hasattr(block, "ln_1_kv"):
        return False
    if not all(hasattr(block, name) for name in ("ln_1", "ln_2", "ls_1", "ls_2", "mlp", "attn")):
        return False
    attention = block.attn
    return (isinstance(attention, torch.nn.MultiheadAttention) and attention.batch_first
            and attention._qkv_same_embed_dim and attention.bias_k is None and attention.bias_v is None
            and not attention.add_zero_attn)


class LeanBlocks:
    """The blocks of one open_clip ``Transformer``; ``of(transformer)`` is None for any other
    kind (custom attention, cross-attention, sequence-first layout), which keeps its own forward."""

    def __init__(self, blocks: list[Any]):
        self.blocks = blocks

    @classmethod
    def of(cls, transformer: Any) -> LeanBlocks | None:
        blocks = list(getattr(transformer, "resblocks", None) or [])
        if not blocks or not getattr(transformer, "batch_first", False):
            return None
        return cls(blocks) if all(_is_standard_block(block) for block in blocks) else None

    def __call__(self, x: Any, *, causal: bool, pooled: Any) -> Any:
        """``x`` (batch, positions, width) through every block; returns (batch, width): each
        row's state at its position ``pooled[row]`` after the last block. ``causal``: position
        i attends to positions up to i only (what a causal text tower's mask says)."""
        for block in self.blocks[:-1]:
            x = x + block.ls_1(self._attend(block, block.ln_1(x), causal))
            x = x + block.ls_2(block.mlp(block.ln_2(x)))
        import torch

        last = self.blocks[-1]
        rows = torch.arange(x.shape[0], device=x.device)
        kept = x[rows, pooled]
        kept = kept + last.ls_1(self._attend_at(last, last.ln_1(x), pooled, causal))
        return kept + last.ls_2(last.mlp(last.ln_2(kept)))

    @staticmethod
    def _attend(block: Any, h: Any, causal: bool) -> Any:
        import torch.nn.functional as F

        attention = block.attn
        batch, length, width = h.shape
        heads = attention.num_heads
        qkv = F.linear(h, attention.in_proj_weight, attention.in_proj_bias).view(batch, length, 3, heads, -1)
        q, k, v = (part.transpose(1, 2) for part in qkv.unbind(2))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return attention.out_proj(out.transpose(1, 2).reshape(batch, length, width))

    @staticmethod
    def _attend_at(block: Any, h: Any, pooled: Any, causal: bool) -> Any:
        """Attention output at one query position per row (all positions give keys/values;
        with ``causal`` only those up to the query's own)."""
        import torch
        import torch.nn.functional as F

        attention = block.attn
        batch, length, width = h.shape
        heads = attention.num_heads
        weight, bias = attention.in_proj_weight, attention.in_proj_bias
        query_in = h[torch.arange(batch, device=h.device), pooled]
        q = F.linear(query_in, weight[:width], None if bias is None else bias[:width])
        kv = F.linear(h, weight[width:], None if bias is None else bias[width:]).view(batch, length, 2, heads, -1)
        k, v = (part.transpose(1, 2) for part in kv.unbind(2))
        mask = None
        if causal:
            positions = torch.arange(length, device=h.device)
            mask = (positions[None, :] <= pooled[:, None])[:, None, None, :]
        out = F.scaled_dot_product_attention(q.view(batch, heads, 1, -1), k, v, attn_mask=mask)
        return attention.out_proj(out.reshape(batch, width))
