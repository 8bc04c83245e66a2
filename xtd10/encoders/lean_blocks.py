"""A leaner forward pass through open_clip's standard transformer blocks, for scoring.

An embedding is read at one position per input (the end-of-text token of a causal text
tower, the class token of a vision tower), so after the last block only that position is
needed: the last block computes keys and values for every position but attention, MLP
and residuals only for the pooled one (about 7% of a 12-block tower). The other blocks run
as one projection to queries, keys and values and ``scaled_dot_product_attention``,
which skips the reshaping copies ``nn.MultiheadAttention`` makes on the CPU.

Under autocast (bf16/fp16) the blocks' weights are cast once and that copy is shared by
every thread running the blocks: autocast keeps its own copies per thread, so two CPU
workers would hold two (about 300 MB each for ViT-B-32). The shared copy is what autocast
would compute (the same rounding, then the same products).

On an x86 CPU the weights of every block but the last are also held in oneDNN's blocked layout
(in fp32, and in bf16 where the CPU computes it natively), so no matrix product repacks its
weight and every product runs in oneDNN: at fp32 torch's own product goes to MKL, whose
kernels on AMD CPUs are the AVX2 ones even where AVX-512 is there (one thread, the tower's
shapes, measured on an AVX-512 AMD EPYC: 110 GFLOP/s through MKL, 265 through oneDNN's
packed product); at bf16 the repacking was about 10-15% of the text tower's time. The
products are the same up to float rounding (a different summation order). Packing that
fails or disagrees with the plain product on a check input is not used. The packed copy
costs one more copy of the blocks' matrices while a tower runs; the open_clip adapter drops
one tower's copies when the other is used.

The result equals the model's own forward up to float rounding; adapters check that on a
probe input when they load a model and keep the model's own forward if it does not.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

_STANDARD_BLOCK = ("open_clip", "ResidualAttentionBlock")


def _is_standard_block(block: Any) -> bool:
    """open_clip's pre-norm block with a plain ``nn.MultiheadAttention`` (no cross-attention,
    no extra key/value bias, no zero attention, dropout only in training) and an MLP of two
    ``nn.Linear`` layers, ``c_fc`` and ``c_proj``, around an activation."""
    import torch

    kind = type(block)
    if (kind.__module__.split(".")[0], kind.__qualname__) != _STANDARD_BLOCK or hasattr(block, "ln_1_kv"):
        return False
    if not all(hasattr(block, name) for name in ("ln_1", "ln_2", "ls_1", "ls_2", "mlp", "attn")):
        return False
    mlp = block.mlp
    if [name for name, _ in mlp.named_children()] != ["c_fc", "gelu", "c_proj"] \
            or not all(type(layer) is torch.nn.Linear for layer in (mlp.c_fc, mlp.c_proj)):
        return False
    attention = block.attn
    return (isinstance(attention, torch.nn.MultiheadAttention) and attention.batch_first
            and attention._qkv_same_embed_dim and attention.bias_k is None and attention.bias_v is None
            and not attention.add_zero_attn and isinstance(attention.out_proj, torch.nn.Linear))


class _Weights(NamedTuple):
    """One block's matrices and biases (a bias may be None)."""

    qkv: Any
    qkv_bias: Any
    out: Any
    out_bias: Any
    fc: Any
    fc_bias: Any
    proj: Any
    proj_bias: Any

    @classmethod
    def of(cls, block: Any) -> _Weights:
        attention, mlp = block.attn, block.mlp
        return cls(attention.in_proj_weight, attention.in_proj_bias, attention.out_proj.weight,
                   attention.out_proj.bias, mlp.c_fc.weight, mlp.c_fc.bias, mlp.c_proj.weight, mlp.c_proj.bias)

    def cast(self, dtype: Any) -> _Weights:
        return _Weights(*(None if tensor is None else tensor.detach().to(dtype) for tensor in self))

    def packed(self) -> _Weights:
        """The matrices in oneDNN's layout (biases stay tensors); self where packing fails."""
        try:
            return self._replace(**{name: PackedMatrix(getattr(self, name)) for name in ("qkv", "out", "fc", "proj")})
        except (RuntimeError, AttributeError, ValueError):
            return self

    def version(self) -> tuple[int, ...]:
        """Changes whenever a weight is modified in place (a copy made before is then stale)."""
        return tuple(-1 if tensor is None else tensor._version for tensor in self)


