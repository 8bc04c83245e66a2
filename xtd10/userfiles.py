"""Reading the files users write or hand over (training configs, model lists, column
mappings, language settings, reported scores, result files, vocabularies, pair lists)
with one kind of error for every way they go wrong.

YAML anchors and aliases (``&name`` / ``*name``) are refused in every such file: a few
hundred bytes of nested aliases expand to billions of values (an "alias bomb") once
anything walks the result, and no file the toolkit documents needs them. Nesting too deep
for the parser is an error too, never a RecursionError.

Each caller has its own error class, so that the CLI and tests can tell a bad config from
a bad mapping, but the message always starts with the file and, for syntax errors, the
line and column: a user editing a file by hand needs to know where, not a traceback. Text
is UTF-8; a byte-order mark (as Windows editors write) is dropped rather than becoming
part of the first key, tag or column name.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import yaml


def read_yaml(path: str | os.PathLike, error: type[Exception], what: str = "YAML file") -> Any:
    """The parsed content of ``path``; every failure is ``error`` naming the file.

    ``what`` names the file's role in the not-found message ("training config", ...).
    """
    return parse_yaml(read_text(path, error, what), str(path), error)


def read_text(path: str | os.PathLike, error: type[Exception], what: str = "file") -> str:
    """The UTF-8 text of ``path`` without a leading byte-order mark; failures are ``error``."""
    path = Path(path)
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise error(f"{path}: no such {what}") from None
    except UnicodeDecodeError as err:
        bad = err.object[err.start:err.start + 1]
        raise error(f"{path}: not UTF-8 text (byte {err.start} is {bad!r}); save the file as UTF-8") from None
    except OSError as err:
        raise error(f"{path}: cannot read the {what}: {err.strerror or err}") from None


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader that stops at the first anchor or alias, before any expansion."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(
                None, None, "anchors and aliases (&name, *name) are not accepted; write the values out",
                event.start_mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str, where: str, error: type[Exception]) -> Any:
    """``text`` parsed; a syntax error is ``error`` with the line and column of the fault, and
    an anchor or alias is refused the same way (see the module docstring)."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    except RecursionError:
        raise error(f"{where}: invalid YAML: nested too deeply to read") from None
    except ValueError as err:  # Python refuses to convert integers of over 4300 digits
        raise error(f"{where}: invalid YAML: {_too_long_number(err)}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        position = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise error(f"{where}: invalid YAML: {problem}{position}") from None


def read_json(path: str | os.PathLike, error: type[Exception], what: str = "JSON file") -> Any:
    """The parsed JSON of ``path``: UTF-8 with or without a byte-order mark; a syntax error
    names the line and column, and a document nested too deeply for the parser (a hostile
    or corrupted file) is ``error`` too, never a RecursionError traceback."""
    return parse_json(read_text(path, error, what), str(path), error)


def parse_json(text: str, where: str, error: type[Exception]) -> Any:
    """``text`` parsed as JSON; every failure is ``error`` naming ``where``."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise error(f"{where}:{err.lineno}: invalid JSON: {err.msg} (line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise error(f"{where}: invalid JSON: nested too deeply to read") from None
    except ValueError as err:  # Python refuses to convert integers of over 4300 digits
        raise error(f"{where}: invalid JSON: {_too_long_number(err)}") from None


def _too_long_number(err: ValueError) -> str:
    digits = re.search(r"has (\d+) digits", str(err))
    return f"a number of {digits.group(1)} digits" if digits else str(err).split(";")[0]


def brief(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages about values read from
    a user's file: a message names the faulty value, it never echoes a whole document.
    Containers are summarised by type and length before any repr is built."""
    if isinstance(value, (dict, list, tuple, set)):
        return f"a {type(value).__name__} of {len(value)} item{'s' * (len(value) != 1)}"
    if isinstance(value, int) and value.bit_length() > 4 * limit:  # repr may refuse (over 4300 digits)
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value) if not isinstance(value, str) else repr(value[:limit + 1])
    return text if len(text) <= limit else text[:limit - 3] + "..."
