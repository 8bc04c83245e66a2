"""Reading platform exports into one canonical submissions table (parquet).

Every platform names things differently; a *preset* maps each canonical field to the
columns a platform's real export uses, and a user mapping (YAML) overrides it for custom
task designs. Rows are streamed in chunks and written incrementally, so a million-row
export never sits in memory. A bad row is reported with its line number and skipped; the
rest is ingested. A missing column stops the run with the mapping that would fix it.
"""

from __future__ import annotations

import csv
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from xtd10.crowd.charset import check_encoding, detect_encoding, invalid_utf8_lines
from xtd10.crowd.errors import IngestError, MappingError
from xtd10.crowd.images import image_name
from xtd10.crowd.jsonstream import JSONArrayError, iter_json_array
from xtd10.crowd.platforms import PLATFORMS, REGISTRY, get_platform
from xtd10.crowd.settings import canonical_code
from xtd10.files import atomic_open
from xtd10.userfiles import brief, read_yaml

CANONICAL = ("submission_id", "worker_id", "assignment_id", "task_id", "image", "language", "text",
             "english", "work_time_s", "pastes", "timestamp", "status", "platform", "source_line", "raw")
SCHEMA = pa.schema([
    ("submission_id", pa.string()), ("worker_id", pa.string()), ("assignment_id", pa.string()),
    ("task_id", pa.string()), ("image", pa.string()), ("language", pa.string()), ("text", pa.string()),
    ("english", pa.string()), ("work_time_s", pa.float64()), ("pastes", pa.float64()), ("timestamp", pa.string()),
    ("status", pa.string()), ("platform", pa.string()), ("source_line", pa.int64()), ("raw", pa.string()),
])

REQUIRED = ("worker_id", "image", "text")


@dataclass
class IngestReport:
    """What happened: rows written, bad rows with their line numbers, output path."""

    output: Path
    rows: int = 0
    bad_rows: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    encoding: str = ""
    max_errors_kept: int = 1000

    def add_error(self, line: int, message: str) -> None:
        self.bad_rows += 1
        if len(self.errors) < self.max_errors_kept:
            self.errors.append((line, message))


def load_mapping(path: str | os.PathLike | None) -> dict:
    """A user mapping: ``{columns: {canonical: column}, delimiter: ',', language: ..}``."""
    if path is None:
        return {}
    data = read_yaml(path, MappingError, "column mapping") or {}
    if not isinstance(data, dict) or not isinstance(data.get("columns", {}), dict):
        raise MappingError(f"{path}: expected 'columns: {{canonical_field: column_name}}'")
    unknown = set(data.get("columns") or {}) - set(CANONICAL) - {"start", "end"}
    if unknown:
        raise MappingError(f"{path}: unknown canonical fields {sorted(map(str, unknown))}; "
                           f"known: {', '.join(CANONICAL)}")
    for field_name, column in (data.get("columns") or {}).items():
        if not isinstance(column, str) or not column:
            raise MappingError(f"{path}: columns.{field_name} must be a column name (text), got {brief(column)}")
    allowed = {"columns", "delimiter", "text_field", "language"}
    extra = set(map(str, data)) - allowed
    if extra:
        raise MappingError(f"{path}: unknown keys {sorted(extra)}; a mapping has {', '.join(sorted(allowed))}")
    delimiter = data.get("delimiter")
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise MappingError(f"{path}: delimiter must be one character such as ',' ';' or a tab, got {brief(delimiter)}")
    if data.get("text_field") is not None and not isinstance(data["text_field"], str):
        raise MappingError(f"{path}: text_field must be the name of a Label Studio text area, "
                           f"got {brief(data['text_field'])}")
    return data


def resolve_columns(header: list[str], platform: str, mapping: dict, where: str) -> dict[str, str]:
    """Canonical field -> column present in ``header``; a clear error for required ones."""
    preset = REGISTRY[platform].columns
    user = mapping.get("columns", {}) if mapping else {}
    present = set(header)
    out: dict[str, str] = {}
    for name in (*CANONICAL, "start", "end"):
        if name in user:
            if user[name] not in present:
                raise MappingError(f"{where}: mapping says {name} is column {user[name]!r}, which is not in the "
                                   f"header (columns: {', '.join(header[:30])})")
            out[name] = user[name]
            continue
        for candidate in preset.get(name, ()):
            if candidate in present:
                out[name] = candidate
                break
    missing = [name for name in REQUIRED if name not in out]
    if missing:
        hint = "\n".join(f"  {name}: <column>" for name in missing)
        raise MappingError(
            f"{where}: no column for {', '.join(missing)} with the {platform!r} preset "
            f"(it looks for {', '.join(c for n in missing for c in preset.get(n, []))}). "
            f"Columns found: {', '.join(header[:30])}. Pass --mapping map.yaml with:\ncolumns:\n{hint}")
    return out


DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def check_delimiter(header: list[str], delimiter: str, platform: str, where: str) -> None:
    """A header read as one column that contains another separator means the file was
    split on the wrong character; say so, rather than listing that one long column name."""
    if len(header) != 1:
        return
    found = [d for d in DELIMITER_NAMES if d != delimiter and d in header[0]]
    if not found:
        return
    actual = max(found, key=header[0].count)
    names = [n.strip().strip('"') for n in header[0].split(actual)]
    guess = guess_platform(names)
    fix = (f"try --platform {guess}, or " if guess and guess != platform else "try ")
    matches = f" (the columns match the {guess} preset)" if guess else ""
    raise IngestError(
        f"{where}: split on {DELIMITER_NAMES.get(delimiter, repr(delimiter))}s, the header is one column that "
        f"contains {DELIMITER_NAMES[actual]}s, so the delimiter looks wrong for --platform {platform}{matches}: "
        f"{fix}--mapping map.yaml with delimiter: {json.dumps(actual)}")


def guess_platform(columns: list[str]) -> str | None:
    """The platform whose export has these column names, if one clearly does."""
    for platform, record in REGISTRY.items():
        marks = record.signature
        if marks and any(c == m or (m.endswith(":") and c.startswith(m)) for c in columns for m in marks):
            return platform
    return None


def _parse_time(text: str) -> datetime | None:
    text = (text or "").strip()
    if not text:
        return None
    # MTurk writes "Wed Nov 25 10:00:00 PST 2026"; drop the zone name, which strptime can't read.
    parts = text.split()
    if len(parts) == 6 and parts[4].isalpha():
        try:
            return datetime.strptime(" ".join(parts[:4] + parts[5:]), "%a %b %d %H:%M:%S %Y")
        except ValueError:
            return None
    for candidate in (text.replace("Z", "+00:00"), text.replace(" ", "T", 1)):
        try:
            return datetime.fromisoformat(candidate)
        except ValueError:
            continue
    for fmt in ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _work_time(row: dict, cols: dict[str, str]) -> float | None:
    if "work_time_s" in cols:
        value = (row.get(cols["work_time_s"]) or "").strip()
        if value:
            seconds = float(value)  # ValueError -> a bad row
            if seconds < 0:
                raise ValueError(f"negative work time {value!r}")
            return seconds
    if "start" in cols and "end" in cols:
        start, end = _required_time(row, cols["start"]), _required_time(row, cols["end"])
        if start and end and (start.tzinfo is None) == (end.tzinfo is None):
            return max((end - start).total_seconds(), 0.0)
    return None


def _count(text: str) -> float | None:
    """A counter from the task page's hidden fields (paste events); empty or unreadable is
    None: the page may be another one, and a missing count only means no evidence."""
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _required_time(row: dict, column: str) -> datetime | None:
    """The time in ``column``; empty is None (not recorded), anything unreadable raises
    ValueError, so the row is reported rather than given a silent NaN work time."""
    text = (row.get(column) or "").strip()
    stamp = _parse_time(text)
    if text and stamp is None:
        raise ValueError(f"unreadable time {text[:40]!r} in column {column!r}")
    return stamp


