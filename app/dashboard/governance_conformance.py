"""The Governance page's conformance section: a chosen log against a process model (a BPMN or
PNML file the analyst sends, or a model discovered from the log), the fitness per variant, the
deviations, and the model drawn as a Petri net (dash-cytoscape, served locally)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

import dash_cytoscape as cyto
from dash import dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import note, render_table
from app.dashboard.workbench import log_picker, table_card
from app.figures.governance import build_net_elements, build_net_layout, build_net_stylesheet
from app.figures.tables import Amount, Cell, Column, TableData
from app.formatting import Language, format_int, format_number
from app.i18n import translate
from models.errors import KitflowError
from models.store import LogStore
from services import ConformanceReport, check_log_conformance, read_model_upload

SHOWN_VARIANTS = 10
DEFAULT_LOG = "servicenow-orders"


def build_conformance_section(flat: list[str], language: Language) -> html.Section:
    """The section's controls and the places its callback fills."""
    chosen = DEFAULT_LOG if DEFAULT_LOG in flat else None
    upload = dcc.Upload(
        html.Div(translate("governance.conf_upload", language)),
        id=ids.GOVERNANCE_CONF_UPLOAD,
        accept=".bpmn,.pnml",
        multiple=False,
        className="kf-upload",
        style={
            "border": "1px dashed #7a8899",
            "borderRadius": "6px",
            "padding": "10px",
            "textAlign": "center",
            "cursor": "pointer",
        },
    )
    return table_card(
        translate("governance.conf_title", language),
        [
            html.P(translate("governance.conf_intro", language), className="kf-muted"),
            html.Div(
                [log_picker(ids.GOVERNANCE_CONF_LOG, flat, chosen, language), upload],
                className="kf-controls",
            ),
            html.Button(
                translate("governance.conf_run", language),
                id=ids.GOVERNANCE_CONF_RUN,
                n_clicks=0,
                className="kf-button",
            ),
            html.P(
                translate("governance.conf_hint", language),
                id=ids.GOVERNANCE_CONF_MODEL,
                className="kf-muted",
            ),
            html.P(id=ids.GOVERNANCE_CONF_SUMMARY),
            html.Div(id=ids.GOVERNANCE_CONF_MESSAGE),
            html.Div(id=ids.GOVERNANCE_CONF_RESULT),
        ],
    )


@dataclass(frozen=True)
class ConformanceView:
    """What the section's callback shows."""

    model: str = ""
    summary: str = ""
    message: Component | None = None
    result: list[Component] = field(default_factory=list)


def render_conformance(
    store: LogStore,
    *,
    log: str | None,
    upload: str | None,
    filename: str | None,
    language: Language,
) -> ConformanceView:
    """The fitness, variants, deviations and net of ``log`` against the uploaded model (or
    one discovered from the log), or a note saying why not."""
    if not log:
        return ConformanceView(message=note(translate("governance.conf_choose", language)))
    try:
        if upload and filename:
            model = read_model_upload(_decode(upload, filename), filename)
            report = check_log_conformance(store, log, model=model, model_name=filename)
            model_text = translate("governance.conf_model_file", language, file=filename)
        else:
            report = check_log_conformance(store, log)
            model_text = translate("governance.conf_discovered", language, log=log)
    except KitflowError as error:
        text = translate("governance.conf_error", language, error=str(error))
        return ConformanceView(message=note(text, kind="error"))
    if report.withheld or report.fitness is None:
        text = translate("governance.conf_withheld", language, name=log)
        return ConformanceView(model=model_text, message=note(text, kind="warning"))
    fitness = report.fitness
    summary = translate(
        "governance.conf_summary",
        language,
        fitness=format_number(fitness.log_fitness, 3, language),
        fitting=format_number(fitness.fitting_cases_pct, 1, language),
        cases=format_int(fitness.cases, language),
        variants=format_int(fitness.variants, language),
    )
    deviations: Component = (
        render_table(
            deviation_table(report, language), table_id=f"{ids.GOVERNANCE_CONF_DEVIATIONS}-table"
        )
        if report.deviations.height
        else note(translate("governance.conf_no_deviations", language))
    )
    net = cyto.Cytoscape(
        id=ids.GOVERNANCE_CONF_NET,
        elements=build_net_elements(report.net),
        layout=build_net_layout(),
        stylesheet=build_net_stylesheet(),
        style={"width": "100%", "height": "420px"},
        userZoomingEnabled=True,
    )
    return ConformanceView(
        model=model_text,
        summary=summary,
        result=[
            html.H3(translate("governance.conf_net", language)),
            net,
            html.H3(translate("governance.conf_variants", language)),
            render_table(
                variant_table(report, language), table_id=f"{ids.GOVERNANCE_CONF_VARIANTS}-table"
            ),
            html.H3(translate("governance.conf_deviations", language)),
            deviations,
        ],
    )


