"""Building blocks shared by the pages: tables, notes, the empty-store message."""

from __future__ import annotations

from typing import Literal

from dash import dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.figures.tables import Amount, Badge, Cell, Column, Judged, Link, TableData
from app.formatting import Language, format_date
from app.i18n import translate
from models.datafolder import DataFolder
from services import check_sources

NoteKind = Literal["info", "warning", "error"]


def render_table(
    table: TableData, *, table_id: str, compact: bool = False, wrap: bool = False
) -> html.Div:
    """An HTML table of display-ready cells; numeric columns right-aligned; scrolls when wide,
    unless ``wrap``: then long texts wrap inside the card's width and nothing is cut."""
    head = html.Thead(html.Tr([html.Th(c.label, className=_cell_class(c)) for c in table.columns]))
    row_classes = table.row_classes or ("",) * len(table.rows)
    body = html.Tbody(
        [
            html.Tr(
                [html.Td(_cell(row[c.key]), className=_cell_class(c)) for c in table.columns],
                className=row_class or None,
            )
            for row, row_class in zip(table.rows, row_classes, strict=True)
        ]
    )
    classes = (
        "kf-table" + (" kf-table--compact" if compact else "") + (" kf-table--wrap" if wrap else "")
    )
    return html.Div(html.Table([head, body], id=table_id, className=classes), className="kf-scroll")


def _cell_class(column: Column) -> str:
    return f"kf-col-{column.key}" + (" kf-num" if column.numeric else "")


def _cell(value: Cell) -> str | Component:
    if isinstance(value, Link):
        return dcc.Link(value.text, href=value.href)
    if isinstance(value, Badge):
        return render_badge(value)
    if isinstance(value, Judged):
        return html.Div(
            [
                html.Div([label + " ", render_badge(badge)], className="kf-judged")
                for label, badge in value.items
            ]
        )
    if isinstance(value, Amount):
        return value.text
    return value


def render_badge(badge: Badge) -> html.Span:
    """A status word on its colour."""
    return html.Span(badge.text, className=f"kf-badge kf-badge--{badge.tone}")


def note(
    text: str, *, kind: NoteKind = "info", note_id: str | None = None, compact: bool = False
) -> html.Div:
    """A one-paragraph message in a coloured box (``compact``: a slim one)."""
    classes = f"kf-note kf-note--{kind}" + (" kf-note--compact" if compact else "")
    if note_id is None:
        return html.Div(text, className=classes, role="status")
    return html.Div(text, id=note_id, className=classes, role="status")


def empty_store_message(language: Language, *, message_id: str) -> html.Div:
    """What to do when no log is stored yet: the import command to run."""
    return html.Div(
        [
            html.H2(translate("empty.title", language)),
            html.P(translate("empty.body", language)),
            html.Pre(html.Code(translate("empty.command", language))),
        ],
        id=message_id,
        className="kf-empty",
    )


def stale_sources_banner(data: DataFolder, language: Language) -> html.Div | None:
    """A warning naming each stale data source (see :mod:`services.sources`), or None when all
    are fresh or none is recorded. Every page whose figures come from the sources includes it."""
    stale = check_sources(data).stale
    if not stale:
        return None
    names = []
    for health in stale:
        name = f"{health.status.source}/{health.status.stream}"
        finished = health.status.last_run_finished_at
        if finished is None:
            names.append(translate("stale.never", language, name=name))
        else:
            when = format_date(finished, language)
            names.append(translate("stale.item", language, name=name, when=when))
    text = translate("stale.banner", language, sources="; ".join(names))
    return note(text, kind="warning", note_id=ids.STALE_BANNER, compact=True)


def stale_notes(data: DataFolder, language: Language) -> list[Component]:
    """The stale-source banner as a list: empty when every source is fresh."""
    banner = stale_sources_banner(data, language)
    return [] if banner is None else [banner]


def with_stale_banner(page: html.Div, data: DataFolder, language: Language) -> html.Div:
    """``page`` with the stale-source banner above its content (unchanged when none is stale)."""
    children = page.children if isinstance(page.children, list) else [page.children]
    page.children = [*stale_notes(data, language), *children]
    return page


def date_range_picker(
    component_id: str,
    language: Language,
    *,
    start_date: str | None = None,
    end_date: str | None = None,
    min_date_allowed: str | None = None,
    max_date_allowed: str | None = None,
    disabled: bool = False,
) -> dcc.DatePickerRange:
    """A period picker in the language's date format, weeks from Monday, clearable. In Danish
    the calendar shows months as numbers (its month names would be English) and Danish
    weekdays (the style sheet's kf-date-da). Dates are ISO."""
    danish = language == "da"
    return dcc.DatePickerRange(
        id=component_id,
        display_format="DD.MM.YYYY" if danish else "YYYY-MM-DD",
        month_format="MM.YYYY" if danish else "MMMM YYYY",
        first_day_of_week=1,
        start_date_placeholder_text=translate("map.period_start", language),
        end_date_placeholder_text=translate("map.period_end", language),
        clearable=True,
        className="kf-date-da" if danish else "",
        start_date=start_date,
        end_date=end_date,
        min_date_allowed=min_date_allowed,
        max_date_allowed=max_date_allowed,
        disabled=disabled,
    )
