"""The process-analysis page: variants, bottlenecks and handovers between org units.

The tiny log with org units (UTC times; Copenhagen is UTC+1 in March, UTC+2 from 31 March):

    case 1: a@A 04.03 08:00   b@B 09:00         c@A 11:00           throughput 3 h
    case 2: a@A 05.03 08:00   b@B 10:00         c@A 11:00           throughput 3 h
    case 3: a@A 06.03 08:00   c@C 07.03 08:00                       throughput 24 h
    case 4: a@A 02.04 08:00   b@B 12:00         c@B 03.04 12:00     throughput 28 h
    case 5: a@A 03.04 08:00   b@B 09:00         c@A 10:00           throughput 2 h

Variants: a→b→c 4 cases (80 %), throughput mean 36/4 = 9 h, median of (2, 3, 3, 28) = 3 h;
a→c 1 case (20 %), 24 h.
Waits per arc: b→c 2+1+24+1 = 28 h (4 times, mean 7 h); a→c 24 h (once); a→b 1+2+4+1 = 8 h
(4 times, mean 2 h); 60 h in all, so shares 46,7 %, 40,0 % and 13,3 %. By month of the waited-for
event: March b→c 3 h, a→c 24 h, a→b 3 h; April b→c 25 h, a→c 0 h, a→b 5 h.
Handovers between units: A→B 4 (cases 1, 2, 4, 5), B→A 3 (cases 1, 2, 5), A→C 1 (case 3);
ping-pong A→B→A 3 times in 3 cases (1, 2, 5). Handovers per case by start month: March
(2 + 2 + 1) / 3, April (1 + 2) / 2.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from app.dashboard import create_app, ids
from app.dashboard.analysis_data import AnalysisFilters, list_org_units, load_analysis
from app.dashboard.analysis_views import (
    bottleneck_figure,
    busiest_units,
    format_span,
    handover_matrix,
    matrix_note,
    variant_table,
)
from app.dashboard.pages import analysis
from app.i18n import translate
from extractors.files import ReadOptions
from models.store import LogStore
from services.imports import import_log
from tests.test_dashboard import add_object_centric, by_id, has_id, table_rows, text, walk

TINY_CSV = """case_id,activity,timestamp,org_unit
1,a,2024-03-04T08:00:00Z,A
1,b,2024-03-04T09:00:00Z,B
1,c,2024-03-04T11:00:00Z,A
2,a,2024-03-05T08:00:00Z,A
2,b,2024-03-05T10:00:00Z,B
2,c,2024-03-05T11:00:00Z,A
3,a,2024-03-06T08:00:00Z,A
3,c,2024-03-07T08:00:00Z,C
4,a,2024-04-02T08:00:00Z,A
4,b,2024-04-02T12:00:00Z,B
4,c,2024-04-03T12:00:00Z,B
5,a,2024-04-03T08:00:00Z,A
5,b,2024-04-03T09:00:00Z,B
5,c,2024-04-03T10:00:00Z,A
"""

ALL = AnalysisFilters()
APRIL = AnalysisFilters(dt.date(2024, 4, 1), dt.date(2024, 4, 30))

VARIANT_ROWS_DA = [
    ["1", "a → b → c", "3", "4", "80,0 %", "9,0 timer", "3,0 timer"],
    ["2", "a → c", "2", "1", "20,0 %", "1,0 dage", "1,0 dage"],
]
BOTTLENECK_ROWS_DA = [
    ["1", "b", "c", "4", "7,0 timer", "1,2 dage", "46,7 %"],
    ["2", "a", "c", "1", "1,0 dage", "1,0 dage", "40,0 %"],
    ["3", "a", "b", "4", "2,0 timer", "8,0 timer", "13,3 %"],
]
HANDOVER_ROWS_DA = [
    ["A", "B", "4", "4", "50,0 %"],
    ["B", "A", "3", "3", "37,5 %"],
    ["A", "C", "1", "1", "12,5 %"],
]


def import_csv(log_store: LogStore, folder: Path, name: str, content: str) -> None:
    """Import ``content`` as a CSV file, the way a user imports one."""
    path = folder / f"{name}.csv"
    path.write_text(content, encoding="utf-8")
    import_log(log_store, path, name=name, options=ReadOptions())


def many_variants_csv() -> str:
    """14 cases: a→b twice (0 s), then a→k01 ... a→k12 once each, case k<j> taking j hours."""
    lines = ["case_id,activity,timestamp"]
    start = dt.datetime(2024, 5, 6, 8, 0, tzinfo=dt.UTC)
    for case in ("x1", "x2"):
        lines += [f"{case},a,{start:%Y-%m-%dT%H:%M:%SZ}", f"{case},b,{start:%Y-%m-%dT%H:%M:%SZ}"]
    for j in range(1, 13):
        end = start + dt.timedelta(hours=j)
        lines += [f"k{j},a,{start:%Y-%m-%dT%H:%M:%SZ}", f"k{j},k{j:02d},{end:%Y-%m-%dT%H:%M:%SZ}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LogStore]:
    """A store with ``tiny`` (org units), ``many`` (13 variants, no org units)."""
    log_store = LogStore(tmp_path / "data")
    import_csv(log_store, tmp_path, "tiny", TINY_CSV)
    import_csv(log_store, tmp_path, "many", many_variants_csv())
    yield log_store
    log_store.catalog.dispose()


def view_rows(view: analysis.AnalysisView, table_id: str) -> list[list[str]]:
    return table_rows(by_id(view.sections, table_id))


# --- formats and pure figures -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "danish", "english"),
    [
        (276480.0, "3,2 dage", "3.2 days"),
        (86400.0, "1,0 dage", "1.0 days"),
        (5400.0, "1,5 timer", "1.5 hours"),
        (750.0, "12,5 min", "12.5 min"),
        (42.0, "42 sek", "42 s"),
        (None, "–", "–"),
    ],
)
def test_durations_in_readable_units(seconds: float | None, danish: str, english: str) -> None:
    assert format_span(seconds, "da") == danish
    assert format_span(seconds, "en") == english


def test_variant_table_in_english_labels_and_formats(store: LogStore) -> None:
    data = load_analysis(store, "tiny", ALL)
    table = variant_table(data.top_variants, data.other_variants, "en")
    assert [c.label for c in table.columns] == [
        "No.", "Variant", "Events", "Cases", "Share", "Mean throughput", "Median throughput",
    ]  # fmt: skip
    assert table.rows[0] == {
        "rank": "1",
        "variant": "a → b → c",
        "events": "3",
        "cases": "4",
        "share": "80.0 %",
        "mean": "9.0 hours",
        "median": "3.0 hours",
    }
    danish = variant_table(data.top_variants, data.other_variants, "da")
    assert [c.label for c in danish.columns][3:6] == ["Sager", "Andel", "Gns. gennemløbstid"]


def test_handover_matrix_cells() -> None:
    matrix = pl.DataFrame(
        {"source": ["A", "B", "A"], "target": ["B", "A", "C"], "handovers": [4, 3, 1]}
    )
    assert handover_matrix(matrix) == (["A", "B", "C"], [[0, 4, 1], [3, 0, 0], [0, 0, 0]])


def test_the_matrix_keeps_the_busiest_units_and_says_so() -> None:
    matrix = pl.DataFrame(
        {"source": ["A", "B", "A"], "target": ["B", "A", "C"], "handovers": [4, 3, 1]}
    )
    # Given plus received: A 4 + 1 + 3 = 8, B 3 + 4 = 7, C 1.
    assert busiest_units(matrix, 2) == ["A", "B"]
    assert handover_matrix(matrix, 2) == (["A", "B"], [[0, 4], [3, 0]])
    assert matrix_note(matrix, "da") is None
    # A chain of 16 units, each handing over to the next once: the middle ones are the busiest.
    chain = pl.DataFrame(
        {
            "source": [f"U{i:02d}" for i in range(1, 16)],
            "target": [f"U{i:02d}" for i in range(2, 17)],
            "handovers": [1] * 15,
        }
    )
    units, _z = handover_matrix(chain)
    assert units == [f"U{i:02d}" for i in range(2, 16)] + ["U01"]
    assert matrix_note(chain, "en") == (
        "The matrix shows the 15 units with the most handovers, of 16 units with handovers; "
        "the table below shows the most frequent handovers."
    )


# --- what the page computes -----------------------------------------------------------------


def test_the_tiny_log_has_the_hand_computed_figures(store: LogStore) -> None:
    data = load_analysis(store, "tiny", ALL)
    assert (data.cases, data.variant_count, data.other_variants) == (5, 2, None)
    assert data.bottlenecks.select("source", "target", "rank", "frequency").rows() == [
        ("b", "c", 1, 4),
        ("a", "c", 2, 1),
        ("a", "b", 3, 4),
    ]
    assert data.bottlenecks["total_wait_s"].to_list() == [28 * 3600.0, 24 * 3600.0, 8 * 3600.0]
    assert data.bottleneck_trend.rows() == [
        (dt.date(2024, 3, 1), "b", "c", 3 * 3600.0),
        (dt.date(2024, 4, 1), "b", "c", 25 * 3600.0),
        (dt.date(2024, 3, 1), "a", "c", 24 * 3600.0),
        (dt.date(2024, 4, 1), "a", "c", 0.0),
        (dt.date(2024, 3, 1), "a", "b", 3 * 3600.0),
        (dt.date(2024, 4, 1), "a", "b", 5 * 3600.0),
    ]
    handovers = data.handovers
    assert handovers is not None
    units, z = handover_matrix(handovers.matrix)
    assert (units, z) == (["A", "B", "C"], [[0, 4, 1], [3, 0, 0], [0, 0, 0]])
    assert handovers.ping_pong.rows() == [("A", "B", 3, 3)]
    assert handovers.ping_pong_cases == 3
    assert handovers.trend.select("month", "cases", "handovers").rows() == [
        (dt.date(2024, 3, 1), 3, 5),
        (dt.date(2024, 4, 1), 2, 3),
    ]
    assert handovers.trend["mean_handovers_per_case"].to_list() == pytest.approx([5 / 3, 1.5])
    assert list_org_units(store, "tiny") == ("A", "B", "C")
    assert list_org_units(store, "many") == ()


def test_the_rest_of_the_variants_is_one_row(store: LogStore) -> None:
    data = load_analysis(store, "many", ALL)
    assert (data.cases, data.variant_count) == (14, 13)
    rows = variant_table(data.top_variants, data.other_variants, "da").rows
    assert len(rows) == 11
    assert [r["variant"] for r in rows[:3]] == ["a → b", "a → k01", "a → k02"]
    # The rest: a→k10, a→k11, a→k12, taking 10, 11 and 12 hours.
    assert rows[10] == {
        "rank": "",
        "variant": "Øvrige varianter (3)",
        "events": "",
        "cases": "3",
        "share": "21,4 %",
        "mean": "11,0 timer",
        "median": "11,0 timer",
    }
    page = analysis.render_analysis(store, "many", ALL, "da")
    coverage = text(by_id(page.sections, ids.ANALYSIS_COVERAGE))
    assert coverage == "De 10 hyppigste varianter dækker 78,6 % af sagerne."


# --- the rendered sections ----------------------------------------------------------------


def test_three_sections_of_the_tiny_log_in_danish(store: LogStore) -> None:
    view = analysis.render_analysis(store, "tiny", ALL, "da")
    assert view.message is None
    assert view.summary == "Sager: 5 · varianter: 2 · periode: 04.03.2024 – 03.04.2024"
    assert view_rows(view, ids.ANALYSIS_VARIANT_TABLE) == VARIANT_ROWS_DA
    coverage = text(by_id(view.sections, ids.ANALYSIS_COVERAGE))
    assert coverage == "De 2 hyppigste varianter dækker 100,0 % af sagerne."
    assert view_rows(view, ids.ANALYSIS_BOTTLENECK_TABLE) == BOTTLENECK_ROWS_DA
    assert view_rows(view, ids.ANALYSIS_HANDOVER_TABLE) == HANDOVER_ROWS_DA
    ping_pong = text(by_id(view.sections, ids.ANALYSIS_PING_PONG))
    assert ping_pong == "Ping-pong (A → B → A): 3 · sager med ping-pong: 3"
    heatmap = by_id(view.sections, ids.ANALYSIS_HANDOVER_MATRIX).figure.data[0]
    assert list(heatmap.x) == ["A", "B", "C"]
    assert [list(row) for row in heatmap.z] == [[0, 4, 1], [3, 0, 0], [0, 0, 0]]
    trend = by_id(view.sections, ids.ANALYSIS_HANDOVER_TREND).figure
    assert list(trend.data[0].y) == pytest.approx([5 / 3, 1.5])
    assert trend.layout.separators == ",."
    assert trend.layout.xaxis.tickformat == "%m.%Y"


def test_bottleneck_chart_has_the_top_three_arcs_per_month(store: LogStore) -> None:
    data = load_analysis(store, "tiny", ALL)
    figure = bottleneck_figure(data.bottleneck_trend, "en")
    assert [line.name for line in figure.data] == ["b → c", "a → c", "a → b"]
    assert [list(line.y) for line in figure.data] == [[3.0, 25.0], [24.0, 0.0], [3.0, 5.0]]
    assert list(figure.data[0].x) == [dt.date(2024, 3, 1), dt.date(2024, 4, 1)]
    assert figure.layout.yaxis.title.text == "Waiting (hours)"
    assert figure.layout.separators == ".,"


def test_english_sections(store: LogStore) -> None:
    view = analysis.render_analysis(store, "tiny", ALL, "en")
    assert view.summary == "Cases: 5 · variants: 2 · period: 2024-03-04 – 2024-04-03"
    assert view_rows(view, ids.ANALYSIS_BOTTLENECK_TABLE)[0] == [
        "1", "b", "c", "4", "7.0 hours", "1.2 days", "46.7 %",
    ]  # fmt: skip
    headings = [text(by_id(view.sections, i).children[0]) for i in _SECTION_IDS]
    assert headings == ["Variants", "Bottlenecks", "Handovers between units"]
    ping_pong = text(by_id(view.sections, ids.ANALYSIS_PING_PONG))
    assert ping_pong == "Ping-pong (A → B → A): 3 · cases with ping-pong: 3"


_SECTION_IDS = (ids.ANALYSIS_VARIANTS, ids.ANALYSIS_BOTTLENECKS, ids.ANALYSIS_HANDOVERS)


def test_period_filter_keeps_the_cases_active_in_it(store: LogStore) -> None:
    april = analysis.render_analysis(store, "tiny", APRIL, "da")
    assert april.summary == "Sager: 2 · varianter: 1 · periode: 01.04.2024 – 30.04.2024"
    assert view_rows(april, ids.ANALYSIS_VARIANT_TABLE) == [
        ["1", "a → b → c", "3", "2", "100,0 %", "15,0 timer", "15,0 timer"]
    ]
    assert view_rows(april, ids.ANALYSIS_HANDOVER_TABLE) == [
        ["A", "B", "2", "2", "66,7 %"],
        ["B", "A", "1", "1", "33,3 %"],
    ]
    ping_pong = text(by_id(april.sections, ids.ANALYSIS_PING_PONG))
    assert ping_pong == "Ping-pong (A → B → A): 1 · sager med ping-pong: 1"
    # The last day counts whole, in Copenhagen time: case 3 starts 06.03 09:00 there.
    to_6th = load_analysis(store, "tiny", AnalysisFilters(end=dt.date(2024, 3, 6)))
    to_5th = load_analysis(store, "tiny", AnalysisFilters(end=dt.date(2024, 3, 5)))
    assert (to_6th.cases, to_5th.cases) == (3, 2)
    # Intersecting: case 3 (06.03-07.03) is active on 07.03.
    from_7th = load_analysis(store, "tiny", AnalysisFilters(start=dt.date(2024, 3, 7)))
    assert from_7th.cases == 3


def test_org_unit_filter_keeps_the_cases_that_touch_the_unit(store: LogStore) -> None:
    unit_c = analysis.render_analysis(store, "tiny", AnalysisFilters(org_units=("C",)), "da")
    assert view_rows(unit_c, ids.ANALYSIS_VARIANT_TABLE) == [
        ["1", "a → c", "2", "1", "100,0 %", "1,0 dage", "1,0 dage"]
    ]
    assert view_rows(unit_c, ids.ANALYSIS_BOTTLENECK_TABLE) == [
        ["1", "a", "c", "1", "1,0 dage", "1,0 dage", "100,0 %"]
    ]
    assert view_rows(unit_c, ids.ANALYSIS_HANDOVER_TABLE) == [["A", "C", "1", "1", "100,0 %"]]
    ping_pong = text(by_id(unit_c.sections, ids.ANALYSIS_PING_PONG))
    assert ping_pong == "Ping-pong (A → B → A): 0 · sager med ping-pong: 0"
    # Both filters at once: April cases touching C (none).
    both = analysis.render_analysis(
        store, "tiny", AnalysisFilters(APRIL.start, APRIL.end, ("C",)), "en"
    )
    assert "No cases of the log tiny match the period and units" in text(both.message)


# --- notes instead of errors --------------------------------------------------------------


def test_notes_instead_of_sections(store: LogStore) -> None:
    add_object_centric(store)
    nothing = analysis.render_analysis(store, None, ALL, "da")
    assert text(nothing.message).startswith("Vælg en hændelseslog ovenfor")
    assert nothing.sections == []

    ocel = analysis.render_analysis(store, "orders-ocel", ALL, "en")
    assert "must be flattened on import with --object-type" in text(ocel.message)

    march_20 = AnalysisFilters(dt.date(2024, 3, 20), dt.date(2024, 3, 20))
    empty = analysis.render_analysis(store, "tiny", march_20, "da")
    assert text(empty.message) == (
        "Ingen sager i loggen tiny matcher perioden og enhederne. Udvid perioden eller vælg "
        "andre enheder."
    )
    assert empty.sections == []

    missing = analysis.render_analysis(store, "gone", ALL, "da")
    assert text(missing.message).startswith("Analysen kunne ikke beregnes: ")
    assert "no stored log is named 'gone'" in text(missing.message)


def test_a_mining_error_is_shown_with_its_message(store: LogStore) -> None:
    # ``many`` has no org units, so filtering on one is an input error from mining.
    view = analysis.render_analysis(store, "many", AnalysisFilters(org_units=("A",)), "en")
    message = text(view.message)
    assert message.startswith("Could not compute the analysis: the log has no column 'org_unit'")
    assert view.sections == []


def test_a_log_without_org_units_gets_a_note_instead_of_handovers(store: LogStore) -> None:
    view = analysis.render_analysis(store, "many", ALL, "da")
    section = by_id(view.sections, ids.ANALYSIS_HANDOVERS)
    assert "Loggen many har ingen kolonne med enheder" in text(section)
    assert "--group KOLONNE" in text(section)
    assert not has_id(view.sections, ids.ANALYSIS_HANDOVER_MATRIX)
    assert has_id(view.sections, ids.ANALYSIS_VARIANT_TABLE)


# --- the page layout and callbacks ----------------------------------------------------------


def test_layout_preselects_the_log_and_its_filters(store: LogStore) -> None:
    add_object_centric(store)
    page = analysis.build_layout(store, "da", log="tiny")
    assert text(by_id(page, ids.ANALYSIS_TITLE)) == "Procesanalyse"
    dropdown = by_id(page, ids.ANALYSIS_LOG)
    assert dropdown.options == [
        {"label": "many", "value": "many"},
        {"label": "tiny", "value": "tiny"},
    ]
    assert dropdown.value == "tiny"
    period = by_id(page, ids.ANALYSIS_PERIOD)
    assert (period.start_date, period.end_date) == ("2024-03-04", "2024-04-03")
    assert period.display_format == "DD.MM.YYYY"
    assert by_id(page, ids.ANALYSIS_ORG_UNITS).options == ["A", "B", "C"]
    assert by_id(page, ids.ANALYSIS_ORG_UNITS_FIELD).hidden is False
    assert "Objektcentrerede logs (orders-ocel)" in text(page)
    # No resource filter or view anywhere on the page.
    shown = [text(page), *(str(getattr(n, "id", "")) for n in walk(page))]
    assert not [s for s in shown if "resource" in s.lower() or "ressource" in s.lower()]


def test_layout_without_a_log_and_of_a_log_without_org_units(store: LogStore) -> None:
    page = analysis.build_layout(store, "en", log="nope")
    assert by_id(page, ids.ANALYSIS_LOG).value is None
    assert by_id(page, ids.ANALYSIS_PERIOD).start_date is None
    assert by_id(page, ids.ANALYSIS_ORG_UNITS_FIELD).hidden is True
    assert text(by_id(page, ids.ANALYSIS_TITLE)) == "Process analysis"
    many = analysis.build_layout(store, "en", log="many")
    assert by_id(many, ids.ANALYSIS_ORG_UNITS_FIELD).hidden is True
    assert by_id(many, ids.ANALYSIS_PERIOD).display_format == "YYYY-MM-DD"


def test_empty_store_page_says_how_to_import(tmp_path: Path) -> None:
    empty = LogStore(tmp_path / "empty")
    try:
        page = analysis.build_layout(empty, "da")
        assert "kitflow import" in text(by_id(page, ids.ANALYSIS_EMPTY))
        assert by_id(page, ids.ANALYSIS_WORKSPACE).hidden is True
    finally:
        empty.catalog.dispose()


def test_parse_filters_from_the_controls() -> None:
    assert analysis.parse_filters("2024-04-01T00:00:00", "2024-04-30", ["B", "A"]) == (
        AnalysisFilters(dt.date(2024, 4, 1), dt.date(2024, 4, 30), ("A", "B"))
    )
    assert analysis.parse_filters(None, None, None) == AnalysisFilters()


def test_analysis_is_cached_per_log_and_filters(store: LogStore) -> None:
    first = load_analysis(store, "tiny", APRIL)
    assert load_analysis(store, "tiny", APRIL) is first
    assert load_analysis(store, "tiny", ALL) is not first


def post_callback(client: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data
    return dict(json.loads(response.data)["response"])


def test_app_serves_the_page_and_its_callbacks(
    store: LogStore, sign_in: Callable[..., Any]
) -> None:
    app = create_app(store)
    client = sign_in(app.server.test_client(), "analyst")
    assert client.get("/analysis?log=tiny&lang=en").status_code == 200

    outputs = [
        {"id": ids.ANALYSIS_RESULT, "property": "children"},
        {"id": ids.ANALYSIS_SUMMARY, "property": "children"},
        {"id": ids.ANALYSIS_MESSAGE, "property": "children"},
        {"id": ids.ANALYSIS_SEARCH, "property": "data"},
    ]
    body = post_callback(
        client,
        {
            "output": "..analysis-result.children...analysis-summary.children"
            "...analysis-message.children...analysis-search.data..",
            "outputs": outputs,
            "inputs": [
                {"id": ids.ANALYSIS_LOG, "property": "value", "value": "tiny"},
                {"id": ids.ANALYSIS_PERIOD, "property": "start_date", "value": "2024-04-01"},
                {"id": ids.ANALYSIS_PERIOD, "property": "end_date", "value": "2024-04-30"},
                {"id": ids.ANALYSIS_ORG_UNITS, "property": "value", "value": []},
            ],
            "state": [{"id": ids.ANALYSIS_LANGUAGE, "property": "data", "value": "en"}],
            "changedPropIds": [f"{ids.ANALYSIS_LOG}.value"],
        },
    )
    assert body[ids.ANALYSIS_SUMMARY]["children"] == (
        "Cases: 2 · variants: 1 · period: 2024-04-01 – 2024-04-30"
    )
    assert body[ids.ANALYSIS_MESSAGE]["children"] is None
    # The view in the address, so the language links and a copied link keep it.
    assert body[ids.ANALYSIS_SEARCH]["data"] == "?log=tiny&start=2024-04-01&end=2024-04-30&lang=en"

    reset_outputs = [
        (ids.ANALYSIS_PERIOD, "start_date"),
        (ids.ANALYSIS_PERIOD, "end_date"),
        (ids.ANALYSIS_PERIOD, "min_date_allowed"),
        (ids.ANALYSIS_PERIOD, "max_date_allowed"),
        (ids.ANALYSIS_ORG_UNITS, "options"),
        (ids.ANALYSIS_ORG_UNITS, "value"),
        (ids.ANALYSIS_ORG_UNITS_FIELD, "hidden"),
    ]
    reset = post_callback(
        client,
        {
            "output": ".." + "...".join(f"{i}.{p}" for i, p in reset_outputs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in reset_outputs],
            "inputs": [{"id": ids.ANALYSIS_LOG, "property": "value", "value": "many"}],
            "changedPropIds": [f"{ids.ANALYSIS_LOG}.value"],
        },
    )
    assert reset[ids.ANALYSIS_PERIOD] == {
        "start_date": "2024-05-06",
        "end_date": "2024-05-06",
        "min_date_allowed": "2024-05-06",
        "max_date_allowed": "2024-05-06",
    }
    assert reset[ids.ANALYSIS_ORG_UNITS] == {"options": [], "value": []}
    assert reset[ids.ANALYSIS_ORG_UNITS_FIELD] == {"hidden": True}


def test_the_page_label_in_both_languages() -> None:
    assert translate("nav.analysis", "da") == "Procesanalyse"
    assert translate("nav.analysis", "en") == "Process analysis"
    assert analysis.PATH == "/analysis"


# --- in a real browser ------------------------------------------------------------------------


@pytest.fixture
def url(
    tmp_path: Path,
    live_server: Callable[[Any], str],
    monkeypatch: pytest.MonkeyPatch,
    browser: Any,
    sign_in: Callable[..., Any],
) -> str:
    """A dashboard serving the default store, pointed at a data folder holding ``tiny`` and
    ``many``."""
    folder = tmp_path / "kitflow-data"
    log_store = LogStore(folder)
    import_csv(log_store, tmp_path, "tiny", TINY_CSV)
    import_csv(log_store, tmp_path, "many", many_variants_csv())
    log_store.catalog.dispose()
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(folder))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    app = create_app()
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    return base


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")
def test_browser_shows_the_three_sections(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    from tests.test_dashboard_e2e import text_of, wait_for  # noqa: PLC0415

    def first_row(table_id: str) -> Callable[[Any], list[str]]:
        def cells(b: Any) -> list[str]:
            rows = b.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
            return [str(td.text) for td in rows[0].find_elements(By.TAG_NAME, "td")] if rows else []

        return cells

    browser.get(url + "/analysis?log=tiny")
    assert wait_for(browser, lambda b: text_of(b, ids.ANALYSIS_TITLE)) == "Procesanalyse"
    variants = first_row(ids.ANALYSIS_VARIANT_TABLE)
    assert wait_for(browser, lambda b: variants(b) == VARIANT_ROWS_DA[0])
    assert first_row(ids.ANALYSIS_BOTTLENECK_TABLE)(browser) == BOTTLENECK_ROWS_DA[0]
    assert first_row(ids.ANALYSIS_HANDOVER_TABLE)(browser) == HANDOVER_ROWS_DA[0]
    headings = [text_of(browser, i).split("\n")[0] for i in _SECTION_IDS]
    assert headings == ["Varianter", "Flaskehalse", "Overleveringer mellem enheder"]
    ping_pong = text_of(browser, ids.ANALYSIS_PING_PONG)
    assert ping_pong == "Ping-pong (A → B → A): 3 · sager med ping-pong: 3"
    # The heatmap and the two line charts are drawn by plotly in the page.
    assert wait_for(
        browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, ".js-plotly-plot")) == 3
    )
    browser.set_window_size(1440, 2600)
    browser.save_screenshot("/tmp/kitflow-e2e-analysis.png")

    # Another log: its own period, no org-unit filter, and a note instead of handovers.
    wait_for(browser, lambda b: b.find_elements(By.ID, ids.ANALYSIS_LOG))[0].click()
    options = ".dash-dropdown-option"
    wait_for(
        browser,
        lambda b: next(
            (o for o in b.find_elements(By.CSS_SELECTOR, options) if o.text == "many"), None
        ),
    ).click()
    many_first = ["1", "a → b", "2", "2", "14,3 %", "0 sek", "0 sek"]
    assert wait_for(browser, lambda b: variants(b) == many_first)
    assert wait_for(
        browser,
        lambda b: (
            text_of(b, ids.ANALYSIS_SUMMARY)
            == "Sager: 14 · varianter: 13 · periode: 06.05.2024 – 06.05.2024"
        ),
    )
    assert "Loggen many har ingen kolonne med enheder" in text_of(browser, ids.ANALYSIS_HANDOVERS)
    assert not browser.find_element(By.ID, ids.ANALYSIS_ORG_UNITS_FIELD).is_displayed()
