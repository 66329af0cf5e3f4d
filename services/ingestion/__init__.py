"""Ingestion: every source through one runner (``ingest``), one report, one JSON shape; and the
KIT landscape built from them. Import from here; the modules behind it are private."""

from extractors import PageCallback
from services.ingestion.azure_devops import AzureDevOpsConfig, AzureDevOpsSource
from services.ingestion.landscape import LandscapeReport, build_landscape
from services.ingestion.landscape_link import (
    KIT_ORDERS_LOG,
    LANDSCAPE_LOG,
    LinkReport,
    describe_links,
    link_landscape,
)
from services.ingestion.robots import PlatformConfig, RobotsConfig, RobotsSource
from services.ingestion.runner import (
    IngestionReport,
    LogReport,
    Mode,
    SourceInfo,
    SourceSpec,
    StagedReport,
    StreamReport,
    TableReport,
    allowed_combinations,
    choose_mode,
    ingest,
    ingestion_json,
    raw_pages,
    raw_records,
)
from services.ingestion.servicenow import ServiceNowConfig, ServiceNowSource
from services.ingestion.servicenow_logs import INCIDENTS_LOG, ORDERS_LOG
from services.ingestion.time_registration import TimeSource

__all__ = [
    "INCIDENTS_LOG",
    "KIT_ORDERS_LOG",
    "LANDSCAPE_LOG",
    "ORDERS_LOG",
    "AzureDevOpsConfig",
    "AzureDevOpsSource",
    "IngestionReport",
    "LandscapeReport",
    "LinkReport",
    "LogReport",
    "Mode",
    "PageCallback",
    "PlatformConfig",
    "RobotsConfig",
    "RobotsSource",
    "ServiceNowConfig",
    "ServiceNowSource",
    "SourceInfo",
    "SourceSpec",
    "StagedReport",
    "StreamReport",
    "TableReport",
    "TimeSource",
    "allowed_combinations",
    "build_landscape",
    "choose_mode",
    "describe_links",
    "ingest",
    "ingestion_json",
    "link_landscape",
    "raw_pages",
    "raw_records",
]