def _autocast_dtype(device_type: str) -> Any:
    """The dtype autocast gives matrix products on ``device_type`` now, None outside autocast."""
    import torch

    try:
        enabled, dtype = torch.is_autocast_enabled(device_type), torch.get_autocast_dtype(device_type)
    except TypeError:  # torch < 2.4 names the CPU and CUDA states apart
        cpu = device_type == "cpu"
        enabled = torch.is_autocast_cpu_enabled() if cpu else torch.is_autocast_enabled()
        dtype = torch.get_autocast_cpu_dtype() if cpu else torch.get_autocast_gpu_dtype()
    return dtype if enabled else None


# rows a matrix product usually has here (a text batch's token budget, 32 images x 50
# patches): oneDNN picks its blocking for this size but takes any.
_PACKING_ROWS = 2048


class PackedMatrix:
    """A weight matrix (fp32 or bf16) held in oneDNN's blocked layout for ``x @ weight.T + bias``.

    ``torch.nn.functional.linear`` reorders a plain bf16 weight into that layout at every
    call, and sends fp32 products to MKL; holding the weight packed skips the reorder and
    keeps every product in oneDNN. Uses the oneDNN operators that torch's own compiler emits
    for frozen CPU models; construction checks them on a small input against the plain
    product and raises RuntimeError where they are missing or disagree."""

    def __init__(self, weight: Any):
        import torch

        self.out_features, self.in_features = weight.shape
        self.dtype = weight.dtype
        self.matrix = torch.ops.mkldnn._reorder_linear_weight(weight, _PACKING_ROWS)
        probe = torch.randn(3, self.in_features, generator=torch.Generator().manual_seed(0)).to(weight.dtype)
        plain, packed = torch.nn.functional.linear(probe, weight).float(), self(probe, None).float()
        tolerance = 1e-4 if weight.dtype == torch.float32 else 2e-2  # summation order; bf16 rounding
        if packed.shape != plain.shape or not torch.allclose(packed, plain, rtol=tolerance, atol=tolerance):
            raise RuntimeError("packed product disagrees with the plain one")

    def __call__(self, x: Any, bias: Any) -> Any:
        import torch

        rows = x.reshape(-1, self.in_features).to(self.dtype)  # what autocast would cast it to
        out = torch.ops.mkldnn._linear_pointwise(rows, self.matrix, bias, "none", [], "")
        return out.view(*x.shape[:-1], self.out_features)


def _linear(x: Any, weight: Any, bias: Any) -> Any:
    import torch.nn.functional as F

    return weight(x, bias) if isinstance(weight, PackedMatrix) else F.linear(x, weight, bias)


def _packs(device: Any, dtype: Any) -> bool:
    """Whether weights of ``dtype`` on ``device`` are worth packing: on an x86 CPU, fp32, and
    bf16 where the CPU computes it natively (elsewhere bf16 is emulated either way). Not on
    ARM: there torch's fp32 product runs the platform's own BLAS (Accelerate on Apple
    silicon), which oneDNN's kernels need not match."""
    import platform

    import torch

    from xtd10.encoders.torch_runtime import cpu_supports_bf16

    if device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    if dtype == torch.float32:
        return platform.machine().lower() in ("x86_64", "amd64")
    return dtype == torch.bfloat16 and cpu_supports_bf16()


