"""How the savings are measured ("Sådan måles gevinsterne", issue #14).

For a director: the three methods (what each figure is, how it is measured, which data it
reads), which one counts and why, what the band in brackets means; what can fool the
measurement (one entry per cause of models/benefit_checks.py: which methods it can fool and
whether KIT Flow corrects or flags it); and per business case and solution what was found in the
data as of ``?as_of=`` (default: the data's last day), marked corrected or not, with the
methods' disagreements. The per-solution notes are the report's (app/reports/content.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import dash
from dash import html
from dash.development.base_component import Component

from app.dashboard.cockpit_components import as_of_line, coverage_line
from app.dashboard.cockpit_data import CockpitView, load_view, parse_as_of
from app.dashboard.components import note
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import METHOD_PATH
from app.formatting import Language, format_int, format_number
from app.i18n import parse_language, translate
from app.reports.content import SolutionNotes, method_name, solution_notes
from models.benefit_checks import CAUSE_METHODS, CAUSES, DISAGREEMENT_PCT, Cause
from models.benefits import BOOTSTRAP_REPLICATES, METHODS
from models.store import LogStore
from services import (
    CATCH_ALL_SHARE,
    DEMAND_CHANGE_PCT,
    FULL_TAKEOVER,
    INDEX_SHIFT_PCT,
    REGISTRATION_GAP_PCT,
    TAKEOVER_MONTHS,
    UNREGISTERED_SHARE,
)

PATH = METHOD_PATH
# Component ids (the page's namespace ``method-``).
TITLE: Final = "method-title"
MESSAGE: Final = "method-message"
METHODS_ID: Final = "method-methods"
CAUSES_ID: Final = "method-causes"
FOUND: Final = "method-found"
AS_OF: Final = "method-as-of"
COVERAGE: Final = "method-coverage"
SOLUTION: Final = "method-solution"
"""A solution's block: ``{"type": SOLUTION, "key": "<case stem>-<n>"}``."""


def _thresholds(language: Language) -> dict[Cause, dict[str, str]]:
    """The limits below which a cause is too small to name (services/benefit_checks.py)."""

    def whole(value: float) -> str:
        return format_number(value, 0, language)

    return {
        "registration_rounded": {"gap": whole(REGISTRATION_GAP_PCT)},
        "registration_differs": {"gap": whole(REGISTRATION_GAP_PCT)},
        "registration_shift": {"shift": whole(INDEX_SHIFT_PCT)},
        "unregistered_cases": {"share": whole(UNREGISTERED_SHARE * 100)},
        "catch_all": {"share": whole(CATCH_ALL_SHARE * 100)},
        "demand_change": {"change": whole(DEMAND_CHANGE_PCT)},
        "partial_takeover": {
            "share": whole(FULL_TAKEOVER * 100),
            "months": format_int(TAKEOVER_MONTHS, language),
        },
    }


def build_layout(store: LogStore, language: Language, as_of: dt.date | None = None) -> html.Div:
    """The page with every case's solutions as of ``as_of``."""
    return build_page(load_view(store.data, language, as_of, message_id=MESSAGE), language)


def build_page(view: CockpitView, language: Language) -> html.Div:
    """The explanation, then what was found per solution (or the note why there is nothing)."""
    return html.Div(
        [
            html.H1(translate("method.title", language), id=TITLE),
            html.P(translate("method.intro", language), className="kf-lead"),
            _methods(language),
            _which_figure(language),
            _causes(language),
            *_found(view, language),
        ]
    )


# --- The three methods -------------------------------------------------------------------------


def _methods(language: Language) -> html.Section:
    def t(key: str, **values: object) -> str:
        return translate(key, language, **values)

    blocks = [
        html.Div(
            [
                html.H4(method_name(m, language)),
                html.P([html.Strong(t("method.label.how") + ": "), t(f"method.about.{m}")]),
                html.P([html.Strong(t("method.label.data") + ": "), t(f"method.data.{m}")]),
            ],
            className="kf-solution",
        )
        for m in METHODS
    ]
    return html.Section([html.H3(t("method.methods")), *blocks], id=METHODS_ID, className="kf-card")


