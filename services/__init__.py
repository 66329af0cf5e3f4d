"""The use cases between the faces (app) and the engines (mining, extractors, models): imports and
exports of logs, benefits measuring, follow-up, candidates, the benchmark harness, the demo and
``--out`` checks. Ingestion of the source systems is ``services.ingestion``."""

from services.bench import ALL_OPERATIONS, BenchReport, Operation, report_as_json, run_bench
from services.benefits import CaseInputs, load_case_inputs, measure_case
from services.candidates import (
    DEFAULT_CASE,
    CandidateOptions,
    CandidateReport,
    find_candidates,
    read_parameters,
)
from services.cockpit import (
    SOURCE_NAMES,
    CaseOverview,
    SourceCoverage,
    YearFigures,
    build_case_overview,
    build_overviews,
    find_business_cases,
)
from services.coverage import find_source_coverage
from services.demo import (
    LandscapeDemoReport,
    SimulationSummary,
    load_demo_landscape,
    load_demo_logs,
    write_simulated_landscape,
)
from services.followup import FollowUpReport, evaluate_followup, followup_input_files
from services.imports import (
    ColumnMapping,
    ExportFormat,
    ImportReport,
    ReadOptions,
    export_log,
    import_log,
)
from services.ocel_import import compute_ocel_log_stats, export_ocel_log, read_stored_ocel
from services.outputs import (
    check_output_file,
    check_output_folder,
    write_output_file,
    write_output_files,
    write_output_folder,
)

__all__ = [
    "ALL_OPERATIONS",
    "DEFAULT_CASE",
    "SOURCE_NAMES",
    "BenchReport",
    "CandidateOptions",
    "CandidateReport",
    "CaseInputs",
    "CaseOverview",
    "ColumnMapping",
    "ExportFormat",
    "FollowUpReport",
    "ImportReport",
    "LandscapeDemoReport",
    "Operation",
    "ReadOptions",
    "SimulationSummary",
    "SourceCoverage",
    "YearFigures",
    "build_case_overview",
    "build_overviews",
    "check_output_file",
    "check_output_folder",
    "compute_ocel_log_stats",
    "evaluate_followup",
    "export_log",
    "export_ocel_log",
    "find_business_cases",
    "find_candidates",
    "find_source_coverage",
    "followup_input_files",
    "import_log",
    "load_case_inputs",
    "load_demo_landscape",
    "load_demo_logs",
    "measure_case",
    "read_parameters",
    "read_stored_ocel",
    "report_as_json",
    "run_bench",
    "write_output_file",
    "write_output_files",
    "write_output_folder",
    "write_simulated_landscape",
]
