"""The three sections of the process-analysis page as Dash components: variants, bottlenecks
and handovers between org units (never between people)."""

from __future__ import annotations

from typing import Final

from dash import dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.analysis_data import AnalysisData, HandoverData
from app.dashboard.analysis_views import (
    bottleneck_figure,
    bottleneck_table,
    coverage_text,
    handover_figure,
    handover_table,
    handover_trend_figure,
    localise_units,
    matrix_note,
    ping_pong_text,
    variant_table,
)
from app.dashboard.components import note, render_table
from app.formatting import Language
from app.i18n import translate

TOP_HANDOVERS: Final = 10


def build_sections(data: AnalysisData, log: str, language: Language) -> list[Component]:
    """Variants, bottlenecks and handovers of ``data`` (the analysis of stored log ``log``)."""
    return [
        _variants_section(data, language),
        _bottlenecks_section(data, language),
        _handovers_section(data, log, language),
    ]


def _section(
    section_id: str, title_key: str, language: Language, body: list[Component]
) -> Component:
    heading = html.H2(translate(title_key, language))
    return html.Section([heading, *body], id=section_id, className="kf-card")


def _graph(graph_id: str, figure: object) -> dcc.Graph:
    return dcc.Graph(id=graph_id, figure=figure, config={"displaylogo": False})


def _variants_section(data: AnalysisData, language: Language) -> Component:
    table = variant_table(data.top_variants, data.other_variants, language)
    return _section(
        ids.ANALYSIS_VARIANTS,
        "analysis.variants",
        language,
        [
            html.P(
                coverage_text(data.top_variants, language),
                id=ids.ANALYSIS_COVERAGE,
                className="kf-muted",
            ),
            render_table(table, table_id=ids.ANALYSIS_VARIANT_TABLE, compact=True),
        ],
    )


def _bottlenecks_section(data: AnalysisData, language: Language) -> Component:
    intro = html.P(translate("analysis.bottlenecks_intro", language), className="kf-muted")
    if data.bottlenecks.height == 0:
        body: list[Component] = [intro, note(translate("analysis.no_waits", language))]
    else:
        body = [
            intro,
            render_table(
                bottleneck_table(data.bottlenecks, language),
                table_id=ids.ANALYSIS_BOTTLENECK_TABLE,
                compact=True,
            ),
            html.H3(translate("analysis.bottleneck_chart", language)),
            *_months_note(data.bottleneck_months_withheld, language),
            html.P(translate("analysis.partial_months", language), className="kf-muted"),
            _graph(
                ids.ANALYSIS_BOTTLENECK_CHART,
                bottleneck_figure(data.bottleneck_trend, language, data.months),
            ),
        ]
    return _section(ids.ANALYSIS_BOTTLENECKS, "analysis.bottlenecks", language, body)


def _handovers_section(data: AnalysisData, log: str, language: Language) -> Component:
    intro: Component = html.P(translate("analysis.handovers_intro", language), className="kf-muted")
    if data.handovers is None:
        message = note(translate("analysis.no_org_unit", language, name=log))
        return _section(ids.ANALYSIS_HANDOVERS, "analysis.handovers", language, [intro, message])
    handovers = localise_units(data.handovers, language)
    intro = html.Div([intro, *_people_notes(data, language)])
    ping_pong = html.P(
        ping_pong_text(handovers.ping_pong, handovers.ping_pong_cases, language),
        id=ids.ANALYSIS_PING_PONG,
    )
    if handovers.matrix.height == 0:
        body = [intro, note(translate("analysis.no_handovers", language)), ping_pong]
    else:
        body = [
            intro,
            *_matrix_note(handovers, language),
            _graph(ids.ANALYSIS_HANDOVER_MATRIX, handover_figure(handovers.matrix, language)),
            ping_pong,
            render_table(
                handover_table(handovers.matrix, TOP_HANDOVERS, language),
                table_id=ids.ANALYSIS_HANDOVER_TABLE,
                compact=True,
            ),
            html.H3(translate("analysis.handover_trend", language)),
            *_months_note(handovers.months_withheld, language),
            html.P(translate("analysis.started_cases_note", language), className="kf-muted"),
            _graph(
                ids.ANALYSIS_HANDOVER_TREND,
                handover_trend_figure(handovers.trend, language, data.span),
            ),
        ]
    return _section(ids.ANALYSIS_HANDOVERS, "analysis.handovers", language, body)


def _matrix_note(handovers: HandoverData, language: Language) -> list[Component]:
    text = matrix_note(handovers.matrix, language)
    return [] if text is None else [html.P(text, id=ids.ANALYSIS_MATRIX_NOTE, className="kf-muted")]


def _months_note(count: int, language: Language) -> list[Component]:
    """That ``count`` months of a trend are left out by the 5-person rule (nothing when none)."""
    if count == 0:
        return []
    return [
        html.P(translate("analysis.withheld_months", language, count=count), className="kf-muted")
    ]


def _people_notes(data: AnalysisData, language: Language) -> list[Component]:
    """What the 5-person rule did to the handovers (or that it could count no one)."""
    handovers = data.handovers
    if not data.people_known:
        return [html.P(translate("analysis.no_people", language), className="kf-muted")]
    if handovers is None or handovers.merged == 0:
        return []
    key = "analysis.withheld_units" if handovers.withheld else "analysis.merged_units"
    other = translate("privacy.other", language)
    text = translate(key, language, count=handovers.merged, other=other)
    return [html.P(text, className="kf-muted")]