def _which_figure(language: Language) -> html.Div:
    """Which method counts, and what the band in brackets means: side by side."""
    pct = format_number(DISAGREEMENT_PCT, 0, language)
    replicates = format_int(BOOTSTRAP_REPLICATES, language)
    texts = (
        ("method.primary_title", translate("method.primary", language, pct=pct)),
        ("method.band_title", translate("method.band", language, replicates=replicates)),
    )
    return html.Div(
        [
            html.Section([html.H3(translate(key, language)), html.P(text)], className="kf-card")
            for key, text in texts
        ],
        className="kf-two-columns",
        style={"marginTop": "18px"},
    )


# --- What can fool the measurement -------------------------------------------------------------


def _causes(language: Language) -> html.Section:
    def t(key: str, **values: object) -> str:
        return translate(key, language, **values)

    columns = ("method.col.cause", "method.col.explain", "method.col.fools", "method.col.action")
    thresholds = _thresholds(language)
    rows = [
        html.Tr(
            [
                html.Td(html.Strong(t(f"method.cause.{cause}"))),
                html.Td(t(f"method.cause.{cause}.what")),
                html.Td(_fooled(cause, language)),
                html.Td(t(f"method.cause.{cause}.action", **thresholds.get(cause, {}))),
            ]
        )
        for cause in CAUSES
    ]
    table = html.Table(
        [html.Thead(html.Tr([html.Th(t(key)) for key in columns])), html.Tbody(rows)],
        className="kf-table kf-table--wrap",
    )
    return html.Section(
        [
            html.H3(t("method.fools")),
            html.P(t("method.fools_intro"), className="kf-muted"),
            html.Div(table, className="kf-scroll"),
        ],
        id=CAUSES_ID,
        className="kf-card",
    )


def _fooled(cause: Cause, language: Language) -> str:
    methods = CAUSE_METHODS[cause]
    if not methods:
        return translate("method.fools_none", language)
    return ", ".join(translate(f"method.{m}", language) for m in methods)


# --- Found in the data -------------------------------------------------------------------------


def _found(view: CockpitView, language: Language) -> list[Component]:
    """The heading, the as-of and data lines, then a card per case with its solutions."""
    heading = html.H2(translate("method.found", language), id=FOUND, style={"marginTop": "28px"})
    cockpit = view.cockpit
    if view.message is not None:
        return [heading, view.message]
    cards: list[Component] = []
    for overview in cockpit.overviews:
        notes = solution_notes((overview,), language)
        stem = overview.case_path.stem
        cards.append(
            html.Section(
                [
                    html.H3(overview.title, className="kf-case-title"),
                    *(_solution(n, f"{stem}-{i}", language) for i, n in enumerate(notes, 1)),
                ],
                className="kf-card",
            )
        )
    return [
        heading,
        html.Div(
            [
                as_of_line(cockpit.as_of, language, line_id=AS_OF),
                coverage_line(cockpit.coverage, cockpit.as_of, language, line_id=COVERAGE),
            ],
            className="kf-status-line",
        ),
        html.P(translate("method.found_intro", language), className="kf-muted"),
        *cards,
    ]


def _solution(notes: SolutionNotes, key: str, language: Language) -> html.Div:
    checks: list[Component] = (
        [html.Ul([_check(c.text, c.corrected, c.handled) for c in notes.checks])]
        if notes.checks
        else [html.P(translate("method.no_checks", language))]
    )
    disagreements: list[Component] = []
    if notes.disagreements:
        disagreements = [
            html.P(html.Strong(translate("method.disagreements", language))),
            *(note(text, kind="warning", compact=True) for text in notes.disagreements),
        ]
    elif notes.compared:
        pct = format_number(DISAGREEMENT_PCT, 0, language)
        disagreements = [html.P(translate("method.agree", language, pct=pct), className="kf-muted")]
    return html.Div(
        [
            html.H4(notes.solution),
            html.P(notes.facts, className="kf-muted"),
            *checks,
            *disagreements,
        ],
        id={"type": SOLUTION, "key": key},
        className="kf-solution",
    )


def _check(text: str, corrected: bool, handled: str) -> html.Li:
    badge = "kf-badge kf-badge--good" if corrected else "kf-badge kf-badge--warning"
    return html.Li([html.Span(handled, className=badge), " ", text])


# --- Dash Pages --------------------------------------------------------------------------------


def page_layout(lang: str | None = None, as_of: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), parse_as_of(as_of))


def register(app: dash.Dash, store: LogStore | None = None) -> None:
    """Register the page (it has no callbacks: the layout is all)."""
    del app, store  # the layout reads the serving app's store
    register_page(__name__, path=PATH, name="Metode", order=6, layout=page_layout)
