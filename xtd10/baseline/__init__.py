"""The reference baseline: frozen cross-lingual text encoder + frozen image backbone,
trainable projection heads, trained on English only (see docs/baseline.md).

Modules: ``losses`` (m3l, patr, infonce), ``model`` (heads, checkpoints), ``features``
(float16 memmap cache), ``pairs`` (COCO / JSONL / CSV), ``pipeline``, ``trainer``,
``config``, ``run`` (``xtd10 baseline train``), ``encoder`` (``baseline:PATH``),
``tagging``, ``scenes`` and ``ablation`` (the offline experiment).

Nothing is imported here, so ``import xtd10.baseline.encoder`` (which only registers the
adapter) stays cheap and does not import torch.
"""
