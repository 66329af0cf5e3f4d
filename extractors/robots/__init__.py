"""Robot run data (kørselsdata): UiPath Orchestrator and Power Automate clients, the declared
streams, the export readers and the pure mapping to runs and transactions. Import from here;
the modules behind it are private."""

from extractors.robots.client import ODataClient
from extractors.robots.export import find_page_folders, read_robot_csv, read_saved_pages
from extractors.robots.mapping import (
    CSV_COLUMNS,
    QUARANTINE_SCHEMA,
    RUNS_SCHEMA,
    STATUSES,
    TRANSACTIONS_SCHEMA,
    RobotTables,
    map_power_automate,
    map_robot_csv,
    map_uipath,
)
from extractors.robots.streams import (
    ALL_STREAMS,
    POWER_AUTOMATE_STREAMS,
    UIPATH_STREAMS,
    DataverseStream,
    RobotStreamSpec,
    UiPathStream,
    clean_record,
    robot_stream,
    uipath_params,
)

__all__ = [
    "ALL_STREAMS",
    "CSV_COLUMNS",
    "POWER_AUTOMATE_STREAMS",
    "QUARANTINE_SCHEMA",
    "RUNS_SCHEMA",
    "STATUSES",
    "TRANSACTIONS_SCHEMA",
    "UIPATH_STREAMS",
    "DataverseStream",
    "ODataClient",
    "RobotStreamSpec",
    "RobotTables",
    "UiPathStream",
    "clean_record",
    "find_page_folders",
    "map_power_automate",
    "map_robot_csv",
    "map_uipath",
    "read_robot_csv",
    "read_saved_pages",
    "robot_stream",
    "uipath_params",
]
