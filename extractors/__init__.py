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
from extractors.pseudonym import (
    Pseudonymiser,
    is_pseudonym,
    key_fingerprint,
    load_key,
    normalise_user_id,
)
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
    "is_pseudonym",
    "iter_raw_pages",
    "key_fingerprint",
    "load_key",
    "normalise_user_id",
    "page_path",
    "read_secret_file",
    "run_stream",
    "write_page_atomically",
]
