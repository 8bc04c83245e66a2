"""Content-Security-Policy sources for a page's own inline blocks.

The toolkit's pages are single files with inline scripts and styles; a policy without
``'unsafe-inline'`` that lists the hash of each block lets exactly those run, so text that
slips into a page as markup still cannot execute.
"""

from __future__ import annotations

import base64
import hashlib


def csp_hash(block: str) -> str:
    """The CSP source that allows exactly this inline script or style block (its sha256,
    base64): nothing else inline, injected or not, can run, and the page stays one file."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode("utf-8")).digest()).decode("ascii") + "'"
