"""The governance page: the SAFe rules per service area and month against the threshold, and the
work items that break them (id, type, rule, area, iteration: no person), exportable.

What ``kitflow rules NAME --rules ...`` prints, as a trend per service area; the rules and the
threshold come from :mod:`services.governance`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dash
from dash import Input, Output, State, ctx, dcc, html
from dash.development.base_component import Component

from app.dashboard import ids
from app.dashboard.components import empty_store_message, note, render_table
from app.dashboard.data import current_store
from app.dashboard.governance_conformance import (
    build_conformance_section,
    conformance_outputs,
    render_conformance,
)
from app.dashboard.pages import register_page
from app.dashboard.routes import GOVERNANCE_PATH
from app.dashboard.workbench import (
    export_buttons,
    export_table,
    labelled,
    log_picker,
    table_card,
    text_field,
)
from app.figures.governance import build_rule_trend, month_label
from app.figures.tables import Amount, Badge, Cell, Column, TableData
from app.formatting import Language, format_int, format_number
from app.i18n import label_keys, parse_language, translate
from models.errors import KitflowError
from models.store import LogStore
from services import GovernanceReport, compute_governance, find_rule_threshold

PATH = GOVERNANCE_PATH
DEFAULT_LOG = "azure-devops"
SHOWN_ITEMS = 50
"""The drill-down shows this many breaches; the export holds all."""


def build_layout(store: LogStore, language: Language, log: str | None = None) -> html.Div:
    """The page in ``language``; ``log`` (from the URL) preselects a stored flat log."""
    flat = [e.name for e in store.list() if e.kind == "flat"]
    chosen = log if log in flat else (DEFAULT_LOG if DEFAULT_LOG in flat else None)
    head: list[Component] = [
        html.H1(translate("governance.title", language), id=ids.GOVERNANCE_TITLE),
        html.P(translate("governance.intro", language), className="kf-lead"),
    ]
    if not flat:
        head.append(empty_store_message(language, message_id=ids.GOVERNANCE_EMPTY))
    return html.Div(
        [
            *head,
            html.Div(
                [
                    _controls(flat, chosen, find_rule_threshold(store), language),
                    html.P(id=ids.GOVERNANCE_SUMMARY, className="kf-muted"),
                    html.Div(id=ids.GOVERNANCE_MESSAGE),
                    table_card(
                        translate("governance.trend_title", language),
                        [
                            dcc.Graph(
                                id=ids.GOVERNANCE_TREND,
                                config={"displaylogo": False, "modeBarButtons": [["toImage"]]},
                            )
                        ],
                    ),
                    table_card(
                        translate("governance.areas_title", language),
                        [html.Div(id=ids.GOVERNANCE_AREAS)],
                    ),
                    table_card(
                        translate("governance.items_title", language),
                        [
                            html.P(id=ids.GOVERNANCE_ITEMS_NOTE, className="kf-muted"),
                            html.Div(id=ids.GOVERNANCE_ITEMS),
                        ],
                        buttons=export_buttons(
                            ids.GOVERNANCE_CSV,
                            ids.GOVERNANCE_XLSX,
                            ids.GOVERNANCE_DOWNLOAD,
                            language,
                        ),
                    ),
                    build_conformance_section(flat, language),
                ],
                hidden=not flat,
            ),
            dcc.Store(id=ids.GOVERNANCE_LANGUAGE, data=language),
        ]
    )


def _controls(
    flat: list[str], chosen: str | None, threshold: float, language: Language
) -> html.Section:
    def dropdown(label: str, control_id: str, placeholder: str) -> html.Div:
        control = dcc.Dropdown(id=control_id, placeholder=translate(placeholder, language))
        return labelled(translate(label, language), control, control_id)

    return html.Section(
        [
            log_picker(ids.GOVERNANCE_LOG, flat, chosen, language),
            text_field(
                translate("governance.threshold", language),
                ids.GOVERNANCE_THRESHOLD,
                value=format_number(threshold, _decimals(threshold), language),
            ),
            dropdown("governance.area", ids.GOVERNANCE_AREA, "governance.area_placeholder"),
            dropdown("governance.rule", ids.GOVERNANCE_RULE, "governance.rule_placeholder"),
        ],
        className="kf-card kf-controls",
    )


def parse_percent(text: object) -> float | None:
    """A threshold typed as 10, 7,5 or 7.5 (a number from 0 to 100); None when it is not one."""
    try:
        value = float(str(text).strip().replace(" ", "").replace("%", "").replace(",", "."))
    except ValueError:
        return None
    return value if 0 <= value <= 100 else None


@dataclass(frozen=True)
class GovernanceView:
    """What the page's callback shows."""

    figure: dict[str, Any] = field(default_factory=dict)
    areas: Component | None = None
    items: Component | None = None
    items_note: str = ""
    summary: str = ""
    message: Component | None = None
    area_options: list[str] = field(default_factory=list)
    rule_options: list[dict[str, str]] = field(default_factory=list)


