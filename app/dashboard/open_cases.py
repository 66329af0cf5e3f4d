"""Predictions for open cases on the pages (issue #16): the *Åbne sager* panel of
Procesoverblik (the chosen log's open cases with expected remaining time, risk of breaching the
SLA and the expected next event) and the prediction columns of *Fastlåste sager*.

A list of cases, not of people: no resource is shown; a log that names fewer than 5 people
lists none (the 5-person rule, as the other views of such a log). The predictions come from the
log's stored model (``kitflow predict cases-train LOG``); without one the panel says how to
train it.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any, Final

import dash
import polars as pl
from dash import Input, Output, State, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import note, render_table
from app.dashboard.data import is_partitioned
from app.figures.tables import Amount, Cell, Column, TableData
from app.formatting import Language, format_date, format_datetime, format_int, format_number
from app.i18n import parse_language, translate
from models.errors import KitflowError
from models.store import LogStore
from services import ModelError, OpenCasePredictions, find_open_case_card, predict_open_cases

SHOWN: Final = 50
"""The open cases the panel lists (the longest expected remaining time first)."""


def find_predictions(
    store: LogStore, log: str, *, as_of: dt.datetime | None = None, cases: list[str] | None = None
) -> OpenCasePredictions | None:
    """The predictions for ``log``'s open cases (or ``cases``) at ``as_of``; None when no model
    is stored for the log. Cached per log, moment, cases and model version."""
    card = find_open_case_card(store, log)
    if card is None:
        return None
    key = (log, store.entry(log).imported_at, str(card["version"]), as_of, tuple(cases or ()))
    return _predictions(store, key, cases is not None)


@lru_cache(maxsize=32)
def _predictions(store: LogStore, key: tuple[Any, ...], chosen: bool) -> OpenCasePredictions | None:
    log, _, _, as_of, cases = key
    try:
        return predict_open_cases(store, log, as_of=as_of, cases=list(cases) if chosen else None)
    except ModelError:
        return None


def prediction_columns(language: Language) -> tuple[Column, ...]:
    """The three prediction columns, as both pages show them."""
    return (
        Column("remaining", translate("open.col.remaining", language), numeric=True),
        Column("sla_risk", translate("open.col.sla_risk", language), numeric=True),
        Column("next", translate("open.col.next", language)),
    )


def prediction_cells(row: dict[str, Any] | None, language: Language) -> dict[str, Cell]:
    """One case's prediction cells (dashes when it has no prediction)."""
    if row is None:
        return {"remaining": Amount(None, "–"), "sla_risk": Amount(None, "–"), "next": "–"}
    days = row["remaining_h"] / 24
    return {
        "remaining": Amount(round(days, 1), format_number(days, 1, language), 1),
        "sla_risk": sla_cell(row["sla_state"], row["sla_risk"], language),
        "next": translate(
            "open.next",
            language,
            activity=row["next_activity"],
            share=format_number(100 * row["next_probability"], 0, language),
        ),
    }


def sla_cell(state: str, risk: float | None, language: Language) -> Amount:
    """The SLA risk as a percentage, or what is already known: breached, met, or no SLA."""
    if state == "breached":
        return Amount(1.0, translate("open.sla.breached", language), 0)
    if state == "met":
        return Amount(0.0, translate("open.sla.met", language), 0)
    if state == "none" or risk is None:
        return Amount(None, translate("open.sla.none", language))
    return Amount(round(risk, 4), f"{format_number(100 * risk, 0, language)} %", 0)


def open_cases_section(language: Language) -> html.Section:
    """The panel's frame; the callback fills it for the chosen log."""
    return html.Section(
        [
            html.H2(translate("open.title", language)),
            html.Div(id=ids.MAP_OPEN_CASES),
        ],
        className="kf-card kf-open-cases",
    )


