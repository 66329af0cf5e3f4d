"""The canonical event-log schema, declared once.

A canonical log has one row per event. Required columns come first; optional ones are present
only when the source has them; any other source attribute is kept as an extra column (trace-level
attributes prefixed with ``case:``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

SCHEMA_VERSION: Final = 1

CASE: Final = "case_id"
ACTIVITY: Final = "activity"
TIMESTAMP: Final = "timestamp"
EVENT_ORDER: Final = "event_order"
START_TIMESTAMP: Final = "start_timestamp"
RESOURCE: Final = "resource"
ORG_UNIT: Final = "org_unit"
SOURCE_SYSTEM: Final = "source_system"
LIFECYCLE: Final = "lifecycle"

UTC_DATETIME: Final = pl.Datetime("us", "UTC")

REQUIRED_COLUMNS: Final[dict[str, pl.DataType]] = {
    CASE: pl.String(),
    ACTIVITY: pl.Categorical(),
    TIMESTAMP: UTC_DATETIME,
    EVENT_ORDER: pl.UInt64(),
}

OPTIONAL_COLUMNS: Final[dict[str, pl.DataType]] = {
    START_TIMESTAMP: UTC_DATETIME,
    RESOURCE: pl.String(),
    ORG_UNIT: pl.String(),
    SOURCE_SYSTEM: pl.String(),
    LIFECYCLE: pl.String(),
}

CANONICAL_COLUMNS: Final = (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)

# Sorting key of a stored log: later views scan, they never sort again.
SORT_KEY: Final = (CASE, TIMESTAMP, EVENT_ORDER)

# The XES/pm4py names of the canonical columns, used by the readers and writers of standard files.
XES_NAMES: Final[dict[str, str]] = {
    CASE: "case:concept:name",
    ACTIVITY: "concept:name",
    TIMESTAMP: "time:timestamp",
    START_TIMESTAMP: "start_timestamp",
    RESOURCE: "org:resource",
    ORG_UNIT: "org:group",
    LIFECYCLE: "lifecycle:transition",
}

QUARANTINE_COLUMNS: Final = ("row_number", "reason", "record")
"""A quarantined row: its 1-based position in the source, why it was set aside, the raw record
as JSON."""


def empty_quarantine() -> pl.DataFrame:
    """An empty quarantine table with the right columns."""
    return pl.DataFrame(
        schema={"row_number": pl.UInt64(), "reason": pl.String(), "record": pl.String()}
    )
