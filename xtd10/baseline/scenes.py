"""Generated scenes: drawn shapes with English training captions and the same scenes
described in all eleven XTD10 languages, for an offline zero-shot experiment.

A scene is two objects, one on the left and one on the right; each object has a colour
(red, green, blue, yellow), a shape (circle, square, triangle) and a size (small,
large). Positions, exact sizes, hues and the background are jittered when drawing, so
two renderings of one description are different images.

The phrases were written per language with their grammar: adjective agreement with the
noun's gender (German strong endings after "ein", Polish neuter "koło"), the usual
adjective order (Spanish colour-size after the noun, Turkish "bir" before the noun,
Chinese "的"), and the Korean subject particle (every shape noun ends in a consonant,
so it is always 이).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

COLOURS = ("red", "green", "blue", "yellow")
SHAPES = ("circle", "square", "triangle")
SIZES = ("small", "large")
RGB = {"red": (210, 40, 40), "green": (40, 160, 60), "blue": (40, 70, 210), "yellow": (230, 200, 30)}
IMAGE_SIZE = 224


@dataclass(frozen=True)
class SceneObject:
    colour: str
    shape: str
    size: str


@dataclass(frozen=True)
class Scene:
    left: SceneObject
    right: SceneObject

    def key(self) -> tuple[str, ...]:
        return (self.left.colour, self.left.shape, self.left.size,
                self.right.colour, self.right.shape, self.right.size)


def all_objects() -> list[SceneObject]:
    return [SceneObject(c, s, z) for c, s, z in itertools.product(COLOURS, SHAPES, SIZES)]


def all_scenes() -> list[Scene]:
    """Every distinct description: 24 objects x 24 objects = 576 scenes."""
    objects = all_objects()
    return [Scene(a, b) for a, b in itertools.product(objects, objects)]


# --- phrases -----------------------------------------------------------------------------

# German: gender of each noun; adjective stems take -er (masculine) / -es (neuter) after "ein".
_DE_NOUN = {"circle": ("Kreis", "m"), "square": ("Quadrat", "n"), "triangle": ("Dreieck", "n")}
_DE_COLOUR = {"red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb"}
_DE_SIZE = {"small": "klein", "large": "groß"}
# Polish: "koło" is neuter, the other nouns masculine.
_PL_NOUN = {"circle": ("koło", "n"), "square": ("kwadrat", "m"), "triangle": ("trójkąt", "m")}
_PL_COLOUR = {"red": ("czerwony", "czerwone"), "green": ("zielony", "zielone"),
              "blue": ("niebieski", "niebieskie"), "yellow": ("żółty", "żółte")}
_PL_SIZE = {"small": ("mały", "małe"), "large": ("duży", "duże")}

# Languages whose three shape nouns share one gender (all masculine) need no agreement table.
_SIMPLE = {
    "es": ({"circle": "círculo", "square": "cuadrado", "triangle": "triángulo"},
           {"red": "rojo", "green": "verde", "blue": "azul", "yellow": "amarillo"},
           {"small": "pequeño", "large": "grande"}),
    "fr": ({"circle": "cercle", "square": "carré", "triangle": "triangle"},
           {"red": "rouge", "green": "vert", "blue": "bleu", "yellow": "jaune"},
           {"small": "petit", "large": "grand"}),
    "it": ({"circle": "cerchio", "square": "quadrato", "triangle": "triangolo"},
           {"red": "rosso", "green": "verde", "blue": "blu", "yellow": "giallo"},
           {"small": "piccolo", "large": "grande"}),
    "ru": ({"circle": "круг", "square": "квадрат", "triangle": "треугольник"},
           {"red": "красный", "green": "зелёный", "blue": "синий", "yellow": "жёлтый"},
           {"small": "маленький", "large": "большой"}),
    "tr": ({"circle": "daire", "square": "kare", "triangle": "üçgen"},
           {"red": "kırmızı", "green": "yeşil", "blue": "mavi", "yellow": "sarı"},
           {"small": "küçük", "large": "büyük"}),
    "ja": ({"circle": "円", "square": "正方形", "triangle": "三角形"},
           {"red": "赤い", "green": "緑の", "blue": "青い", "yellow": "黄色い"},
           {"small": "小さな", "large": "大きな"}),
    "ko": ({"circle": "원", "square": "정사각형", "triangle": "삼각형"},
           {"red": "빨간", "green": "초록색", "blue": "파란", "yellow": "노란"},
           {"small": "작은", "large": "큰"}),
    "zh": ({"circle": "圆形", "square": "正方形", "triangle": "三角形"},
           {"red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色"},
           {"small": "小", "large": "大"}),
}


def describe_object(obj: SceneObject, language: str) -> str:
    """The object as an indefinite noun phrase in ``language``."""
    if language == "en":
        return f"a {obj.size} {obj.colour} {obj.shape}"
    if language == "de":
        noun, gender = _DE_NOUN[obj.shape]
        ending = "er" if gender == "m" else "es"
        return f"ein {_DE_SIZE[obj.size]}{ending} {_DE_COLOUR[obj.colour]}{ending} {noun}"
    if language == "pl":
        noun, gender = _PL_NOUN[obj.shape]
        form = 0 if gender == "m" else 1
        return f"{_PL_SIZE[obj.size][form]} {_PL_COLOUR[obj.colour][form]} {noun}"
    nouns, colours, sizes = _SIMPLE[language]
    noun, colour, size = nouns[obj.shape], colours[obj.colour], sizes[obj.size]
    if language == "es":
        return f"un {noun} {colour} {size}"
    if language in ("fr", "it"):
        return f"un {size} {noun} {colour}"
    if language == "ru":
        return f"{size} {colour} {noun}"
    if language == "tr":
        return f"{size} {colour} bir {noun}"
    if language == "ko":
        return f"{size} {colour} {noun}"
    if language == "ja":
        return f"{size}{colour}{noun}"
    if language == "zh":
        return f"一个{colour}的{size}{noun}"
    raise KeyError(language)


_SCENE_TEMPLATES = {
    "en": "{left} on the left and {right} on the right",
    "de": "links {left} und rechts {right}",
    "es": "{left} a la izquierda y {right} a la derecha",
    "fr": "{left} à gauche et {right} à droite",
    "it": "{left} a sinistra e {right} a destra",
    "ja": "左に{left}、右に{right}があります",
    "ko": "왼쪽에는 {left}이 있고 오른쪽에는 {right}이 있다",
    "pl": "{left} po lewej i {right} po prawej",
    "ru": "{left} слева и {right} справа",
    "tr": "solda {left}, sağda {right}",
    "zh": "左边是{left}，右边是{right}",
}

# Extra English wordings used for training only (the test caption is always template 0).
ENGLISH_TRAIN_TEMPLATES = (
    _SCENE_TEMPLATES["en"],
    "on the left there is {left} and on the right {right}",
    "{right} on the right and {left} on the left",
)


def describe(scene: Scene, language: str, template: int = 0) -> str:
    """The scene's caption in ``language`` (``template`` selects an English paraphrase)."""
    if language not in _SCENE_TEMPLATES:
        raise KeyError(f"no scene templates for language {language!r}")
    pattern = ENGLISH_TRAIN_TEMPLATES[template] if language == "en" else _SCENE_TEMPLATES[language]
    return pattern.format(left=describe_object(scene.left, language), right=describe_object(scene.right, language))


