"""ServiceNow: the Table API client, the declared streams, the pure mapping and the export
readers. Import from here; the modules behind it are private."""

from extractors.servicenow.client import Credentials, TableClient
from extractors.servicenow.export import (
    CsvExportOptions,
    ExportRead,
    file_sha256,
    read_csv_export,
    read_table_json_export,
)
from extractors.servicenow.mapping import (
    EventChunks,
    MappedEvents,
    PreparedPage,
    StagedTable,
    build_events,
    check_record,
    id_ranges,
    map_event_chunks,
    prepare_page,
    stage_pages,
    stage_prepared,
    stage_records,
)
from extractors.servicenow.pages import SavedPagesStream, find_saved_tables, saved_page_spec
from extractors.servicenow.staging_spill import PageSpill, SpilledStage
from extractors.servicenow.streams import (
    AUDITED_FIELDNAMES,
    STREAMS,
    StreamSpec,
    TableStream,
    build_params,
    build_query,
    pseudonymise_record,
    stream_spec,
)

__all__ = [
    "AUDITED_FIELDNAMES",
    "STREAMS",
    "Credentials",
    "CsvExportOptions",
    "EventChunks",
    "ExportRead",
    "MappedEvents",
    "PageSpill",
    "PreparedPage",
    "SavedPagesStream",
    "SpilledStage",
    "StagedTable",
    "StreamSpec",
    "TableClient",
    "TableStream",
    "build_events",
    "build_params",
    "build_query",
    "check_record",
    "file_sha256",
    "find_saved_tables",
    "id_ranges",
    "map_event_chunks",
    "prepare_page",
    "pseudonymise_record",
    "read_csv_export",
    "read_table_json_export",
    "saved_page_spec",
    "stage_pages",
    "stage_prepared",
    "stage_records",
    "stream_spec",
]
