"""The benefits page ("Gevinster"): an investment case's realised savings, measured three
ways, against the business case, the forecast payback, and its follow-up targets' status.

The cases are the YAML files in ``<data>/business_cases`` that have a follow-up binding file;
``?case=<file stem>`` chooses one (the first when absent). Measuring reads the stored data, so
it is cached per case and version of every file it reads (``app.dashboard.data.load_followup``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dash
import plotly.graph_objects as go
from dash import dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import note, render_table
from app.dashboard.data import current_store, list_business_cases, load_followup
from app.dashboard.pages import register_page
from app.dashboard.routes import BENEFITS_PATH, page_href
from app.evidence import describe
from app.figures.tables import Column, Link, TableData
from app.formatting import Language, format_number
from app.i18n import parse_language, translate
from models.benefits import METHODS
from models.errors import KitflowError
from models.realisation import CaseRealisation, MethodYear
from models.store import LogStore
from services import FollowUpReport

PATH = BENEFITS_PATH


def build_layout(
    store: LogStore, language: Language, case: str | None = None, as_of: dt.date | None = None
) -> html.Div:
    """The page for the case ``case`` (a file stem) in ``language``, status as of ``as_of``."""
    cases = list_business_cases(store.data)
    header: list[Component] = [
        html.H1(translate("benefits.title", language), id=ids.BENEFITS_TITLE),
        html.P(translate("benefits.intro", language), className="kf-lead"),
    ]
    if not cases:
        folder = str(store.data.business_cases())
        message = translate("benefits.no_cases", language, folder=folder)
        return html.Div([*header, note(message, kind="warning", note_id=ids.BENEFITS_MESSAGE)])
    chosen = next((p for p in cases if p.stem == case), cases[0])
    picker = _case_links(cases, chosen, language)
    try:
        report = load_followup(store.data, chosen, as_of or dt.date.today())
    except KitflowError as error:
        message = translate("benefits.error", language, error=str(error))
        return html.Div(
            [*header, picker, note(message, kind="error", note_id=ids.BENEFITS_MESSAGE)]
        )
    return html.Div([*header, picker, *_case_sections(report, language)])


def _case_links(cases: list[Path], chosen: Path, language: Language) -> html.Nav:
    links = [
        dcc.Link(
            path.stem,
            href=page_href(PATH, language, case=path.stem),
            className="kf-nav-link" + (" is-active" if path == chosen else ""),
        )
        for path in cases
    ]
    return html.Nav(links, id=ids.BENEFITS_CASES, className="kf-case-links")


def _case_sections(report: FollowUpReport, language: Language) -> list[Component]:
    realisation = report.realisation
    payback = translate(
        "benefits.payback",
        language,
        pl_year=realisation.price_level_year,
        expected=realisation.expected_payback_years or "-",
        forecast=realisation.forecast_payback_years or "-",
    )
    return [
        html.H2(realisation.title, id=ids.BENEFITS_CASE_TITLE),
        html.P(payback, id=ids.BENEFITS_PAYBACK, className="kf-muted"),
        html.Section(
            [
                html.H3(translate("benefits.savings", language)),
                render_table(savings_table(realisation, language), table_id=ids.BENEFITS_SAVINGS),
                *[
                    note(
                        translate(
                            "benefits.disagree",
                            language,
                            name=s.name,
                            notes="; ".join(s.disagreements),
                        ),
                        kind="warning",
                    )
                    for s in realisation.solutions
                    if s.disagreements
                ],
                dcc.Graph(
                    id=ids.BENEFITS_CHART,
                    figure=savings_figure(realisation, language),
                    config={"displaylogo": False},
                ),
            ],
            className="kf-card",
        ),
        html.Section(
            [
                html.H3(
                    translate("benefits.followup", language, as_of=_day(report.as_of, language))
                ),
                render_table(followup_table(report, language), table_id=ids.BENEFITS_FOLLOWUP),
            ],
            className="kf-card",
        ),
    ]


def _day(day: dt.date, language: Language) -> str:
    return day.strftime("%d-%m-%Y" if language == "da" else "%Y-%m-%d")


def savings_table(realisation: CaseRealisation, language: Language) -> TableData:
    """One row per solution and measured year: expected hours, each method's hours with its
    band, and the realisation of the primary method."""
    columns = (
        Column("solution", translate("benefits.col.solution", language)),
        Column("year", translate("benefits.col.year", language)),
        Column("expected", translate("benefits.col.expected", language), numeric=True),
        *[
            Column(m, translate(f"method.{m}", language).capitalize(), numeric=True)
            for m in METHODS
        ],
        Column("realisation", translate("benefits.col.realisation", language), numeric=True),
    )
    rows = []
    for solution in realisation.solutions:
        for year in solution.years:
            if year.primary_hours is None or year.year < solution.go_live.year:
                continue
            row: dict[str, str | Link] = {
                "solution": solution.name,
                "year": str(year.year),
                "expected": format_number(year.expected_hours, 0, language),
                "realisation": "-"
                if year.realisation_pct is None
                else f"{format_number(year.realisation_pct, 0, language)} %",
            }
            for method in METHODS:
                found = year.measured.get(method)
                row[method] = "-" if found is None else _band(found, language)
            rows.append(row)
    return TableData(columns, tuple(rows))


def _band(found: MethodYear, language: Language) -> str:
    text = format_number(found.hours, 0, language)
    if round(found.low) == round(found.high):
        return text
    low, high = format_number(found.low, 0, language), format_number(found.high, 0, language)
    return f"{text} ({low}–{high})"


def savings_figure(realisation: CaseRealisation, language: Language) -> go.Figure:
    """Hours a year: the case's expectation against measured and forecast savings."""
    expected: dict[int, float] = {}
    for solution in realisation.solutions:
        for year in solution.years:
            expected[year.year] = expected.get(year.year, 0.0) + year.expected_hours
    years = [f.year for f in realisation.forecast]
    measured = [0.0 if f.forecast else f.hours for f in realisation.forecast]
    forecast = [f.hours if f.forecast else 0.0 for f in realisation.forecast]
    figure = go.Figure(
        [
            go.Bar(name=translate("benefits.chart.expected", language), x=years,
                   y=[expected.get(y, 0.0) for y in years]),
            go.Bar(name=translate("benefits.chart.measured", language), x=years, y=measured),
            go.Bar(name=translate("benefits.chart.forecast", language), x=years, y=forecast),
        ]
    )  # fmt: skip
    separators = ",." if language == "da" else ".,"
    figure.update_layout(
        barmode="group",
        separators=separators,
        yaxis_title=translate("benefits.chart.hours", language),
        margin={"l": 60, "r": 20, "t": 20, "b": 40},
        height=340,
    )
    return figure


def followup_table(report: FollowUpReport, language: Language) -> TableData:
    """Each follow-up row: number, status, deadline, target and evidence."""
    columns = (
        Column("number", translate("benefits.col.number", language), numeric=True),
        Column("status", translate("benefits.col.status", language)),
        Column("deadline", translate("benefits.col.deadline", language)),
        Column("target", translate("benefits.col.target", language)),
        Column("evidence", translate("benefits.col.evidence", language)),
    )
    rows: tuple[dict[str, str | Link], ...] = tuple(
        {
            "number": str(t.number),
            "status": translate(f"status.{t.status}", language),
            "deadline": t.deadline_text,
            "target": t.target,
            "evidence": describe(t.evidence, language),
        }
        for t in report.targets
    )
    return TableData(columns, rows)


def page_layout(lang: str | None = None, case: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), case)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page; it has no callbacks, the figures are drawn when the page opens."""
    del app, store
    register_page(__name__, path=PATH, name="Gevinster", order=3, layout=page_layout)
