"""Time registration: export files (CSV, Excel) and ServiceNow time cards to the ``hours``
table. Import from here; the modules behind it are private."""

from extractors.time_registration.export import (
    CellTable,
    find_export_files,
    pseudonymise_cells,
    read_export,
    read_raw_tables,
    write_raw_table,
)
from extractors.time_registration.mapping import (
    HOURS_SCHEMA,
    QUARANTINE_SCHEMA,
    TIME_CARD_SOURCE,
    HoursTable,
    TaskInfo,
    map_cell_table,
    map_time_cards,
    task_lookup,
)

__all__ = [
    "HOURS_SCHEMA",
    "QUARANTINE_SCHEMA",
    "TIME_CARD_SOURCE",
    "CellTable",
    "HoursTable",
    "TaskInfo",
    "find_export_files",
    "map_cell_table",
    "map_time_cards",
    "pseudonymise_cells",
    "read_export",
    "read_raw_tables",
    "task_lookup",
    "write_raw_table",
]