def _decode(upload: str, filename: str) -> bytes:
    """The bytes of a ``dcc.Upload`` value (``data:...;base64,...``)."""
    try:
        return base64.b64decode(upload.partition(",")[2], validate=True)
    except (binascii.Error, ValueError):
        raise KitflowError(f"the file {filename} could not be read; send it again.") from None


def _fitness(value: float, language: Language) -> Amount:
    return Amount(value, format_number(value, 3, language), 3)


def variant_table(report: ConformanceReport, language: Language) -> TableData:
    """The most frequent variants with their fitness; the rest as one row (cases summed,
    fitness weighted by cases)."""
    columns = (
        Column("variant", translate("governance.col.variant", language)),
        Column("activities", translate("governance.col.activities", language)),
        Column("cases", translate("governance.col.cases", language), numeric=True),
        Column("fitness", translate("governance.col.fitness", language), numeric=True),
    )
    top = report.variants.head(SHOWN_VARIANTS)
    rows: list[dict[str, Cell]] = [
        {
            "variant": str(number),
            "activities": " → ".join(row["activities"]),
            "cases": Amount(row["case_count"], format_int(row["case_count"], language)),
            "fitness": _fitness(row["fitness"], language),
        }
        for number, row in enumerate(top.iter_rows(named=True), start=1)
    ]
    rest = report.variants.slice(SHOWN_VARIANTS)
    if rest.height:
        cases = int(rest["case_count"].sum())
        weighted = float((rest["fitness"] * rest["case_count"]).sum()) / cases
        rows.append(
            {
                "variant": "",
                "activities": translate(
                    "governance.conf_other_variants", language, count=format_int(rest.height)
                ),
                "cases": Amount(cases, format_int(cases, language)),
                "fitness": _fitness(weighted, language),
            }
        )
    return TableData(columns, tuple(rows))


def deviation_table(report: ConformanceReport, language: Language) -> TableData:
    """The skipped and inserted activities, the most cases first."""
    columns = (
        Column("activity", translate("governance.col.activity", language)),
        Column("kind", translate("governance.col.kind", language)),
        Column("cases", translate("governance.col.cases", language), numeric=True),
        Column("occurrences", translate("governance.col.occurrences", language), numeric=True),
    )
    frame = report.deviations.sort(["cases", "activity"], descending=[True, False])
    rows: tuple[dict[str, Cell], ...] = tuple(
        {
            "activity": row["activity"],
            "kind": translate(f"governance.kind.{row['kind']}", language),
            "cases": Amount(row["cases"], format_int(row["cases"], language)),
            "occurrences": Amount(row["occurrences"], format_int(row["occurrences"], language)),
        }
        for row in frame.iter_rows(named=True)
    )
    return TableData(columns, rows)


def conformance_outputs(view: ConformanceView) -> tuple[Any, ...]:
    """The callback's outputs in order: model line, summary, message, result."""
    return view.model, view.summary, view.message, view.result
