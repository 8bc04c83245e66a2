"""Faster forward passes through open_clip towers that give the same embeddings.

Two savings, each used only where it provably leaves every embedding unchanged:

- Text: in a causal tower pooled at the end-of-text token (or the first token), no
  position attends to later ones, so everything after the longest caption's end-of-text
  token in a batch is cut off (captions need 10-55 of the 77 positions).
- Both towers: :class:`~xtd10.encoders.lean_blocks.LeanBlocks` runs standard blocks
  without ``nn.MultiheadAttention``'s copies and finishes the last block only at the
  pooled position.

Towers of other shapes (SigLIP's bidirectional text tower, appended class tokens, pad
masks, attention pooling, average-pooled vision towers) return None from ``of`` and keep
open_clip's own forward. :func:`agrees_with_model` checks a fast tower against the model's
forward on a probe when a model is loaded, so a future open_clip whose blocks mean
something else falls back rather than scoring wrong.
"""

from __future__ import annotations

from typing import Any

from xtd10.encoders.lean_blocks import LeanBlocks


class TrimmableTextTower:
    """The parts of an open_clip text tower whose padding can be cut without changing any
    embedding: a causal attention mask, learned absolute positions, and pooling at the
    end-of-text token (``argmax``/``eos``) or the first token."""

    def __init__(self, owner: Any):
        self.owner = owner
        self.pool_type = owner.pool_type if hasattr(owner, "pool_type") else owner.text_pool_type
        self.eos_id = getattr(owner, "eos_id", getattr(owner, "text_eos_id", None))
        self.lean = LeanBlocks.of(owner.transformer)

    @classmethod
    def of(cls, model: Any) -> TrimmableTextTower | None:
        owner = model if hasattr(model, "token_embedding") else getattr(model, "text", None)
        needed = ("token_embedding", "positional_embedding", "transformer", "ln_final", "attn_mask")
        if owner is None or not all(hasattr(owner, name) for name in needed):
            return None
        mask = owner.attn_mask
        if mask is None or getattr(mask, "ndim", 0) != 2 or getattr(owner, "cls_emb", None) is not None \
                or getattr(owner, "use_pad_mask", False) or getattr(owner, "output_tokens", False):
            return None
        import torch

        causal = torch.triu(torch.ones_like(mask, dtype=torch.bool), diagonal=1)
        if not bool(torch.all(torch.isneginf(mask[causal]))) or bool(torch.any(mask[~causal] != 0)):
            return None
        tower = cls(owner)
        if tower.pool_type not in ("argmax", "eos", "first") or (tower.pool_type == "eos" and tower.eos_id is None):
            return None
        return tower

    def needed_lengths(self, tokens: Any) -> Any:
        """Per caption, how many leading tokens its embedding depends on (up to the pooled one)."""
        if self.pool_type == "argmax":
            return tokens.argmax(dim=-1) + 1
        if self.pool_type == "eos":
            return (tokens == self.eos_id).int().argmax(dim=-1) + 1
        return tokens.new_ones(tokens.shape[0])

    def encode(self, tokens: Any) -> Any:
        """The tower's forward on ``tokens`` cut after the longest needed length."""
        owner = self.owner
        pooled_at = self.needed_lengths(tokens) - 1
        length = int(pooled_at.max()) + 1
        tokens = tokens[:, :length]
        cast_dtype = owner.transformer.get_cast_dtype()
        x = owner.token_embedding(tokens).to(cast_dtype) + owner.positional_embedding[:length].to(cast_dtype)
        if self.lean is not None:
            pooled = owner.ln_final(self.lean(x, causal=True, pooled=pooled_at))
        else:
            import torch

            x = owner.ln_final(owner.transformer(x, attn_mask=owner.attn_mask[:length, :length]))
            pooled = x[torch.arange(x.shape[0], device=x.device), pooled_at]
        projection = owner.text_projection
        if projection is None:
            return pooled
        return projection(pooled) if callable(projection) else pooled @ projection  # nn.Linear or a matrix


class PooledVisionTower:
    """An open_clip ``VisionTransformer`` read at its class token (``pool_type='tok'``, no
    attention pooling): only that position goes through the rest of the last block."""

    def __init__(self, visual: Any, lean: LeanBlocks):
        self.visual, self.lean = visual, lean

    @classmethod
    def of(cls, model: Any) -> PooledVisionTower | None:
        visual = getattr(model, "visual", None)
        needed = ("_embeds", "transformer", "ln_post", "proj")
        if visual is None or not all(hasattr(visual, name) for name in needed):
            return None
        if getattr(visual, "attn_pool", None) is not None or getattr(visual, "pool_type", None) != "tok" \
                or getattr(visual, "output_tokens", False):
            return None
        lean = LeanBlocks.of(visual.transformer)
        return None if lean is None else cls(visual, lean)

    def encode(self, pixels: Any) -> Any:
        import torch

        visual = self.visual
        x = visual._embeds(pixels)
        class_token = torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
        pooled = visual.ln_post(self.lean(x, causal=False, pooled=class_token))  # ln_post is per position
        return pooled if visual.proj is None else pooled @ visual.proj


def agrees_with_model(fast: Any, reference: Any, probe: Any) -> bool:
    """True when ``fast(probe)`` equals ``reference(probe)`` to float rounding (cosine at
    least 0.99999 for every row), computed in fp32 without gradients."""
    import torch

    with torch.no_grad():
        a, b = fast(probe).float(), reference(probe).float()
    if a.shape != b.shape or not bool(torch.isfinite(a).all()):
        return False
    return bool((torch.nn.functional.cosine_similarity(a, b, dim=-1) >= 0.99999).all())
