"""The *Udfyldningsassistent* (issue #16): the stored models (assignment group, category,
priority) with their model cards, a form to try a suggestion of every target, and the JSON
endpoint ``POST /api/assistant/suggest``.

For analysts and administrators only (:mod:`app.dashboard.auth_access`). The endpoint answers a
signed-in session of those roles (the dashboard's login; others get 401/403 as JSON) or an API
token of scope ``assistant`` (``Authorization: Bearer``, :mod:`app.dashboard.api_tokens`), takes
only ``application/json`` (so a form on another site cannot post to it), and writes every call to
the audit trail.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Final

import dash
import flask
from dash import ALL, Input, Output, State, dcc, html
from dash.development.base_component import Component
from werkzeug.wrappers import Response as BaseResponse

from app.dashboard import auth_access
from app.dashboard.api_tokens import authenticate_bearer, bearer_secret
from app.dashboard.auth import AUTH_KEY, Auth, signed_in_role
from app.dashboard.components import note, render_table
from app.dashboard.data import current_store
from app.dashboard.pages import register_page
from app.dashboard.routes import ASSISTANT_PATH
from app.figures.tables import Column, TableData
from app.formatting import (
    Language,
    format_date_only,
    format_datetime,
    format_int,
    format_number,
)
from app.i18n import parse_language, translate
from models.store import LogStore
from services import (
    AssistantError,
    find_models,
    form_fields,
    suggest_all,
    suggest_groups,
)

PATH = ASSISTANT_PATH
API_PATH: Final = "/api/assistant/suggest"
TRAIN_COMMAND: Final = (
    "kitflow predict train ../shared/data/servicenow-uci-incidents/incident_event_log.zip"
)
# Component ids (the page's namespace ``assistant-``).
TITLE: Final = "assistant-title"
MODELS: Final = "assistant-models"
EMPTY: Final = "assistant-empty"
FIELD: Final = "assistant-field"
"""The type of the form's field ids (``{"type": FIELD, "key": <ticket key>}``)."""
TRY: Final = "assistant-try"
ANSWER: Final = "assistant-answer"
LANGUAGE: Final = "assistant-language"
OPENED: Final = "assistant-opened"
TARGET_ORDER: Final = ("group", "category", "priority")
_SCORES: Final = ("model", "most_frequent", "most_frequent_per_category")


def build_layout(store: LogStore, language: Language) -> html.Div:
    """The page: the form over the latest model of every target, and every stored version's
    card (or how to train a first model)."""
    # the open-case prediction models (open-cases-<log>) are shown on their own pages
    mine = (c for c in find_models(store.data) if not c["name"].startswith("open-cases-"))
    cards = sorted(mine, key=_card_order)
    head: list[Component] = [
        html.H1(translate("assistant.title", language), id=TITLE),
        html.P(translate("assistant.intro", language), className="kf-lead"),
    ]
    if not cards:
        empty = html.Div(
            [
                html.H2(translate("assistant.empty_title", language)),
                html.P(translate("assistant.empty_body", language)),
                html.Pre(html.Code(TRAIN_COMMAND)),
            ],
            id=EMPTY,
            className="kf-empty",
        )
        # The form stays in the page, hidden: its callback's components must be in the layout
        # Dash validates every page's callbacks against.
        hidden = html.Div(_form([], language), style={"display": "none"})
        return html.Div([*head, empty, hidden, dcc.Store(id=LANGUAGE, data=language)])
    try:
        fields = form_fields(store.data)
    except AssistantError as error:
        fields = []
        head.append(note(translate("assistant.error", language, error=error), kind="error"))
    return html.Div(
        [
            *head,
            _form(fields, language),
            html.Div([model_card(card, language) for card in cards], id=MODELS),
            dcc.Store(id=LANGUAGE, data=language),
        ]
    )


def _card_order(card: dict[str, Any]) -> tuple[int, str, int]:
    """Targets in the page's order, then name, then the newest version first."""
    target = str(card.get("target", "group"))
    rank = TARGET_ORDER.index(target) if target in TARGET_ORDER else len(TARGET_ORDER)
    version = str(card["version"])
    return rank, str(card["name"]), -(int(version) if version.isdigit() else 0)


def field_label(key: str, language: Language) -> str:
    """A ticket field's label (the field's own name when the page has no label for it)."""
    try:
        return translate(f"assistant.field.{key}", language)
    except KeyError:
        return key


def _form(fields: list[tuple[str, tuple[str, ...]]], language: Language) -> html.Section:
    def labelled(text: str, control: Component) -> html.Label:
        return html.Label([html.Span(text), control], className="kf-field")

    controls = [
        labelled(
            field_label(key, language),
            dcc.Dropdown(
                [{"label": v, "value": v} for v in values],
                None,
                id={"type": FIELD, "key": key},
                placeholder=translate("assistant.choose", language),
                searchable=True,
            ),
        )
        for key, values in fields
    ]
    opened = dcc.Input(
        id=OPENED,
        type="text",
        placeholder=translate("assistant.opened_placeholder", language),
    )
    return html.Section(
        [
            html.H2(translate("assistant.try_title", language)),
            html.P(translate("assistant.try_body", language), className="kf-muted"),
            html.Div(
                [*controls, labelled(translate("assistant.field.opened_at", language), opened)],
                className="kf-controls",
            ),
            html.Button(
                translate("assistant.try", language), id=TRY, n_clicks=0, className="kf-button"
            ),
            html.Div(id=ANSWER, role="status"),
        ],
        className="kf-card",
    )


