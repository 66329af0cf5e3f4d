"""The data-sources page ("Datakilder", administrators only): each source's streams with their
last run, records, quarantine, bookmark and freshness (what ``kitflow sources`` shows, from
:func:`services.check_sources`), and the quarantined records counted per reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import dash
from dash import html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import note, render_table, stale_notes
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import SOURCES_PATH
from app.figures.tables import Badge, Column, TableData
from app.formatting import Language, format_datetime, format_int, format_number
from app.i18n import parse_language, translate
from models.store import LogStore
from services import SourcesReport, StreamHealth, check_sources

PATH = SOURCES_PATH
_FETCHED_DAYS = 2
_EXPORT_DAYS = 35


def build_layout(
    store: LogStore, language: Language, *, now: dt.datetime | None = None
) -> html.Div:
    """The page in ``language`` (``now``: the moment freshness is judged at; default now)."""
    report = check_sources(store.data, now=now)
    intro = translate("sources.intro", language, fetched=_FETCHED_DAYS, export=_EXPORT_DAYS)
    header: list[Component] = [
        html.H1(translate("sources.title", language), id=ids.SOURCES_TITLE),
        html.P(intro, className="kf-lead"),
    ]
    header += stale_notes(store.data, language)
    if not report.streams:
        return html.Div(
            [*header, note(translate("sources.empty", language), note_id=ids.SOURCES_EMPTY)]
        )
    return html.Div(
        [
            *header,
            html.Section(
                render_table(build_sources_table(report, language), table_id=ids.SOURCES_TABLE),
                className="kf-card",
            ),
            html.Section(
                [html.H2(translate("sources.reasons", language)), _reasons(report, language)],
                className="kf-card",
            ),
        ]
    )


def build_sources_table(report: SourcesReport, language: Language) -> TableData:
    """One row per stream: source, stream, kind, last run, finished, records, quarantined,
    bookmark, age and a fresh/stale badge."""
    t = _labeller(language)
    keys = ("source", "stream", "kind", "status", "finished", "records", "quarantined",
            "bookmark", "age", "fresh")  # fmt: skip
    numeric = {"records", "quarantined"}
    columns = tuple(Column(key, t(key), numeric=key in numeric) for key in keys)
    return TableData(columns, tuple(_row(s, language) for s in report.streams))


def _labeller(language: Language) -> Callable[[str], str]:
    def label(key: str) -> str:
        return translate(f"sources.col.{key}", language)

    return label


def _row(health: StreamHealth, language: Language) -> dict[str, str | Badge]:
    s = health.status
    status = s.last_run_status or "never"
    fresh = "stale" if health.stale else "fresh"
    return {
        "source": s.source,
        "stream": s.stream,
        "kind": translate(f"sources.kind.{health.kind}", language),
        "status": translate(f"sources.status.{status}", language),
        "finished": format_datetime(s.last_run_finished_at, language),
        "records": format_int(s.records_stored, language),
        "quarantined": format_int(s.quarantined, language),
        "bookmark": _bookmark(s.bookmark_value, s.bookmark_key),
        "age": _age(health.age, language),
        "fresh": Badge(translate(f"sources.{fresh}", language), "bad" if health.stale else "good"),
    }


def _bookmark(value: str | None, key: str | None) -> str:
    if value is None:
        return "–"
    # Digests and file names are long: their start tells one bookmark from another.
    value = value if len(value) <= 24 else value[:12] + "…"
    key = key or ""
    return f"{value} / {key[:8]}…" if len(key) > 8 else f"{value} {key}".strip()


def _age(age: dt.timedelta | None, language: Language) -> str:
    if age is None:
        return "–"
    hours = age.total_seconds() / 3600
    if hours < 48:
        return translate("sources.hours", language, hours=format_number(hours, 1, language))
    return translate("sources.days", language, days=format_int(int(hours // 24), language))


def _reasons(report: SourcesReport, language: Language) -> html.Div:
    if not report.reasons:
        return html.Div(note(translate("sources.no_reasons", language)), id=ids.SOURCES_REASONS)
    t = _labeller(language)
    columns = (Column("source", t("source")), Column("reason", t("reason")),
               Column("records", t("records"), numeric=True))  # fmt: skip
    rows = tuple(
        {"source": r.source, "reason": r.reason, "records": format_int(r.records, language)}
        for r in report.reasons
    )
    table = render_table(
        TableData(columns, rows), table_id=ids.SOURCES_REASONS + "-table", wrap=True
    )
    return html.Div(table, id=ids.SOURCES_REASONS)


def page_layout(lang: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang))


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page; it has no callbacks (drawn when opened, administrators only)."""
    del app, store
    register_page(__name__, path=PATH, name="Datakilder", order=9, layout=page_layout)