def render_governance(
    store: LogStore,
    *,
    log: str | None,
    threshold_text: object,
    area: str | None,
    rule: str | None,
    language: Language,
) -> GovernanceView:
    """The trend, the table per area and the drill-down, or a note saying why not."""
    if not log:
        return GovernanceView(message=note(translate("governance.choose", language)))
    threshold = parse_percent(threshold_text)
    if threshold is None:
        text = translate("governance.bad_threshold", language)
        return GovernanceView(message=note(text, kind="error"))
    try:
        report = compute_governance(store, log, threshold_pct=threshold)
    except KitflowError as error:
        text = translate("governance.error", language, error=str(error))
        return GovernanceView(message=note(text, kind="error"))
    if report.by_area.is_empty():
        text = translate("governance.no_rules", language, file=report.rules_file.name, name=log)
        return GovernanceView(message=note(text, kind="warning"))
    notes: list[Component] = []
    if report.small_rows:
        text = translate("governance.small_rows", language, count=report.small_rows)
        notes.append(note(text, compact=True))
    items = breach_table(report, area, rule, language)
    shown = min(len(items.rows), SHOWN_ITEMS)
    items_note = (
        translate(
            "governance.items_shown",
            language,
            shown=format_int(shown, language),
            total=format_int(len(items.rows), language),
        )
        if len(items.rows) > SHOWN_ITEMS
        else ("" if items.rows else translate("governance.items_none", language))
    )
    visible = TableData(items.columns, items.rows[:SHOWN_ITEMS])
    return GovernanceView(
        figure=build_rule_trend(report.by_month, threshold, language).to_dict(),
        areas=render_table(area_table(report, language), table_id=f"{ids.GOVERNANCE_AREAS}-table"),
        items=render_table(visible, table_id=f"{ids.GOVERNANCE_ITEMS}-table", compact=True),
        items_note=items_note,
        summary=_summary(report, language),
        message=html.Div(notes) if notes else None,
        area_options=report.by_area["org_unit"].to_list(),
        rule_options=[{"label": rule_label(r, language), "value": r} for r in report.rules],
    )


def _summary(report: GovernanceReport, language: Language) -> str:
    over = report.by_area.filter(report.by_area["breaking_pct"] > report.threshold_pct).height
    return translate(
        "governance.summary",
        language,
        items=format_int(int(report.by_area["cases"].sum()), language),
        areas=format_int(report.by_area.height, language),
        over=format_int(over, language),
        threshold=format_number(report.threshold_pct, _decimals(report.threshold_pct), language),
        file=report.rules_file.name,
    )


def _decimals(value: float) -> int:
    """No decimals for a whole number (10 %), one otherwise (7,5 %)."""
    return 0 if float(value).is_integer() else 1


def rule_label(rule: str, language: Language) -> str:
    """A rule's name: the known example rules' in words, any other by its id."""
    key = f"governance.rule.{rule}"
    return translate(key, language) if key in label_keys() else rule


def _int(value: int, language: Language) -> Amount:
    return Amount(value, format_int(value, language))


def area_table(report: GovernanceReport, language: Language) -> TableData:
    """One row per service area, the worst first: items, breaking, share, status and the
    breaking items per rule."""
    columns = (
        Column("area", translate("governance.col.area", language)),
        Column("items", translate("governance.col.items", language), numeric=True),
        Column("breaking", translate("governance.col.breaking", language), numeric=True),
        Column("pct", translate("governance.col.pct", language), numeric=True),
        Column("status", translate("governance.col.status", language)),
        *(Column(f"rule:{r}", rule_label(r, language), numeric=True) for r in report.rules),
    )
    rows: list[dict[str, Cell]] = []
    for row in report.by_area.sort("breaking_pct", "org_unit", descending=[True, False]).iter_rows(
        named=True
    ):
        over = row["breaking_pct"] > report.threshold_pct
        status = Badge(
            translate("governance.over" if over else "governance.under", language),
            "bad" if over else "good",
        )
        rows.append(
            {
                "area": row["org_unit"],
                "items": _int(row["cases"], language),
                "breaking": _int(row["breaking_cases"], language),
                "pct": Amount(
                    row["breaking_pct"], format_number(row["breaking_pct"], 1, language), 1
                ),
                "status": status,
                **{f"rule:{r}": _int(row[r], language) for r in report.rules},
            }
        )
    return TableData(columns, tuple(rows))


def breach_table(
    report: GovernanceReport, area: str | None, rule: str | None, language: Language
) -> TableData:
    """The breaches of ``area`` and ``rule`` (None: all), by area, id and rule."""
    frame = report.breaches
    if area:
        frame = frame.filter(frame["org_unit"] == area)
    if rule:
        frame = frame.filter(frame["rule"] == rule)
    columns = (
        Column("id", translate("governance.col.id", language)),
        Column("type", translate("governance.col.type", language)),
        Column("rule", translate("governance.col.rule", language)),
        Column("area", translate("governance.col.area", language)),
        Column("iteration", translate("governance.col.iteration", language)),
        Column("month", translate("governance.col.month", language)),
    )
    rows = tuple(
        {
            "id": str(row["case_id"]),
            "type": row["work_item_type"] or "–",
            "rule": rule_label(row["rule"], language),
            "area": row["org_unit"],
            "iteration": row["iteration_path"] or "–",
            "month": month_label(row["month"], language),
        }
        for row in frame.iter_rows(named=True)
    )
    return TableData(columns, rows)