def _delimited_rows(path: Path, encoding: str, delimiter: str,
                    bad_lines: dict[int, tuple[int, int]] | None = None) -> Iterator[tuple[int, dict]]:
    """Rows of a delimited export. ``bad_lines`` (line -> (offset, byte) of undecodable
    UTF-8) makes those rows reported errors rather than decoding failures of the file."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    errors = "surrogateescape" if bad_lines else "strict"
    with open(path, encoding=encoding, newline="", errors=errors) as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise IngestError(f"{path}: the file is empty") from None
        header = [h.strip() for h in header]
        if bad_lines and any(line <= reader.line_num for line in bad_lines):
            offset, byte = bad_lines[min(bad_lines)]
            raise IngestError(f"{path}:{min(bad_lines)}: the header is not valid UTF-8 (byte 0x{byte:02X} at offset "
                              f"{offset}); pass --encoding to name the file's encoding")
        yield 1, {"__header__": header}
        line = reader.line_num
        for values in reader:
            start = line + 1
            line = reader.line_num
            if not values or values == [""]:
                continue
            if bad_lines:
                hit = next((n for n in range(start, line + 1) if n in bad_lines), None)
                if hit is not None:
                    offset, byte = bad_lines[hit]
                    yield hit, {"__error__": f"not valid UTF-8 (byte 0x{byte:02X} at offset {offset}); row skipped, "
                                             "the rest of the file is read as UTF-8"}
                    continue
            if len(values) != len(header):
                yield start, {"__error__": f"{len(values)} fields, the header has {len(header)}"}
                continue
            yield start, dict(zip(header, values, strict=True))


def _labelstudio_rows(path: Path, encoding: str, text_field: str | None) -> Iterator[tuple[int, dict]]:
    """Label Studio JSON export: tasks with annotations; one row per annotation.

    The export is one JSON array, read element by element (``iter_json_array``) in two
    streaming passes: the first learns which ``data.*`` fields exist so the header is known
    before any row, the second yields the rows. A damaged or truncated export keeps every
    task before the fault and reports the fault at its line.
    """
    data_keys: set[str] = set()
    try:
        for _, task in iter_json_array(path, encoding):
            if isinstance(task, dict) and isinstance(task.get("data"), dict):
                data_keys.update(str(k) for k in task["data"])
    except JSONArrayError as err:
        if err.elements_read == 0:
            raise IngestError(f"{path}:{err.line}: not a readable Label Studio JSON export (a list of tasks): "
                              f"{err.message}") from None
    header = ["annotation_id", "completed_by", "task_id", "translation", "lead_time", "created_at",
              "was_cancelled", *sorted(f"data.{k}" for k in data_keys)]
    yield 1, {"__header__": header}
    number = 0
    try:
        for line, task in iter_json_array(path, encoding):
            number += 1
            try:
                rows = list(_labelstudio_task_rows(line, number, task, text_field))
            except RecursionError:  # a value nested just under the reader's limit, turned into text
                rows = [(line, {"__error__": f"task {number} is nested too deeply to read"})]
            yield from rows
    except JSONArrayError as err:
        yield err.line, {"__error__": f"the export is damaged or cut here ({err.message}); "
                                      f"the {err.elements_read} tasks before it were read, none after"}


def _as_list(value: object) -> list:
    """Label Studio stores textarea answers as a list; tolerate a bare string or nothing."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _labelstudio_task_rows(line: int, number: int, task: object, text_field: str | None) -> Iterator[tuple[int, dict]]:
    if not isinstance(task, dict) or not isinstance(task.get("data") or {}, dict) \
            or not isinstance(task.get("annotations") or [], list):
        yield line, {"__error__": f"task {number} is not a Label Studio task (an object with data and annotations)"}
        return
    data = {f"data.{k}": "" if v is None else str(v) for k, v in (task.get("data") or {}).items()}
    for annotation in task.get("annotations") or []:
        if not isinstance(annotation, dict) or not isinstance(annotation.get("result") or [], list):
            yield line, {"__error__": f"task {task.get('id')}: an annotation is not an object with a result list"}
            continue
        texts = [str(value) for result in annotation.get("result") or [] if isinstance(result, dict)
                 and text_field in (None, result.get("from_name")) and isinstance(result.get("value"), dict)
                 for value in _as_list(result["value"].get("text"))]
        who = annotation.get("completed_by")
        if isinstance(who, dict):
            who = who.get("email") or who.get("id")
        if len(texts) > 1:
            yield line, {"__error__": f"task {task.get('id')} annotation {annotation.get('id')}: "
                                      f"{len(texts)} text answers, expected one"}
            continue
        yield line, {"annotation_id": str(annotation.get("id", "")), "completed_by": "" if who is None else str(who),
                     "task_id": str(task.get("id", "")), "translation": "\n".join(texts),
                     "lead_time": "" if annotation.get("lead_time") is None else str(annotation["lead_time"]),
                     "created_at": str(annotation.get("created_at") or ""),
                     "was_cancelled": str(annotation.get("was_cancelled", "")), **data}