def render_open_cases(store: LogStore, log: str | None, language: Language) -> list[Component]:
    """The panel for ``log``: its model, its open cases with their predictions, or a note."""
    if not log or is_partitioned(store, log):  # a partitioned log's cases: not in memory
        key = "partitioned.no_cases" if log else "open.choose"
        return [note(translate(key, language), compact=True)]
    try:
        predictions = find_predictions(store, log)
    except KitflowError as error:
        return [note(translate("open.error", language, error=str(error)), kind="error")]
    if predictions is None:
        return [note(translate("open.no_model", language, log=log), compact=True)]
    if predictions.withheld:
        return [note(translate("open.withheld", language), kind="warning")]
    card = predictions.card
    parts: list[Component] = [html.P(model_text(card, language), className="kf-muted")]
    frame = predictions.cases
    if frame.is_empty():
        parts.append(note(translate("open.none", language), compact=True))
        return parts
    parts.append(
        html.P(
            translate(
                "open.summary",
                language,
                count=format_int(frame.height, language),
                shown=format_int(min(frame.height, SHOWN), language),
                as_of=format_datetime(predictions.as_of, language),
            ),
            id=ids.MAP_OPEN_CASES_NOTE,
            className="kf-muted",
        )
    )
    table = open_cases_table(frame.head(SHOWN), language)
    parts.append(render_table(table, table_id=ids.MAP_OPEN_CASES_TABLE, compact=True))
    return parts


def model_text(card: dict[str, Any], language: Language) -> str:
    """Which model predicts, how it did on later cases beside its baselines, and the SLA rule."""
    metrics = card["metrics"]
    remaining, nexts, sla = metrics["remaining"], metrics["next_activity"], metrics["sla"]
    rule = card["sla"]
    text = translate(
        "open.model",
        language,
        version=str(card.get("version", "")),
        trained=format_date(dt.datetime.fromisoformat(card["trained_at"]), language),
        mae=format_number(remaining["mae_h"] / 24, 1, language),
        base=format_number(remaining["baseline_last_activity_mae_h"] / 24, 1, language),
        top1=format_number(100 * nexts["top1"], 0, language),
        base_top1=format_number(100 * nexts["baseline_last_activity_top1"], 0, language),
    )
    if rule["mode"] == "none" or sla is None:
        return f"{text} {translate('open.sla_rule.none', language)}"
    brier = translate(
        "open.brier",
        language,
        brier=format_number(sla["brier"], 3, language),
        base=format_number(sla["baseline_brier"], 3, language),
    )
    hours = format_number(rule["hours"] or 0, 0, language)
    sla_rule = translate("open.sla_rule." + str(rule["mode"]), language, hours=hours)
    return f"{text} {sla_rule} {brier}"


def open_cases_table(frame: pl.DataFrame, language: Language) -> TableData:
    """One row per open case: where it stands and what the model expects."""
    columns = (
        Column("case", translate("open.col.case", language)),
        Column("last_activity", translate("open.col.last_activity", language)),
        Column("unit", translate("open.col.unit", language)),
        Column("elapsed", translate("open.col.elapsed", language), numeric=True),
        *prediction_columns(language),
        Column("expected_end", translate("open.col.expected_end", language)),
    )
    rows: list[dict[str, Cell]] = []
    for row in frame.iter_rows(named=True):
        days = row["elapsed_h"] / 24
        rows.append(
            {
                "case": row["case_id"],
                "last_activity": row["last_activity"],
                "unit": row["org_unit"] or "–",
                "elapsed": Amount(round(days, 1), format_number(days, 1, language), 1),
                **prediction_cells(row, language),
                "expected_end": format_datetime(row["expected_end"], language),
            }
        )
    return TableData(columns, tuple(rows))


def register_open_cases(app: dash.Dash, store: LogStore) -> None:
    """Fill the panel when a log is chosen on Procesoverblik."""

    @app.callback(
        Output(ids.MAP_OPEN_CASES, "children"),
        Input(ids.MAP_LOG, "value"),
        State(ids.MAP_LANGUAGE, "data"),
    )
    def show_open_cases(log: str | None, language: str | None) -> list[Component]:
        return render_open_cases(store, log, parse_language(language))