def page_layout(lang: str | None = None, log: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang), log)


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page and wire its callbacks: the view, and the breaches' export."""
    register_page(__name__, path=PATH, name="Governance", order=6, layout=page_layout)

    @app.callback(
        Output(ids.GOVERNANCE_TREND, "figure"),
        Output(ids.GOVERNANCE_AREAS, "children"),
        Output(ids.GOVERNANCE_ITEMS, "children"),
        Output(ids.GOVERNANCE_ITEMS_NOTE, "children"),
        Output(ids.GOVERNANCE_SUMMARY, "children"),
        Output(ids.GOVERNANCE_MESSAGE, "children"),
        Output(ids.GOVERNANCE_AREA, "options"),
        Output(ids.GOVERNANCE_RULE, "options"),
        Input(ids.GOVERNANCE_LOG, "value"),
        Input(ids.GOVERNANCE_THRESHOLD, "value"),
        Input(ids.GOVERNANCE_AREA, "value"),
        Input(ids.GOVERNANCE_RULE, "value"),
        State(ids.GOVERNANCE_LANGUAGE, "data"),
    )
    def update(
        log: str | None,
        threshold: object,
        area: str | None,
        rule: str | None,
        language: str | None,
    ) -> tuple[Any, ...]:
        view = render_governance(
            store,
            log=log,
            threshold_text=threshold,
            area=area,
            rule=rule,
            language=parse_language(language),
        )
        return (
            view.figure,
            view.areas,
            view.items,
            view.items_note,
            view.summary,
            view.message,
            view.area_options,
            view.rule_options,
        )

    @app.callback(
        Output(ids.GOVERNANCE_CONF_MODEL, "children"),
        Output(ids.GOVERNANCE_CONF_SUMMARY, "children"),
        Output(ids.GOVERNANCE_CONF_MESSAGE, "children"),
        Output(ids.GOVERNANCE_CONF_RESULT, "children"),
        Input(ids.GOVERNANCE_CONF_RUN, "n_clicks"),
        Input(ids.GOVERNANCE_CONF_UPLOAD, "contents"),
        State(ids.GOVERNANCE_CONF_LOG, "value"),
        State(ids.GOVERNANCE_CONF_UPLOAD, "filename"),
        State(ids.GOVERNANCE_LANGUAGE, "data"),
        # On demand only: the check loads pm4py and discovers a model, seconds on a first run.
        prevent_initial_call=True,
    )
    def update_conformance(
        _run: int | None,
        upload: str | None,
        log: str | None,
        filename: str | None,
        language: str | None,
    ) -> tuple[Any, ...]:
        view = render_conformance(
            store, log=log, upload=upload, filename=filename, language=parse_language(language)
        )
        return conformance_outputs(view)

    @app.callback(
        Output(ids.GOVERNANCE_DOWNLOAD, "data"),
        Input(ids.GOVERNANCE_CSV, "n_clicks"),
        Input(ids.GOVERNANCE_XLSX, "n_clicks"),
        State(ids.GOVERNANCE_LOG, "value"),
        State(ids.GOVERNANCE_THRESHOLD, "value"),
        State(ids.GOVERNANCE_AREA, "value"),
        State(ids.GOVERNANCE_RULE, "value"),
        State(ids.GOVERNANCE_LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def download(
        _csv: int | None,
        _xlsx: int | None,
        log: str | None,
        threshold: object,
        area: str | None,
        rule: str | None,
        language: str | None,
    ) -> dict[str, Any] | None:
        return export_breaches(
            store,
            log=log,
            threshold=threshold,
            area=area,
            rule=rule,
            language=parse_language(language),
            kind="xlsx" if ctx.triggered_id == ids.GOVERNANCE_XLSX else "csv",
        )


def export_breaches(
    store: LogStore,
    *,
    log: str | None,
    threshold: object,
    area: str | None,
    rule: str | None,
    language: Language,
    kind: str,
) -> dict[str, Any] | None:
    """The breaches shown, as a CSV or XLSX download (None when there is nothing to export)."""
    chosen = parse_percent(threshold)
    if not log or chosen is None:
        return None
    try:
        report = compute_governance(store, log, threshold_pct=chosen)
    except KitflowError:
        return None
    table = breach_table(report, area, rule, language)
    title = translate("governance.items_title", language)
    stem = translate("governance.file_stem", language) + f"-{log}"
    return export_table(table, title=title, stem=stem, kind="xlsx" if kind == "xlsx" else "csv")
