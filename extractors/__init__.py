"""Readers of source systems and export files: raw records to staged, canonical rows."""

from extractors.base import (
    Bookmark,
    ExtractionResult,
    Page,
    PageCallback,
    RetryPolicy,
    Stream,
    iter_raw_pages,
    page_path,
    run_stream,
    write_page_atomically,
)
from extractors.errors import FatalError
from extractors.pseudonym import Pseudonymiser, load_key
from extractors.secret_files import read_secret_file

__all__ = [
    "Bookmark",
    "ExtractionResult",
    "FatalError",
    "Page",
    "PageCallback",
    "Pseudonymiser",
    "RetryPolicy",
    "Stream",
    "iter_raw_pages",
    "load_key",
    "page_path",
    "read_secret_file",
    "run_stream",
    "write_page_atomically",
]
