"""English caption/image pairs for training: COCO captions 2014 or a JSONL/CSV file.

By default the 1000 XTD10 test images are dropped from COCO (800 of them are in
train2014), so a model trained here is scored leak-free on XTD10.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from xtd10.baseline.errors import TrainingDataError
from xtd10.userfiles import read_text


@dataclass(frozen=True)
class CaptionPair:
    image_path: Path
    caption: str
    image_key: str  # groups captions of the same image (COCO id or the path)


def xtd10_coco_ids(source=None) -> set[int]:
    """COCO image ids of the 1000 XTD10 test images (from the pinned image list)."""
    from xtd10.data import read_images, resolve_source

    return {entry.image_id for entry in read_images(resolve_source(source))}


def read_coco_captions(annotations: str | Path, images_dir: str | Path,
                       exclude_ids: Iterable[int] = ()) -> list[CaptionPair]:
    """Pairs from a COCO ``captions_*.json``; ``images_dir`` holds its ``file_name``s."""
    annotations, images_dir = Path(annotations), Path(images_dir)
    try:
        data = json.loads(read_text(annotations, TrainingDataError, "COCO annotation file"))
    except json.JSONDecodeError as err:
        raise TrainingDataError(f"{annotations}: invalid JSON ({err})") from None
    except RecursionError:
        raise TrainingDataError(f"{annotations}: invalid JSON: nested too deeply to read") from None
    if not isinstance(data, dict) or "images" not in data or "annotations" not in data:
        raise TrainingDataError(f"{annotations}: not a COCO captions file (needs 'images' and 'annotations')")
    files: dict[int, str] = {}
    for k, image in enumerate(data["images"]):
        try:
            files[int(image["id"])] = str(image["file_name"])
        except (KeyError, TypeError, ValueError):
            raise TrainingDataError(f"{annotations}: images[{k}] needs 'id' and 'file_name'") from None
    excluded = set(exclude_ids)
    pairs = []
    for k, note in enumerate(data["annotations"]):
        try:
            image_id, caption = int(note["image_id"]), str(note["caption"]).strip()
        except (KeyError, TypeError, ValueError):
            raise TrainingDataError(f"{annotations}: annotations[{k}] needs 'image_id' and 'caption'") from None
        if image_id not in files:
            raise TrainingDataError(f"{annotations}: annotations[{k}] refers to unknown image_id {image_id}")
        if image_id in excluded or not caption:
            continue
        pairs.append(CaptionPair(images_dir / files[image_id], caption, str(image_id)))
    if not pairs:
        raise TrainingDataError(f"{annotations}: no caption pairs left after exclusions")
    return pairs


def _field(row: dict, name: str, path: Path, line: int) -> str:
    value = row.get(name)
    if not isinstance(value, str) or not value.strip():
        raise TrainingDataError(f"{path}:{line}: field {name!r} is missing or empty")
    return value


def read_pair_file(path: str | Path) -> list[CaptionPair]:
    """Pairs from JSONL (``{"image": ..., "caption": ...}`` per line) or CSV (columns
    ``image,caption``); relative image paths are relative to the file's folder."""
    path = Path(path)
    content = read_text(path, TrainingDataError, "pair file")
    rows: list[tuple[int, dict]] = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(content, newline=""))
        missing = {"image", "caption"} - set(reader.fieldnames or [])
        if missing:
            raise TrainingDataError(f"{path}: CSV header lacks column(s) {', '.join(sorted(missing))}")
        rows = [(reader.line_num, row) for row in reader]  # line_num: where the record ends
    else:
        for line, text in enumerate(content.splitlines(), start=1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except json.JSONDecodeError as err:
                raise TrainingDataError(f"{path}:{line}: invalid JSON ({err.msg})") from None
            except RecursionError:
                raise TrainingDataError(f"{path}:{line}: invalid JSON: nested too deeply to read") from None
            if not isinstance(row, dict):
                raise TrainingDataError(f"{path}:{line}: expected an object with 'image' and 'caption'")
            rows.append((line, row))
    pairs = []
    for line, row in rows:
        image, caption = _field(row, "image", path, line), _field(row, "caption", path, line)
        image_path = Path(image)
        if not image_path.is_absolute():
            image_path = path.parent / image_path
        pairs.append(CaptionPair(image_path, caption.strip(), str(image_path)))
    if not pairs:
        raise TrainingDataError(f"{path}: no pairs")
    return pairs