def _score(value: float | None, language: Language) -> str:
    return format_number(value, 3, language)


def _day(text: str | None, language: Language) -> str:
    return format_date_only(dt.datetime.fromisoformat(text).date() if text else None, language)


def _threshold_fact(card: dict[str, Any], language: Language) -> str:
    shown = _score(card["threshold"], language)
    if not card.get("threshold_set_at"):
        return shown
    moment = dt.datetime.fromisoformat(str(card["threshold_set_at"]))
    return translate(
        "assistant.card.threshold_set",
        language,
        threshold=shown,
        trained=_score(card.get("trained_threshold"), language),
        when=format_datetime(moment, language),
    )


def model_card(card: dict[str, Any], language: Language) -> html.Section:
    """One stored version's card: its data, period, features and scores beside the baselines."""
    data = card["data"]
    target = str(card.get("target", "group"))
    train, test = data["train_period"], data["test_period"]
    facts = [
        ("assistant.card.target", translate(f"assistant.target.{target}", language)),
        ("assistant.card.source", Path(str(data["source"])).name),
        (
            "assistant.card.rows",
            format_int(data["rows"], language)
            if data.get("rows")
            else translate("assistant.card.all_rows", language),
        ),
        (
            "assistant.card.incidents",
            translate(
                "assistant.card.incidents_value",
                language,
                total=format_int(data["incidents"], language),
                train=format_int(data["train_incidents"], language),
                test=format_int(data["test_incidents"], language),
            ),
        ),
        ("assistant.card.train_period", f"{_day(train[0], language)}–{_day(train[1], language)}"),
        ("assistant.card.test_period", f"{_day(test[0], language)}–{_day(test[1], language)}"),
        (
            "assistant.card.features",
            ", ".join(field_label(f, language) for f in card["features"]),
        ),
        ("assistant.card.threshold", _threshold_fact(card, language)),
        (
            "assistant.card.trained_at",
            format_datetime(dt.datetime.fromisoformat(str(card["trained_at"])), language),
        ),
        ("assistant.card.seed", str(card["seed"])),
    ]
    columns = (
        Column("who", translate("assistant.col.who", language)),
        *(
            Column(key, translate(f"assistant.col.{key}", language), numeric=True)
            for key in ("top1", "top3", "macro_f1", "coverage", "precision", "threshold", "brier")
        ),
    )
    by = field_label(str(card.get("baseline_by", "category")), language).lower()
    names = {
        "model": translate("assistant.who.model", language),
        "most_frequent": translate("assistant.who.most_frequent", language),
        "most_frequent_per_category": translate("assistant.who.most_frequent_by", language, by=by),
    }
    rows = []
    for who in _SCORES:
        s = card["metrics"][who]
        rows.append(
            {
                "who": names[who],
                "top1": _score(s["top1"], language),
                "top3": _score(s["top3"], language),
                "macro_f1": _score(s["macro_f1"], language),
                "coverage": _score(s["coverage"], language),
                "precision": _score(s["precision_at_coverage"], language),
                "threshold": _score(s["threshold"], language),
                "brier": _score(s["brier"], language),
            }
        )
    return html.Section(
        [
            html.H2(f"{card['name']} v{card['version']}"),
            html.Dl([part for key, value in facts for part in _fact(key, value, language)]),
            render_table(
                TableData(columns, tuple(rows)),
                table_id=f"assistant-table-{card['name']}-{card['version']}",
                compact=True,
            ),
            html.P(translate("assistant.card.table_note", language), className="kf-muted"),
            html.P(translate("assistant.card.limits", language), className="kf-muted"),
        ],
        className="kf-card",
        id={"type": "assistant-card", "key": f"{card['name']}-{card['version']}"},
    )


def _fact(key: str, value: str, language: Language) -> list[Component]:
    return [html.Dt(translate(key, language)), html.Dd(value)]


