"""Where the caption files come from: a local directory or the pinned upstream over HTTPS.

Every dataset with a pinned release (XTD10, XTD200, Flickr30k-200) is read the same way;
its descriptor says which repository, commit, files and checksums. Choice order: the
explicit argument, then the descriptor's variable (``XTD10_SOURCE``, ``NLLB_CLIP_SOURCE``:
a directory or a base URL), then the upstream repository at the pinned commit. Both kinds
expose the same thing: a local, verified path for each upstream-relative file name, and a
revision string that result files record so that numbers from different data can never be
mixed unnoticed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from xtd10.cache import cache_dir, cache_root
from xtd10.data.http import RetryPolicy, download
from xtd10.data.reading import decode_text
from xtd10.data.registries import registry_for
from xtd10.errors import ChecksumMismatchError, DownloadError, HostUnreachableError, SourceError
from xtd10.files import atomic_write_text, sha256_file
from xtd10.languages import Language, LanguageRegistry
from xtd10.schema import XTD10, DatasetDescriptor, Release, promoted_descriptor

log = logging.getLogger(__name__)

EXTRA_LANGUAGES_FILE = "languages.json"
# In the library's words; the command line shows its own option instead (CLI_WORDING).
CLI_WORDING = {"pass source=DIR": "pass --source DIR", "pass images=DIR": "pass --images DIR"}


def _release(dataset: DatasetDescriptor) -> Release:
    if dataset.release is None:
        raise SourceError(f"the {dataset.title} ships its own captions; it takes no caption source")
    return dataset.release


def local_source_hint(dataset: DatasetDescriptor = XTD10) -> str:
    """How to point at local caption files for ``dataset``, in the library's words."""
    release = _release(dataset)
    folders = sorted({rel.split("/", 1)[0] + "/" for rel in dataset.captions.values() if "/" in rel})
    return (f"to use local caption files pass source=DIR (a checkout of {release.repo}: {', '.join(folders)}) "
            f"or set {release.source_env}=DIR")


LOCAL_SOURCE_HINT = local_source_hint(XTD10)


class Source:
    """Common behaviour of caption sources: files of one dataset's pinned release."""

    kind: str = "abstract"
    location: str = ""
    dataset: DatasetDescriptor = XTD10

    def path(self, relpath: str) -> Path:
        """A local, verified copy of the upstream-relative file ``relpath``."""
        raise NotImplementedError

    def has(self, relpath: str) -> bool:
        raise NotImplementedError

    def extra_languages(self) -> list[Language]:
        return []

    @functools.cached_property
    def descriptor(self) -> DatasetDescriptor:
        """What this source holds: its dataset, or XTD10 plus the languages its
        ``languages.json`` adds."""
        extra = self.extra_languages()
        return promoted_descriptor([lang.to_dict() for lang in extra]) if extra else self.dataset

    @functools.cached_property
    def registry(self) -> LanguageRegistry:
        """The dataset's languages plus any this source adds (``languages.json``)."""
        extra = self.extra_languages()
        base = registry_for(self.dataset)
        return base.with_extra(extra) if extra else base

    @property
    def release(self) -> Release:
        return _release(self.dataset)

    def relpaths(self, codes: Iterable[str]) -> list[str]:
        """The files that hold ``codes``' captions, after the image list: what a revision is made of."""
        return [self.dataset.image_list, *dict.fromkeys(self.registry.get(c).upstream_path for c in codes)]

    def file_hashes(self, relpaths: list[str]) -> dict[str, str]:
        return {rel: sha256_file(self.path(rel)) for rel in relpaths}

    def revision(self, relpaths: list[str]) -> str:
        """The pinned commit when every file is byte-identical to the pinned release,
        otherwise ``local-<fingerprint>`` derived from the files' hashes."""
        hashes = self.file_hashes(relpaths)
        pinned = self.release.file_sha256
        if all(pinned.get(rel) == digest for rel, digest in hashes.items()):
            return self.release.commit
        joined = "\n".join(f"{rel} {digest}" for rel, digest in sorted(hashes.items()))
        return "local-" + hashlib.sha256(joined.encode()).hexdigest()[:16]

    def describe(self) -> dict:
        return {"kind": self.kind, "location": self.location}


@dataclass(eq=False)
class LocalSource(Source):
    """A directory in the upstream layout (XTD10: ``XTD10/``, ``MIC/``, ``STAIR/``;
    XTD200 and Flickr30k-200: a checkout of their repository, ``data/...``)."""

    root: Path
    dataset: DatasetDescriptor = XTD10
    kind: str = field(default="local", init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).expanduser().resolve()
        _release(self.dataset)
        if not self.root.is_dir():
            raise SourceError(f"{self.dataset.title} source directory {self.root} does not exist")
        self.location = str(self.root)

    def path(self, relpath: str) -> Path:
        candidate = (self.root / relpath).resolve()
        if self.root not in candidate.parents:
            raise SourceError(f"{relpath!r} points outside the source directory {self.root}")
        if not candidate.is_file():
            raise SourceError(f"{candidate}: missing from the {self.dataset.title} source directory {self.root}"
                              f"{self._deeper_hint(relpath)}")
        return candidate

    def _deeper_hint(self, relpath: str) -> str:
        """A user who points one level too deep (``.../XTD10``, ``.../data/xtd200``) is told the parent."""
        for parent in self.root.parents:
            if (parent / relpath).is_file():
                return f" (the files are below {parent}: pass that folder instead)"
        return ""

    def has(self, relpath: str) -> bool:
        return (self.root / relpath).is_file()

    def extra_languages(self) -> list[Language]:
        manifest = self.root / EXTRA_LANGUAGES_FILE
        if not manifest.is_file():
            return []
        return parse_language_manifest(manifest)


