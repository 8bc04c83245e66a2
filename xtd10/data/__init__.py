"""Reading, loading and publishing the XTD10 dataset."""

from xtd10.data.loading import load
from xtd10.data.sources import LocalSource, Source, UrlSource, resolve_source
from xtd10.data.table import SUBSETS, load_frame, read_images

__all__ = ["SUBSETS", "LocalSource", "Source", "UrlSource", "load", "load_frame", "read_images",
           "resolve_source"]
