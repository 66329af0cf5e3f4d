"""The three kinds of extraction error, under the one root ``KitflowError``.

- ``RetriableError``: the source may answer next time (429, 5xx, a timeout, a dropped
  connection). The client backs off and tries again, a bounded number of times.
- ``FatalError``: trying again cannot help (401/403/404, bad configuration). The extraction stops
  with a message that says what to fix; the bookmark stays where the last stored page left it.
- ``SkippableRecord``: one record cannot be used. It is quarantined with the reason and counted;
  the extraction goes on.
"""

from __future__ import annotations

from models.errors import KitflowError


class ExtractionError(KitflowError):
    """Base of the errors raised while extracting from a source system."""


class RetriableError(ExtractionError):
    """A failure worth retrying; ``retry_after_s`` is the wait the source asked for, if any."""

    def __init__(self, message: str, *, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class FatalError(ExtractionError):
    """A failure no retry can fix: the message says what the user must change."""


class SkippableRecord(ExtractionError):  # noqa: N818 - the design's name for the kind
    """One record that cannot be used; ``reason`` goes to the quarantine next to the record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
