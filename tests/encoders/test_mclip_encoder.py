"""``mclip:`` on a tiny M-CLIP text tower saved in the M-CLIP repo layout."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PIL import Image

import xtd10.encoders as encoders
from tests.installed import need
from xtd10.encoders import EncoderError

torch = need("torch")
need("transformers")


def _reference_text(mclip_dir, texts):
    """M-CLIP's forward written out with numpy: mean of the token vectors over the mask,
    then the linear layer, straight from the saved state dict."""
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    config = json.loads((mclip_dir / "config.json").read_text())
    state = torch.load(mclip_dir / "pytorch_model.bin", weights_only=True)
    model = AutoModel.from_config(AutoConfig.from_pretrained(config["modelBase"])).eval()
    model.load_state_dict({k[12:]: v for k, v in state.items() if k.startswith("transformer.")})
    weight = state["LinearTransformation.weight"].numpy()
    bias = state["LinearTransformation.bias"].numpy()
    tokenizer = AutoTokenizer.from_pretrained(mclip_dir)
    rows = []
    with torch.no_grad():
        for text in texts:
            hidden = model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0].numpy()
            rows.append(hidden.mean(axis=0) @ weight.T + bias)
    return np.stack(rows)


def test_mclip_text_tower_matches_its_architecture(tiny_models):
    spec = f"mclip:{tiny_models['mclip']}+{tiny_models['clip']}"
    encoder = encoders.get(spec, batch_size=2)
    texts = ["un gato rojo", "a dog sits on the mat", "perro"]
    ours = encoder.encode_text(texts, language="es")
    assert ours.shape == (3, 24) and ours.dtype == np.float32
    np.testing.assert_allclose(ours, _reference_text(tiny_models["mclip"], texts), atol=1e-5)
    assert encoder.meta.modalities == ("text", "image")
    assert encoder.meta.extra["model_base"] == str(tiny_models["xlmr"])


def test_mclip_image_side_is_the_clip_image_tower(tiny_models):
    encoder = encoders.get(f"mclip:{tiny_models['mclip']}+{tiny_models['clip']}")
    clip = encoders.get(f"hf:{tiny_models['clip']}")
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (40, 50, 3), dtype=np.uint8))
    np.testing.assert_allclose(encoder.encode_image([image]), clip.encode_image([image]), atol=1e-6)


def test_mclip_without_an_image_tower_is_text_only(tiny_models):
    encoder = encoders.get(f"mclip:{tiny_models['mclip']}")
    assert not encoders.supports_images(encoder)
    assert encoder.encode_text(["gato"], language="es").shape == (1, 24)


def test_mismatched_pair_is_an_error(tiny_models):
    with pytest.raises(EncoderError, match="24-d embeddings but the image tower .* gives 16-d"):
        encoders.get(f"mclip:{tiny_models['mclip']}+{tiny_models['clip16']}")


def test_not_an_mclip_repo(tiny_models, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(tiny_models["mclip"], broken)
    config = json.loads((broken / "config.json").read_text())
    del config["numDims"]
    (broken / "config.json").write_text(json.dumps(config))
    with pytest.raises(EncoderError, match="lacks M-CLIP field\\(s\\) numDims"):
        encoders.get(f"mclip:{broken}")
    with pytest.raises(EncoderError, match="config.json"):
        encoders.get(f"mclip:{tmp_path / 'empty'}")
    with pytest.raises(EncoderError, match="HF_HUB_OFFLINE is set and the model is not in the local cache"):
        encoders.get("mclip:M-CLIP/XLM-Roberta-Large-Vit-B-32")  # offline: a clear error, no traceback
    with pytest.raises(EncoderError, match="expected mclip:<text model>"):
        encoders.get("mclip:abc+")
