"""How an export file is to be read: format, column mapping, time parsing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from models.schema import (
    ACTIVITY,
    CASE,
    LIFECYCLE,
    ORG_UNIT,
    RESOURCE,
    START_TIMESTAMP,
    TIMESTAMP,
    XES_NAMES,
)

FileFormat = Literal["auto", "csv", "xes", "ocel", "parquet"]
LifecycleMode = Literal["auto", "pair", "keep"]


@dataclass(frozen=True)
class ColumnMapping:
    """Which source column holds which canonical field (None: find it by its usual name)."""

    case: str | None = None
    activity: str | None = None
    timestamp: str | None = None
    start_timestamp: str | None = None
    resource: str | None = None
    group: str | None = None

    def given(self) -> dict[str, str]:
        """Canonical name to source column, for the columns the user named."""
        pairs = {
            CASE: self.case,
            ACTIVITY: self.activity,
            TIMESTAMP: self.timestamp,
            START_TIMESTAMP: self.start_timestamp,
            RESOURCE: self.resource,
            ORG_UNIT: self.group,
        }
        return {canonical: source for canonical, source in pairs.items() if source}


# Usual source names of each canonical column, tried in order when the user names none.
USUAL_NAMES: dict[str, tuple[str, ...]] = {
    CASE: (CASE, XES_NAMES[CASE], "case", "case_id", "caseid", "case id"),
    ACTIVITY: (ACTIVITY, XES_NAMES[ACTIVITY], "activity", "event", "task"),
    TIMESTAMP: (TIMESTAMP, XES_NAMES[TIMESTAMP], "timestamp", "time", "complete_timestamp"),
    START_TIMESTAMP: (START_TIMESTAMP, "start_time", "start"),
    RESOURCE: (RESOURCE, XES_NAMES[RESOURCE], "resource", "user"),
    ORG_UNIT: (ORG_UNIT, XES_NAMES[ORG_UNIT], "group", "org_unit", "assignment_group"),
    LIFECYCLE: (LIFECYCLE, XES_NAMES[LIFECYCLE], "lifecycle"),
}


@dataclass(frozen=True)
class ReadOptions:
    """Everything the user can say about how to read a file."""

    file_format: FileFormat = "auto"
    columns: ColumnMapping = field(default_factory=ColumnMapping)
    timestamp_format: str | None = None
    dayfirst: bool = False
    timezone: str = "UTC"
    null_values: tuple[str, ...] = ()
    lifecycle: LifecycleMode = "auto"
    object_type: str | None = None
    keep_numeric_activities: bool = False
    pseudonymise: bool = True
    """False only with --no-pseudonymise, for logs that hold no people."""
    keep_columns: tuple[str, ...] = ()
    """Extra columns the user keeps besides the canonical ones and the allowlist."""
    hasher: Callable[[str | None], str | None] | None = field(
        default=None, repr=False, compare=False
    )
    """The keyed hash people are pseudonymised with; set by the import service from the key."""
