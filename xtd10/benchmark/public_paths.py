"""What a result file may record about where it came from: the command line, the encoder's
spec and name and the data's source, each without the paths of the machine it ran on.

The benchmark applies these when it records a run (:func:`xtd10.benchmark.runner.evaluate`),
so a result never holds a home folder, whatever writes it later. They know the toolkit's
command-line options that take paths, which is why they live here and not in the schema.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from xtd10.schema import Result

PATH_PLACEHOLDER = "<path>"
_PATH_OPTIONS = ("--source", "--images", "--out", "--config", "--results", "--reported", "--settings", "--report",
                 "-o")
_KEYWORDS = {"download", "true", "false", "all"}


def _looks_like_local_path(text: str) -> bool:
    return text.startswith(("/", "~", "./", "../", "\\\\")) or bool(re.match(r"^[A-Za-z]:[\\/]", text))


def public_command(command: str) -> str:
    """The command line without machine paths: values of path options and absolute path
    arguments become ``<path>`` (a ``prefix:/abs/dir`` spec keeps its prefix)."""
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    out: list[str] = []
    for number, word in enumerate(words):
        flag, eq, value = word.partition("=")
        if word.startswith(("http://", "https://")):
            out.append(word)
        elif eq and flag in _PATH_OPTIONS and not _is_public_value(value):
            out.append(f"{flag}={PATH_PLACEHOLDER}")
        elif (number and words[number - 1] in _PATH_OPTIONS and not _is_public_value(word)) \
                or _looks_like_local_path(word):
            out.append(PATH_PLACEHOLDER)
        elif re.match(r"^[a-z_]+:", word) and _looks_like_local_path(word.partition(":")[2]):
            out.append(word.partition(":")[0] + ":" + PATH_PLACEHOLDER)
        else:
            out.append(word)
    return " ".join(shlex.quote(w) if w != PATH_PLACEHOLDER and not w.endswith(PATH_PLACEHOLDER) else w
                    for w in out)


def _names_local_file(text: str) -> bool:
    """Whether a spec's argument names something on this machine: a path spelled as one, a
    ``.py`` file, or a relative path that exists here."""
    if _looks_like_local_path(text) or text.endswith(".py"):
        return True
    try:
        return ("/" in text or os.sep in text) and Path(text).expanduser().exists()
    except OSError:
        return False


def public_spec(spec: str) -> str:
    """An encoder spec without the machine's paths: ``hf:/home/me/models/ModelA`` ->
    ``hf:<path>/ModelA``; ``py:./src/enc.py:build`` and ``py:/abs/src/enc.py:build`` ->
    ``py:<path>/enc.py:build`` (one encoder, one spelling). Hub ids and built-in names are
    kept as they are."""
    prefix, colon, rest = spec.partition(":")
    if not colon or not re.fullmatch(r"[a-z_]+", prefix) or rest.startswith(PATH_PLACEHOLDER):
        return spec
    factory = ""
    if prefix == "py" and rest.count(":") and not re.match(r"^[A-Za-z]:[\\/]", rest[rest.rfind(":") - 1:]):
        head, _, factory = rest.rpartition(":")
        if head:
            rest, factory = head, ":" + factory
        else:
            factory = ""
    model, at, weights = rest.partition("@")  # open_clip:ARCH@FILE
    if at and _names_local_file(weights):
        return f"{prefix}:{model}@{PATH_PLACEHOLDER}/{_last_part(weights)}"
    if not _names_local_file(rest):
        return spec
    return f"{prefix}:{PATH_PLACEHOLDER}/{_last_part(rest) or 'local'}{factory}"


def public_name(name: str) -> str:
    """A display name that is a local path becomes its last part (the folder or file name)."""
    if _looks_like_local_path(name) or ("/" in name and Path(name).expanduser().exists()):
        return _last_part(name) or name
    return name


def _last_part(path: str) -> str:
    """The folder or file name at the end of a path, in POSIX or Windows spelling."""
    return re.split(r"[\\/]", path.rstrip("/\\"))[-1]


def _is_public_value(value: str) -> bool:
    return value.lower() in _KEYWORDS or value.startswith(("http://", "https://"))


def public_source(source: Mapping[str, Any]) -> dict[str, Any]:
    """A source description without a local location: the kind always, the location only
    when it is a URL or a module name (not where files live on this machine)."""
    out = {k: v for k, v in source.items() if k != "location"}
    location = source.get("location")
    if isinstance(location, str) and (location.startswith(("http://", "https://"))
                                      or (source.get("kind") == "embedded" and not _looks_like_local_path(location))):
        out["location"] = location
    return out


def public_result(result: Result) -> Result:
    """``result`` with its command and data source as a result file may record them."""
    dataset = dict(result.dataset)
    if isinstance(dataset.get("source"), Mapping):
        dataset["source"] = public_source(dataset["source"])
    return dataclasses.replace(result, command=public_command(result.command), dataset=dataset)