# --- drawing ------------------------------------------------------------------------------

def _jitter_colour(rgb: tuple[int, int, int], rng: np.random.Generator) -> tuple[int, ...]:
    return tuple(int(np.clip(c + rng.integers(-25, 26), 0, 255)) for c in rgb)


def _draw_object(draw: ImageDraw.ImageDraw, obj: SceneObject, centre_x: float, rng: np.random.Generator) -> None:
    radius = rng.uniform(14, 22) if obj.size == "small" else rng.uniform(36, 48)
    cx = centre_x + rng.uniform(-8, 8)
    cy = IMAGE_SIZE / 2 + rng.uniform(-40, 40) * (0.5 if obj.size == "large" else 1.0)
    fill = _jitter_colour(RGB[obj.colour], rng)
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if obj.shape == "circle":
        draw.ellipse(box, fill=fill)
    elif obj.shape == "square":
        draw.rectangle(box, fill=fill)
    else:
        draw.polygon([(cx, cy - radius), (cx - radius, cy + radius * 0.8), (cx + radius, cy + radius * 0.8)],
                     fill=fill)


def render(scene: Scene, seed: int) -> Image.Image:
    """One drawing of ``scene``; the same seed always gives the same pixels."""
    rng = np.random.default_rng(seed)
    grey = int(rng.integers(215, 250))
    image = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), (grey, grey, int(np.clip(grey + rng.integers(-10, 10), 0, 255))))
    draw = ImageDraw.Draw(image)
    _draw_object(draw, scene.left, IMAGE_SIZE * 0.25, rng)
    _draw_object(draw, scene.right, IMAGE_SIZE * 0.75, rng)
    return image


@dataclass(frozen=True)
class SceneSplit:
    """Training scenes (English captions, several renderings) and disjoint test scenes."""

    train: list[Scene]
    test: list[Scene]


def split_scenes(n_test: int, seed: int) -> SceneSplit:
    """``n_test`` test descriptions; training uses the other descriptions only, so every
    test scene is an unseen combination (like XTD10 images excluded from COCO)."""
    scenes = all_scenes()
    if not 1 <= n_test < len(scenes):
        raise ValueError(f"n_test must be between 1 and {len(scenes) - 1}")
    order = np.random.default_rng(seed).permutation(len(scenes))
    return SceneSplit(train=[scenes[k] for k in order[n_test:]], test=[scenes[k] for k in order[:n_test]])