@dataclass(eq=False)
class UrlSource(Source):
    """Files fetched over HTTP(S) below ``base_url`` and cached.

    Files named in the pinned release are verified against its checksums whatever the
    base URL (a mirror must serve the same bytes); other files are accepted as served.
    """

    base_url: str = ""  # empty: the release's own repository at the pinned commit
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dataset: DatasetDescriptor = XTD10
    kind: str = field(default="url", init=False)

    def __post_init__(self) -> None:
        self.base_url = (self.base_url or _release(self.dataset).raw_base_url).rstrip("/")
        self.location = self.base_url

    @property
    def cache_dir(self) -> Path:
        if self.base_url == self.release.raw_base_url:
            key = self.release.commit
        else:
            key = "url-" + hashlib.sha256(self.base_url.encode()).hexdigest()[:16]
        return cache_root() / "sources" / key

    def path(self, relpath: str) -> Path:
        """The cached copy of ``relpath``, downloaded if missing, and verified on every call:
        a cached file whose sha256 is not the pinned one (or, for a file the pinned release
        does not name, the one recorded when it was downloaded) is fetched again with a
        warning naming it, and refused when it cannot be."""
        if relpath.startswith(("/", "\\")) or ".." in Path(relpath).parts:
            raise SourceError(f"refusing unsafe source path {relpath!r}")
        dest = self.cache_dir / relpath
        cache_dir("sources")
        damaged = self._drop_if_damaged(dest, relpath)
        pinned = self.release.file_sha256
        try:
            path = download(f"{self.base_url}/{relpath}", dest, sha256=pinned.get(relpath), retry=self.retry)
        except DownloadError as err:
            if damaged:
                raise ChecksumMismatchError(f"{damaged}; it could not be fetched again ({err})") from None
            if not isinstance(err, HostUnreachableError):
                raise
            raise HostUnreachableError(f"{err}; {local_source_hint(self.dataset)}", err.host) from None
        if relpath not in pinned and not _sidecar(path).is_file():
            atomic_write_text(_sidecar(path), sha256_file(path) + "\n")
        return path

    def _drop_if_damaged(self, dest: Path, relpath: str) -> str:
        """Remove a cached file that no longer has its sha256; the problem, or "" if intact."""
        if not dest.is_file():
            return ""
        recorded = _sidecar(dest)
        expected = self.release.file_sha256.get(relpath) or (
            recorded.read_text().strip() if recorded.is_file() else None)
        if expected is None:
            return ""
        actual = sha256_file(dest)
        if actual == expected:
            return ""
        problem = (f"cached caption file {dest} is damaged or was edited (sha256 {actual[:16]}..., "
                   f"expected {expected[:16]}...)")
        log.warning("%s; fetching it again", problem)
        dest.unlink()
        recorded.unlink(missing_ok=True)
        return problem

    def has(self, relpath: str) -> bool:
        return relpath in self.release.file_sha256 or (self.cache_dir / relpath).is_file()

    def cached(self) -> dict[str, bool]:
        """Which of the dataset's pinned files are already in the cache (``xtd10 data info``)."""
        wanted = [self.dataset.image_list, *self.dataset.captions.values()]
        return {rel: (self.cache_dir / rel).is_file() for rel in wanted}


def _sidecar(path: Path) -> Path:
    """Where the sha256 of a downloaded file the pinned release does not name is recorded."""
    return path.with_name(path.name + ".sha256")


def parse_language_manifest(path: Path) -> list[Language]:
    """Languages added to a source directory (written by ``xtd10 crowd promote``)."""
    try:
        entries = json.loads(decode_text(path.read_bytes(), str(path)))
    except json.JSONDecodeError as err:
        raise SourceError(f"{path}:{err.lineno}: invalid JSON: {err.msg}") from None
    except RecursionError:
        raise SourceError(f"{path}: invalid JSON: nested too deeply to read") from None
    if not isinstance(entries, list):
        raise SourceError(f"{path}: expected a JSON list of language entries")
    out = []
    for number, entry in enumerate(entries):
        try:
            out.append(Language.from_dict(entry))
        except (TypeError, ValueError) as err:
            raise SourceError(f"{path}: entry {number}: {err}") from None
    return out


# What ``source=`` accepts wherever captions are read: a folder, a base URL, a built source, or
# None (the dataset's variable, else the pinned upstream).
SourceArg = str | os.PathLike | Source | None


def resolve_source(source: SourceArg = None,
                   dataset: DatasetDescriptor = XTD10) -> Source:
    """The explicit ``source``, else the dataset's variable (``XTD10_SOURCE``, ...), else
    the pinned upstream."""
    if isinstance(source, Source):
        if source.dataset.key != dataset.key:
            raise SourceError(f"this source holds {source.dataset.title}, not {dataset.title}")
        return source
    release = _release(dataset)
    if source is None:
        source = os.environ.get(release.source_env) or None
    if source is None:
        return UrlSource(dataset=dataset)
    text = str(source)
    if text.startswith(("http://", "https://")):
        return UrlSource(base_url=text, dataset=dataset)
    return LocalSource(Path(text), dataset=dataset)