class LeanBlocks:
    """The blocks of one open_clip ``Transformer``; ``of(transformer)`` is None for any other
    kind (custom attention, cross-attention, sequence-first layout), which keeps its own forward."""

    def __init__(self, blocks: list[Any], *, packing: bool = True):
        self.blocks = blocks
        self.packing = packing  # False: never pack (the plain copies; for comparisons)
        self._cast: dict[tuple[Any, Any], tuple[tuple, list[_Weights]]] = {}
        self._cast_lock = threading.Lock()

    @classmethod
    def of(cls, transformer: Any) -> LeanBlocks | None:
        blocks = list(getattr(transformer, "resblocks", None) or [])
        if not blocks or not getattr(transformer, "batch_first", False):
            return None
        return cls(blocks) if all(_is_standard_block(block) for block in blocks) else None

    def weights(self, device: Any) -> list[_Weights]:
        """Every block's weights as the matrix products on ``device`` use them now: the
        parameters themselves, or one copy (cast to autocast's dtype, held packed, or both),
        made on first use (by whichever thread comes first) and again only if a parameter
        has changed."""
        own = [_Weights.of(block) for block in self.blocks]
        cast_to = _autocast_dtype(device.type)
        dtype = own[0].qkv.dtype if cast_to is None else cast_to
        pack = self.packing and _packs(device, dtype)
        if cast_to is None and not pack:
            return own
        key = (device.type, dtype)
        version = tuple(weights.version() for weights in own)
        with self._cast_lock:
            made = self._cast.get(key)
            if made is None or made[0] != version:
                # block by block (one plain cast copy at a time); the last block slices its
                # query rows, so it stays plain
                copies = []
                for index, weights in enumerate(own):
                    copy = weights if cast_to is None else weights.cast(cast_to)
                    copies.append(copy.packed() if pack and index < len(own) - 1 else copy)
                made = self._cast[key] = (version, copies)
        return made[1]

    def forget_copies(self) -> None:
        """Drop the cast and packed copies (the next call makes them again)."""
        with self._cast_lock:
            self._cast.clear()

    def __call__(self, x: Any, *, causal: bool, pooled: Any) -> Any:
        """``x`` (batch, positions, width) through every block; returns (batch, width): each
        row's state at its position ``pooled[row]`` after the last block. ``causal``: position
        i attends to positions up to i only (what a causal text tower's mask says)."""
        import torch

        weights = self.weights(x.device)
        for block, w in zip(self.blocks[:-1], weights[:-1], strict=True):
            x = x + block.ls_1(self._attend(block, w, block.ln_1(x), causal))
            x = x + block.ls_2(self._mlp(block, w, block.ln_2(x)))
        last, w = self.blocks[-1], weights[-1]
        rows = torch.arange(x.shape[0], device=x.device)
        kept = x[rows, pooled]
        kept = kept + last.ls_1(self._attend_at(last, w, last.ln_1(x), pooled, causal))
        return kept + last.ls_2(self._mlp(last, w, last.ln_2(kept)))

    @staticmethod
    def _mlp(block: Any, w: _Weights, h: Any) -> Any:
        return _linear(block.mlp.gelu(_linear(h, w.fc, w.fc_bias)), w.proj, w.proj_bias)

    @staticmethod
    def _attend(block: Any, w: _Weights, h: Any, causal: bool) -> Any:
        import torch.nn.functional as F

        batch, length, width = h.shape
        heads = block.attn.num_heads
        qkv = _linear(h, w.qkv, w.qkv_bias).view(batch, length, 3, heads, -1)
        q, k, v = (part.transpose(1, 2) for part in qkv.unbind(2))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        return _linear(out.transpose(1, 2).reshape(batch, length, width), w.out, w.out_bias)

    @staticmethod
    def _attend_at(block: Any, w: _Weights, h: Any, pooled: Any, causal: bool) -> Any:
        """Attention output at one query position per row (all positions give keys/values;
        with ``causal`` only those up to the query's own)."""
        import torch
        import torch.nn.functional as F

        batch, length, width = h.shape
        heads = block.attn.num_heads
        query_in = h[torch.arange(batch, device=h.device), pooled]
        q = F.linear(query_in, w.qkv[:width], None if w.qkv_bias is None else w.qkv_bias[:width])
        kv = F.linear(h, w.qkv[width:], None if w.qkv_bias is None else w.qkv_bias[width:])
        k, v = (part.transpose(1, 2) for part in kv.view(batch, length, 2, heads, -1).unbind(2))
        mask = None
        if causal:
            positions = torch.arange(length, device=h.device)
            mask = (positions[None, :] <= pooled[:, None])[:, None, None, :]
        out = F.scaled_dot_product_attention(q.view(batch, heads, 1, -1), k, v, attn_mask=mask)
        return F.linear(out.reshape(batch, width), w.out, w.out_bias)