def parse_opened(text: object) -> str | None:
    """The typed filing time as ISO text (31.12.2016 09:30 or 2016-12-31T09:30); None when
    empty; ValueError when it is neither."""
    typed = str(text or "").strip()
    if not typed:
        return None
    for pattern in ("%d.%m.%Y %H:%M", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(typed, pattern).isoformat(timespec="minutes")
        except ValueError:
            pass
    return dt.datetime.fromisoformat(typed).isoformat(timespec="minutes")


def try_suggestion(store: LogStore, values: dict[str, Any], language: Language) -> Component:
    """The answer to the form: per target the value with its confidence and top three, or an
    abstention, or a message saying what is wrong with the input."""
    ticket = {k: str(v).strip() for k, v in values.items() if k != "opened_at" and v}
    if not ticket:
        return note(translate("assistant.need_field", language), kind="warning")
    try:
        opened = parse_opened(values.get("opened_at"))
    except ValueError:
        return note(
            translate("assistant.bad_opened", language, value=values.get("opened_at")),
            kind="warning",
        )
    if opened is not None:
        ticket["opened_at"] = opened
    try:
        answer = suggest_all(store.data, [ticket])[0]
    except AssistantError as error:
        return note(translate("assistant.error", language, error=error), kind="error")
    return html.Div(
        [render_answer(target, said, language) for target, said in answer["targets"].items()]
    )


def _percent(value: float | None, language: Language) -> str:
    return format_number(None if value is None else value * 100, 0, language) + " %"


def render_answer(target: str, said: dict[str, Any], language: Language) -> html.Div:
    """One target's suggestion (value and confidence) or abstention, with the top three."""
    what = translate(f"assistant.target.{target}", language)
    confidence = _percent(said["confidence"], language)
    cut = _percent(said["threshold"], language)
    if said["value"] is None:
        head = note(
            translate(
                "assistant.abstains", language, what=what, confidence=confidence, threshold=cut
            ),
            kind="warning",
        )
    else:
        head = note(
            translate(
                "assistant.suggests",
                language,
                what=what,
                value=said["value"],
                confidence=confidence,
                threshold=cut,
            )
        )
    top = html.Ol(
        [html.Li(f"{t['value']} ({_percent(t['probability'], language)})") for t in said["top3"]],
    )
    return html.Div(
        [head, html.P(translate("assistant.top3", language, what=what.lower())), top],
        className="kf-answer",
        id={"type": "assistant-target", "key": target},
    )


def _json_error(status: int, message: str) -> BaseResponse:
    response = flask.jsonify(error=message)
    response.status_code = status
    return response


def _posted_tickets() -> list[Any] | str:
    """The request's tickets, or what is wrong with the body."""
    if not flask.request.is_json:
        return "send the ticket(s) as JSON (Content-Type: application/json)"
    body = flask.request.get_json(silent=True)
    if body is None:
        return "the body is not valid JSON: send one ticket object or a list of them"
    tickets = body if isinstance(body, list) else [body]
    return tickets or "the list holds no ticket"


def api_suggest(store: LogStore) -> BaseResponse:
    """``POST /api/assistant/suggest``: one ticket (a JSON object) or a list of them; answers
    per ticket every stored target (``suggest_all``: the assignment group under the first
    keys, every target under ``targets``), as a JSON list. ``?name=`` (and ``?version=``)
    asks one model only, answered as the assignment group first was."""
    auth: Auth = flask.current_app.extensions[AUTH_KEY]
    if bearer_secret() is not None:  # an API token of scope assistant (a client script)
        refused = authenticate_bearer(auth, "assistant", "assistant-suggest")
        if refused is not None:
            return refused
    elif (role := signed_in_role(auth)) is None:
        return _json_error(401, "sign in first")
    elif not auth_access.page_allowed(ASSISTANT_PATH, role):
        auth.record("assistant-suggest", API_PATH, outcome="refused")
        return _json_error(403, "your role may not use the fill-in assistant")
    tickets = _posted_tickets()
    if isinstance(tickets, str):
        return _json_error(400, tickets)
    name = flask.request.args.get("name")
    version = flask.request.args.get("version") or None
    target = f"{name or 'every target'} v{version or 'latest'}: {len(tickets)} ticket(s)"
    try:
        answers = (
            suggest_all(store.data, tickets)
            if name is None
            else [
                a.as_json() for a in suggest_groups(store.data, tickets, name=name, version=version)
            ]
        )
    except AssistantError as error:
        auth.record("assistant-suggest", target, outcome="failed")
        return _json_error(400, str(error))
    auth.record("assistant-suggest", target)
    return flask.jsonify(answers)


def page_layout(lang: str | None = None, **_query: str) -> html.Div:
    """What Dash Pages calls with the URL's query parameters."""
    return build_layout(current_store(), parse_language(lang))


def register(app: dash.Dash, store: LogStore) -> None:
    """Register the page, its form's callback and the JSON endpoint."""
    register_page(__name__, path=PATH, name="Udfyldningsassistent", order=13, layout=page_layout)
    app.server.add_url_rule(
        API_PATH, "assistant_suggest", lambda: api_suggest(store), methods=["POST"]
    )

    @app.callback(
        Output(ANSWER, "children"),
        Input(TRY, "n_clicks"),
        State({"type": FIELD, "key": ALL}, "value"),
        State({"type": FIELD, "key": ALL}, "id"),
        State(OPENED, "value"),
        State(LANGUAGE, "data"),
        prevent_initial_call=True,
    )
    def answer(
        _clicks: int, values: list[Any], ids: list[dict[str, str]], opened: Any, language: Any
    ) -> Component:
        typed: dict[str, Any] = {i["key"]: v for i, v in zip(ids, values, strict=True)}
        typed["opened_at"] = opened
        return try_suggestion(store, typed, parse_language(language))
