"""What exact model produced an embedding: a Hub commit, or a hash of local files.

Result files and the embedding cache key on this, so two different checkpoints must never
share a revision: a local directory is identified by the content of every file a loader may
read (weights, config, tokenizer, processor settings), not by its path or its config alone
(fine-tuned weights keep the base model's config; an edited tokenizer keeps both).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from xtd10.encoders.weights import weights_identity

log = logging.getLogger(__name__)

_SNAPSHOT = re.compile(r"[\\/]snapshots[\\/]([0-9a-f]{40})[\\/]")


def local_revision(directory: str | Path) -> str:
    """``local-sha256:<16 hex>`` over the names and sha256 of the folder's files but its
    documentation (recursively, so sentence-transformers' module folders count too); see
    :func:`xtd10.encoders.weights.weights_identity`, which remembers each file's hash."""
    return weights_identity(directory)


def hub_revision(model_id: str, revision: str | None = None) -> str | None:
    """The commit hash of the cached snapshot the model was loaded from, if it can be found
    (transformers keeps Hub files under ``.../snapshots/<commit>/``)."""
    if revision and re.fullmatch(r"[0-9a-f]{40}", revision):
        return revision
    try:
        from huggingface_hub import try_to_load_from_cache

        path = try_to_load_from_cache(model_id, "config.json", revision=revision)
    except Exception:  # informative only
        log.debug("no cached snapshot for %s", model_id, exc_info=True)
        return revision
    match = _SNAPSHOT.search(str(path)) if isinstance(path, str) else None
    return match.group(1) if match else revision


def model_revision(model_id: str, revision: str | None = None) -> str | None:
    """Local directories by content, Hub ids by commit (or the requested revision)."""
    if Path(model_id).is_dir():
        return local_revision(model_id)
    return hub_revision(model_id, revision)
