"""Where the files of the repository's ``crowdsourcing/`` folder (per-language settings, the
task page template, the annotator guidelines) are read from.

They have one copy, in ``crowdsourcing/``, where a person edits them. The build ships that
folder inside the package as ``xtd10/_crowdsourcing/`` (``[tool.setuptools.package-dir]`` in
``pyproject.toml``), so an installed wheel reads it there; a checkout (an editable install, or
the package on ``PYTHONPATH``) has no such folder beside the code and reads ``crowdsourcing/``
itself. Everything that reads one of these files asks this module, so the two places cannot
drift apart.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from xtd10.crowd.errors import SettingsError

if TYPE_CHECKING:
    from importlib.abc import Traversable

PACKAGED = "_crowdsourcing"
CHECKOUT = "crowdsourcing"


def crowdsourcing_folder() -> Traversable:
    """The ``crowdsourcing/`` folder: the copy inside an installed package, else the checkout's."""
    packaged = resources.files("xtd10").joinpath(PACKAGED)
    if packaged.is_dir():
        return packaged
    checkout = Path(str(resources.files("xtd10"))).parent / CHECKOUT
    if checkout.is_dir():
        return checkout
    raise SettingsError(f"the crowdsourcing files are missing: neither xtd10/{PACKAGED}/ (an installed "
                        f"package) nor {CHECKOUT}/ beside the package (a checkout) exists; reinstall the toolkit")


def crowdsourcing_file(*parts: str) -> Traversable:
    """One file of the folder, e.g. ``crowdsourcing_file("templates", "task.html")``."""
    path = crowdsourcing_folder()
    for part in parts:
        path = path.joinpath(part)
    return path
