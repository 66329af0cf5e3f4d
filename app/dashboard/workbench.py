"""Pieces the analysts' workbench pages share: labelled controls, a log picker, and a page's
table as a CSV or Excel download (numbers as numbers, text escaped against formulas as
models.spreadsheet says, the same columns and headings as the page shows)."""

from __future__ import annotations

import io
from typing import Any, Literal

import polars as pl
from dash import dcc, html
from dash.development.base_component import Component

from app.dashboard.cockpit_components import download_data
from app.dashboard.spreadsheet import build_workbook
from app.figures.tables import Amount, TableData, cell_text
from app.formatting import Language
from app.i18n import translate
from models.spreadsheet import escape_formula_cells

ExportFormat = Literal["csv", "xlsx"]


def table_frame(table: TableData) -> pl.DataFrame:
    """The table as a frame: a number column holds the numbers, others the texts shown."""
    columns: dict[str, list[Any]] = {}
    for column in table.columns:
        cells = table.column(column.key)
        if column.numeric:
            columns[column.label] = [c.value if isinstance(c, Amount) else None for c in cells]
        else:
            columns[column.label] = [cell_text(c) for c in cells]
    return pl.DataFrame(columns, strict=False)


def export_table(table: TableData, *, title: str, stem: str, kind: ExportFormat) -> dict[str, Any]:
    """What ``dcc.Download`` takes for ``table`` as ``<stem>.csv`` or ``<stem>.xlsx``."""
    if kind == "xlsx":
        return download_data(build_workbook(title, table), f"{stem}.xlsx")
    buffer = io.BytesIO()
    escape_formula_cells(table_frame(table)).write_csv(buffer)
    return download_data(buffer.getvalue(), f"{stem}.csv")


def export_buttons(csv_id: str, xlsx_id: str, download_id: str, language: Language) -> html.Span:
    """The two download buttons of a table and the download they fill."""
    return html.Span(
        [
            dcc.Download(id=download_id),
            *(
                html.Button(
                    translate(f"export.{kind}", language),
                    id=button_id,
                    n_clicks=0,
                    className="kf-button kf-button--small",
                )
                for kind, button_id in (("csv", csv_id), ("xlsx", xlsx_id))
            ),
        ],
        className="kf-export-buttons",
    )


def labelled(label: str, control: Component, for_id: str) -> html.Div:
    """A control with its label above it."""
    return html.Div([html.Label(label, htmlFor=for_id), control], className="kf-field")


def log_picker(
    control_id: str, flat: list[str], chosen: str | None, language: Language
) -> html.Div:
    """The labelled dropdown of the stored flat logs."""
    dropdown = dcc.Dropdown(
        id=control_id,
        options=[{"label": name, "value": name} for name in flat],
        value=chosen,
        placeholder=translate("map.log_placeholder", language),
        clearable=False,
    )
    return labelled(translate("map.log", language), dropdown, control_id)


def text_field(
    label: str, control_id: str, *, value: str | None = None, placeholder: str | None = None
) -> html.Div:
    """A labelled text field that reports its value when the user presses Enter or leaves it
    (the page parses and checks it, and answers a wrong value with a message)."""
    field = dcc.Input(
        id=control_id, type="text", value=value, placeholder=placeholder, debounce=True
    )
    return labelled(label, field, control_id)


def table_card(
    title: str, body: list[Component], *, buttons: html.Span | None = None
) -> html.Section:
    """A card with a heading (and the table's download buttons beside it) above ``body``."""
    head: list[Component] = [html.H2(title)]
    if buttons is not None:
        head.append(buttons)
    return html.Section([html.Div(head, className="kf-table-head"), *body], className="kf-card")