def ingest(
    path: str | os.PathLike,
    *,
    platform: str,
    language: str,
    output: str | os.PathLike,
    image_names: list[str] | set[str],
    english: dict[str, str] | None = None,
    mapping: dict | None = None,
    chunk_rows: int = 50_000,
    encoding: str | None = None,
) -> IngestReport:
    """Read ``path`` (a ``platform`` export) and write the canonical parquet ``output``.

    ``image_names``: the XTD10 file names; ``english``: file name -> English caption, used
    when the export does not carry the English source the worker saw. Bad rows are in the
    report's ``errors``, not logged, so that the CLI shows each exactly once. ``encoding``
    names the file's encoding instead of detecting it.
    """
    if platform not in PLATFORMS:
        raise IngestError(f"unknown platform {platform!r}; choose one of {', '.join(PLATFORMS)}")
    record = get_platform(platform)
    language = canonical_code(language)
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    mapping = mapping or {}
    known = frozenset(image_names)
    encoding = check_encoding(path, encoding) if encoding else detect_encoding(path)
    bad_lines = invalid_utf8_lines(path) if encoding == "utf-8" else {}
    if bad_lines and record.reader != "delimited":
        line, (offset, byte) = min(bad_lines.items())
        raise IngestError(f"{path}:{line}: not valid UTF-8 (byte 0x{byte:02X} at offset {offset}); "
                          "pass --encoding to name the file's encoding")
    report = IngestReport(output=Path(output), encoding=encoding)
    delimited = record.reader == "delimited"
    if delimited:
        delimiter = mapping.get("delimiter") or ("\t" if path.suffix.lower() in (".tsv", ".tab")
                                                 else record.delimiter or ",")
        rows = _delimited_rows(path, encoding, delimiter, bad_lines)
    else:
        rows = _labelstudio_rows(path, encoding, mapping.get("text_field"))
    _, first = next(rows)
    if delimited:
        check_delimiter(first["__header__"], delimiter, platform, str(path))
    cols = resolve_columns(first["__header__"], platform, mapping, str(path))
    seen_ids: set[str] = set()
    buffer: list[dict] = []
    with atomic_open(report.output, "wb") as handle, pq.ParquetWriter(handle, SCHEMA) as writer:
        for line, row in rows:
            if "__error__" in row:
                report.add_error(line, row["__error__"])
                continue
            try:
                submission = _canonical(row, cols, platform, language, known, english, line)
            except ValueError as err:
                report.add_error(line, str(err))
                continue
            if submission["submission_id"] in seen_ids:
                report.add_error(line, f"duplicate submission id {submission['submission_id']!r}")
                continue
            seen_ids.add(submission["submission_id"])
            buffer.append(submission)
            if len(buffer) >= chunk_rows:
                writer.write_table(pa.Table.from_pylist(buffer, schema=SCHEMA))
                report.rows += len(buffer)
                buffer.clear()
        if buffer or report.rows == 0:
            writer.write_table(pa.Table.from_pylist(buffer, schema=SCHEMA))
            report.rows += len(buffer)
    return report


def _canonical(row: dict, cols: dict[str, str], platform: str, language: str, known: frozenset[str],
               english: dict[str, str] | None, line: int) -> dict:
    def get(name: str) -> str:
        return row.get(cols[name], "") if name in cols else ""

    worker = get("worker_id").strip()
    if not worker:
        raise ValueError(f"empty worker id (column {cols['worker_id']!r})")
    image = image_name(get("image"), known)
    english_text = get("english") if "english" in cols else None
    if not english_text and english is not None:
        english_text = english.get(image)
    try:
        work_time = _work_time(row, cols)
    except ValueError as err:
        raise ValueError(f"bad work time: {err}") from None
    if work_time is not None and work_time != work_time:
        work_time = None
    pastes = _count(get("pastes"))
    assignment = get("assignment_id").strip()
    submission = get("submission_id").strip() or assignment or f"{platform}-line{line}"
    stamp = _parse_time(get("timestamp"))
    return {
        "submission_id": submission, "worker_id": worker, "assignment_id": assignment,
        "task_id": get("task_id").strip(), "image": image, "language": language, "text": get("text"),
        "english": english_text or "", "work_time_s": work_time, "pastes": pastes,
        "timestamp": stamp.isoformat() if stamp else get("timestamp").strip(),
        "status": get("status").strip(), "platform": platform, "source_line": line,
        "raw": json.dumps(row, ensure_ascii=False),  # header order kept
    }
