"""Tiny randomly initialised models built and saved locally, so that the real loading code
of the Hub adapters (``hf:``, ``mclip:``, ``st:``) runs with no network."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = ["a", "cat", "dog", "sits", "on", "the", "mat", "red", "bus", "photo", "of", "un", "gato", "perro", "rojo"]


def clip_tokenizer():
    """A genuine CLIP byte-level BPE tokenizer over a tiny vocabulary and merge list."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTokenizer

    chars = sorted(ByteLevel.alphabet())
    vocab: dict[str, int] = {}
    for char in chars:
        vocab[char] = len(vocab)
    for char in chars:
        vocab[char + "</w>"] = len(vocab)
    merges = [("c", "a"), ("ca", "t</w>"), ("d", "o"), ("do", "g</w>"), ("m", "a"), ("ma", "t</w>")]
    for left, right in merges:
        vocab[left + right] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return CLIPTokenizer(vocab=vocab, merges=merges)


def clip_image_processor(size: int = 32):
    try:
        from transformers import CLIPImageProcessorPil as Processor  # transformers 5 without torchvision
    except ImportError:  # pragma: no cover - transformers 4
        from transformers import CLIPImageProcessor as Processor
    return Processor(size={"shortest_edge": size}, crop_size={"height": size, "width": size})


def save_tiny_clip(directory: Path, *, projection_dim: int = 24, seed: int = 0) -> Path:
    """A 2-layer CLIP (text and vision), its processor, saved as ``hf:<directory>`` expects."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor

    tokenizer = clip_tokenizer()
    eos = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    bos = tokenizer.convert_tokens_to_ids("<|startoftext|>")
    config = CLIPConfig(
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
            "num_attention_heads": 4, "max_position_embeddings": 16, "bos_token_id": bos, "eos_token_id": eos,
            "pad_token_id": eos,
        },
        vision_config={
            "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4,
            "image_size": 32, "patch_size": 8,
        },
        projection_dim=projection_dim,
    )
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(directory)
    CLIPProcessor(image_processor=clip_image_processor(), tokenizer=tokenizer).save_pretrained(directory)
    return directory


def word_tokenizer(model_max_length: int = 32, model_input_names: list[str] | None = None):
    """A whitespace word-level fast tokenizer with XLM-R-style special tokens."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {token: i for i, token in enumerate(specials + WORDS)}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    backend.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
        cls_token="<s>", sep_token="</s>", model_max_length=model_max_length,
        model_input_names=model_input_names or ["input_ids", "attention_mask"],
    )


def save_tiny_xlmr(directory: Path, *, seed: int = 1) -> Path:
    """A 2-layer XLM-RoBERTa with the word tokenizer (a text-only ``hf:`` model)."""
    import torch
    from transformers import XLMRobertaConfig, XLMRobertaModel

    tokenizer = word_tokenizer()
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer), hidden_size=32, intermediate_size=37, num_hidden_layers=2,
        num_attention_heads=4, max_position_embeddings=40, pad_token_id=1, bos_token_id=0, eos_token_id=2,
    )
    torch.manual_seed(seed)
    XLMRobertaModel(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def save_tiny_mclip(directory: Path, base_directory: Path, *, num_dims: int = 24, seed: int = 2) -> Path:
    """An M-CLIP text tower in the layout of the M-CLIP Hub repos: ``config.json`` naming the
    transformer base (here a local XLM-R dir) and the dimensions, one state dict with
    ``transformer.*`` and ``LinearTransformation.*`` weights, and the tokenizer."""
    import torch
    from transformers import AutoModel

    torch.manual_seed(seed)
    transformer = AutoModel.from_pretrained(base_directory)
    hidden = transformer.config.hidden_size
    linear = torch.nn.Linear(hidden, num_dims)
    state = {f"transformer.{k}": v for k, v in transformer.state_dict().items()}
    state.update({f"LinearTransformation.{k}": v for k, v in linear.state_dict().items()})
    directory.mkdir(parents=True, exist_ok=True)
    torch.save(state, directory / "pytorch_model.bin")
    config = {
        "architectures": ["MultilingualCLIP"], "model_type": "M-CLIP", "modelBase": str(base_directory),
        "transformerDimensions": hidden, "numDims": num_dims,
    }
    (directory / "config.json").write_text(json.dumps(config))
    word_tokenizer().save_pretrained(directory)
    return directory


def save_tiny_st_models(root: Path, clip_dir: Path, xlmr_dir: Path) -> dict[str, Path]:
    """sentence-transformers folders: a CLIP model (text and images) and a multilingual text
    model (XLM-R, mean pooling, a Dense layer into the CLIP space), as the multilingual CLIP
    models of sentence-transformers are built."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:
        from sentence_transformers.sentence_transformer import modules as models
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers import models

    clip = SentenceTransformer(modules=[models.CLIPModel(str(clip_dir))], device="cpu")
    transformer = models.Transformer(str(xlmr_dir))
    width = (getattr(transformer, "get_embedding_dimension", None) or transformer.get_word_embedding_dimension)()
    pooling = models.Pooling(width, "mean")
    torch.manual_seed(3)
    dense = models.Dense(width, 24)
    text = SentenceTransformer(modules=[transformer, pooling, dense], device="cpu")
    clip.save(str(root / "st-clip"))
    text.save(str(root / "st-text"))
    return {"st-clip": root / "st-clip", "st-text": root / "st-text"}


def save_tiny_siglip(directory: Path, *, seed: int = 4) -> Path:
    """A 2-layer SigLIP. Like the real SigLIP tokenizer, its tokenizer returns input ids only
    (SigLIP was trained on fixed-length padded texts, without an attention mask)."""
    import torch
    from transformers import SiglipConfig, SiglipModel, SiglipProcessor

    try:
        from transformers import SiglipImageProcessorPil as ImageProcessor
    except ImportError:  # pragma: no cover - transformers 4
        from transformers import SiglipImageProcessor as ImageProcessor
    tokenizer = word_tokenizer(model_max_length=12, model_input_names=["input_ids"])
    config = SiglipConfig(
        text_config={
            "vocab_size": len(tokenizer), "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
            "num_attention_heads": 4, "max_position_embeddings": 12, "pad_token_id": 1, "bos_token_id": 0,
            "eos_token_id": 2,
        },
        vision_config={
            "hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2, "num_attention_heads": 4,
            "image_size": 32, "patch_size": 8,
        },
    )
    torch.manual_seed(seed)
    SiglipModel(config).save_pretrained(directory)
    processor = SiglipProcessor(image_processor=ImageProcessor(size={"height": 32, "width": 32}), tokenizer=tokenizer)
    processor.save_pretrained(directory)
    return directory
