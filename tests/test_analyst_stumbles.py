"""What an analyst stumbled on (issue #15), each fixed and checked here.

- Danish numbers in every chart: separators, axes, hovers and colour bars without SI suffixes
  (14.673, not 14,673k), from one place (``app.figures.chart_style.apply_number_format``).
- ``kitflow bottlenecks --by month`` prints "–" for a month without waiting, never "nan %".
- Monthly charts mark the partial first and last months and show each month's case count.
- One org unit, two spellings ("Drift & Infrastruktur" in ServiceNow, "Drift og
  Infrastruktur" in DevOps) is one unit in ``kit-orders``: no false handovers between them.
- The analysis page answers a mistyped or reversed period with a message (never HTTP 500),
  speaks Danish in its calendar and multi-selects, and keeps log, period and units in the URL,
  so switching language keeps them.

One hand-made log: March 2024 has 5 cases by 5 people (a at 08:00, b at 09:00: one hour of
waiting each), April 5 cases by the same 5 people with a and b at the same moment (no waiting).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
import pytest

from app.cli import cli
from app.dashboard import create_app, ids
from app.dashboard.analysis_data import AnalysisFilters, is_partial_month, load_analysis
from app.dashboard.analysis_views import (
    bottleneck_figure,
    handover_figure,
    handover_trend_figure,
    month_labels,
)
from app.dashboard.pages import analysis
from app.figures.chart_style import apply_number_format
from extractors.files import ReadOptions
from mining import compute_handovers, find_bottlenecks
from models.store import LogStore
from services.imports import import_log
from tests.cli_support import runner
from tests.conftest import KitLandscape
from tests.test_dashboard import by_id, text
from tests.test_dashboard_analysis import post_callback

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)


def _csv() -> str:
    lines = ["case_id,activity,timestamp,org_unit,resource"]
    for i in range(5):
        march, april = f"2024-03-{4 + i:02d}", f"2024-04-{1 + i:02d}"
        lines += [f"m{i},a,{march}T08:00:00Z,A,e{i}", f"m{i},b,{march}T09:00:00Z,B,e{i}"]
        lines += [f"p{i},a,{april}T08:00:00Z,A,e{i}", f"p{i},b,{april}T08:00:00Z,B,e{i}"]
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LogStore]:
    store = LogStore(tmp_path / "data")
    path = tmp_path / "months.csv"
    path.write_text(_csv(), encoding="utf-8")
    import_log(store, path, name="months", options=ReadOptions())
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(store.data_dir))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    yield store
    store.catalog.dispose()


# ------------------------------------------------------------------------- numbers in charts


def test_every_analysis_chart_writes_danish_numbers_without_si_suffixes() -> None:
    trend = pl.DataFrame(
        {
            "month": [MARCH, APRIL],
            "source": ["a", "a"],
            "target": ["b", "b"],
            "total_wait_s": [14_673.0 * 3600, 0.0],
        }
    )
    matrix = pl.DataFrame(
        {"source": ["A", "B"], "target": ["B", "A"], "handovers": [14_673, 2], "cases": [9, 2]}
    )
    per_case = pl.DataFrame(
        {"month": [MARCH, APRIL], "mean_handovers_per_case": [2.95, 1.0], "cases": [40, 41]}
    )
    figures = {
        "bottlenecks": bottleneck_figure(trend, "da"),
        "handovers": handover_figure(matrix, "da"),
        "handover_trend": handover_trend_figure(per_case, "da"),
    }
    for name, figure in figures.items():
        assert figure.layout.separators == ",.", name
    # At most one decimal (two per case), trailing zeros trimmed: 14.673 and 0,5.
    assert figures["bottlenecks"].layout.yaxis.tickformat == ",.1~f"
    assert figures["bottlenecks"].layout.yaxis.hoverformat == ",.1~f"
    assert figures["handover_trend"].layout.yaxis.tickformat == ",.2~f"
    # A line chart draws no colour bar (touching one would make plotly draw it).
    assert "colorbar" not in figures["bottlenecks"].data[0].marker.to_plotly_json()
    heatmap = figures["handovers"].data[0]
    assert heatmap.colorbar.tickformat == ",.0f"  # was plotly's default: "10k"
    assert heatmap.texttemplate == "%{z:,.0f}"
    assert heatmap.hovertemplate == "%{y} → %{x}: %{z:,.0f} overleveringer<extra></extra>"
    assert english_separators(handover_figure(matrix, "en")) == ".,"


def english_separators(figure: go.Figure) -> str:
    return str(figure.layout.separators)


def test_the_one_number_format_leaves_dates_and_categories_alone() -> None:
    figure = go.Figure(
        [
            go.Scatter(x=["2024-03-01", "2024-04-01"], y=[14_673, 500_000], hovertemplate="%{y}"),
            go.Bar(
                x=["A", "B"], y=[1, 2], yaxis="y2", marker={"colorscale": "Blues", "color": [1, 2]}
            ),
        ]
    )
    figure.update_layout(yaxis2={"overlaying": "y", "tickformat": ",.2f"})
    apply_number_format(figure, "da")
    assert figure.layout.yaxis.tickformat == ",.0f" and figure.layout.yaxis.hoverformat == ",.0f"
    assert figure.layout.yaxis2.tickformat == ",.2f"  # its own format kept
    assert figure.layout.xaxis.tickformat is None  # dates, not numbers
    assert figure.data[0].hovertemplate == "%{y:,.0f}"
    assert figure.data[1].marker.colorbar.tickformat == ",.0f"


# ---------------------------------------------------------------------- bottlenecks by month


def test_a_month_without_waiting_has_no_share_and_the_cli_prints_a_dash(store: LogStore) -> None:
    by_month = find_bottlenecks(store.scan("months"), by="month")
    assert by_month.select("month", "total_wait_s", "wait_share").rows() == [
        (MARCH, 18_000.0, 1.0),
        (APRIL, 0.0, None),  # was 0/0: NaN, printed "nan %"
    ]
    table = runner.invoke(cli, ["bottlenecks", "months", "--by", "month"])
    assert table.exit_code == 0, table.output
    assert "nan" not in table.stdout.lower()
    april = next(line for line in table.stdout.splitlines() if "01.04.20" in line)
    assert "–" in april and "100,0 %" in table.stdout
    rows = json.loads(
        runner.invoke(cli, ["bottlenecks", "months", "--by", "month", "--json"]).stdout
    )
    assert [row["wait_share"] for row in rows] == [1.0, None]


# ----------------------------------------------------------------------------- partial months


def test_partial_months_are_the_ones_the_data_covers_in_part() -> None:
    span = (dt.date(2024, 3, 4), dt.date(2024, 5, 31))
    assert [is_partial_month(m, span) for m in (MARCH, APRIL, dt.date(2024, 5, 1))] == [
        True,
        False,
        False,
    ]
    assert is_partial_month(dt.date(2024, 2, 1), (dt.date(2024, 2, 1), dt.date(2024, 2, 28)))
    assert not is_partial_month(dt.date(2024, 2, 1), (dt.date(2024, 2, 1), dt.date(2024, 2, 29)))
    assert not is_partial_month(MARCH, None)
    # Events after the chosen period (cases reaching past it): not a whole month either.
    assert is_partial_month(dt.date(2025, 7, 1), (dt.date(2024, 1, 15), dt.date(2025, 6, 30)))


def test_monthly_charts_mark_partial_months_and_show_each_months_cases(store: LogStore) -> None:
    data = load_analysis(store, "months", AnalysisFilters())
    # The data runs from 4 March to 5 April: both months partial.
    assert data.span == (dt.date(2024, 3, 4), dt.date(2024, 4, 5))
    assert data.months.rows() == [(MARCH, 5, True), (APRIL, 5, True)]
    assert month_labels(data.months, "da") == [
        "03.2024<br>5 sager<br>(delvis)",
        "04.2024<br>5 sager<br>(delvis)",
    ]
    figure = bottleneck_figure(data.bottleneck_trend, "da", data.months)
    assert list(figure.layout.xaxis.ticktext) == month_labels(data.months, "da")
    assert list(figure.data[0].marker.symbol) == ["circle-open", "circle-open"]
    whole = pl.DataFrame({"month": [MARCH], "cases": [1_234], "partial": [False]})
    assert month_labels(whole, "en") == ["2024-03<br>1,234 cases"]
    trend = pl.DataFrame({"month": [MARCH, APRIL], "mean_handovers_per_case": [1.0, 2.0]})
    started = handover_trend_figure(
        trend.with_columns(cases=pl.Series([7, 8])),
        "da",
        (dt.date(2024, 3, 1), MARCH + dt.timedelta(45)),
    )
    assert list(started.layout.xaxis.ticktext) == [
        "03.2024<br>7 sager",
        "04.2024<br>8 sager<br>(delvis)",
    ]
    assert list(started.data[0].marker.symbol) == ["circle", "circle-open"]


def test_a_long_month_axis_is_labelled_every_few_months_and_hovers_every_months_cases() -> None:
    # 36 months (Jan 2023 - Dec 2025): labels every 3rd month, 12 in all; the last one partial.
    months = pl.DataFrame(
        {
            "month": pl.date_range(dt.date(2023, 1, 1), dt.date(2025, 12, 1), "1mo", eager=True),
            "cases": list(range(1_000, 1_036)),
            "partial": [False] * 35 + [True],
        }
    )
    trend = months.select("month", "cases", mean_handovers_per_case=pl.lit(0.5))
    figure = handover_trend_figure(trend, "da", (dt.date(2023, 1, 1), dt.date(2025, 12, 15)))
    ticks = list(figure.layout.xaxis.tickvals)
    assert ticks == [dt.date(2023 + m // 12, m % 12 + 1, 1) for m in range(0, 36, 3)]
    assert list(figure.layout.xaxis.ticktext)[:2] == [
        "01.2023<br>1.000 sager",
        "04.2023<br>1.003 sager",
    ]
    hovers = list(figure.data[0].text)
    assert len(hovers) == 36
    assert hovers[1] == "1.001 sager"
    assert hovers[-1] == "1.035 sager<br>(delvis)"


# ---------------------------------------------------------------------------- org unit names


def test_kit_orders_spells_each_service_area_one_way(kit_landscape: KitLandscape) -> None:
    store = LogStore(kit_landscape.data_dir)
    events = store.read("kit-orders")
    units = set(events["org_unit"].cast(pl.String).drop_nulls().unique().to_list())
    assert "Drift & Infrastruktur" in units and "Drift og Infrastruktur" not in units
    handovers = compute_handovers(events, level="org_unit")
    false = handovers.filter(
        pl.col("source").cast(pl.String).str.starts_with("Drift")
        & pl.col("target").cast(pl.String).str.starts_with("Drift")
    )
    assert false.height == 0


# -------------------------------------------------------------------------- the analysis page


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2024-13-45", "2024-04-30", "2024-13-45"),
        ("31.02.2024", None, "31.02.2024"),
        ("2024-04-30", "2024-04-01", "Perioden slutter (01.04.2024) før den begynder (30.04.2024)"),
    ],
)
def test_a_bad_period_sent_to_the_page_gets_a_message_not_an_error(
    store: LogStore, sign_in: Callable[..., Any], start: str, end: str | None, message: str
) -> None:
    client = sign_in(create_app(store).server.test_client(), "analyst")
    outputs = [
        (ids.ANALYSIS_RESULT, "children"),
        (ids.ANALYSIS_SUMMARY, "children"),
        (ids.ANALYSIS_MESSAGE, "children"),
        (ids.ANALYSIS_SEARCH, "data"),
    ]
    body = post_callback(
        client,
        {
            "output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [
                {"id": ids.ANALYSIS_LOG, "property": "value", "value": "months"},
                {"id": ids.ANALYSIS_PERIOD, "property": "start_date", "value": start},
                {"id": ids.ANALYSIS_PERIOD, "property": "end_date", "value": end},
                {"id": ids.ANALYSIS_ORG_UNITS, "property": "value", "value": []},
            ],
            "state": [{"id": ids.ANALYSIS_LANGUAGE, "property": "data", "value": "da"}],
            "changedPropIds": [f"{ids.ANALYSIS_PERIOD}.start_date"],
        },
    )
    assert message in json.dumps(body[ids.ANALYSIS_MESSAGE], ensure_ascii=False)
    assert body[ids.ANALYSIS_RESULT]["children"] == []


def test_danish_dates_are_read_and_the_view_goes_into_the_url() -> None:
    filters = analysis.parse_filters("4.3.2024", "2024-03-31T00:00:00", ["B", "A"], "da")
    assert filters == AnalysisFilters(MARCH + dt.timedelta(3), dt.date(2024, 3, 31), ("A", "B"))
    assert analysis.write_search("months", filters, "en") == (
        "?log=months&start=2024-03-04&end=2024-03-31&units=A%7CB&lang=en"
    )


def test_the_calendar_and_multi_selects_speak_danish(store: LogStore) -> None:
    page = analysis.build_layout(store, "da", "months")
    period = by_id(page, ids.ANALYSIS_PERIOD)
    assert period.month_format == "MM.YYYY"  # numbers, not English month names
    assert period.className == "kf-date-da"  # Danish weekday letters (style sheet)
    assert period.display_format == "DD.MM.YYYY"
    assert (period.start_date_placeholder_text, period.end_date_placeholder_text) == (
        "Fra dato",
        "Til dato",
    )
    for control in (ids.ANALYSIS_ORG_UNITS, ids.ANALYSIS_LOG):
        labels = by_id(page, control).labels
        assert labels["select_all"] == "Vælg alle" and labels["search"] == "Søg"
        assert labels["no_options_found"] == "Ingen valgmuligheder"


def test_switching_language_keeps_the_log_the_period_and_the_units(store: LogStore) -> None:
    params = {"start": "2024-03-10", "end": "2024-04-02", "units": "A|B|Nowhere"}
    for language in ("da", "en"):
        page = analysis.build_layout(store, language, "months", params)
        assert by_id(page, ids.ANALYSIS_LOG).value == "months"
        period = by_id(page, ids.ANALYSIS_PERIOD)
        assert (period.start_date, period.end_date) == ("2024-03-10", "2024-04-02")
        assert by_id(page, ids.ANALYSIS_ORG_UNITS).value == ["A", "B"]  # unknown ones dropped
    mistyped = analysis.build_layout(store, "da", "months", {"start": "2024-99-01"})
    assert by_id(mistyped, ids.ANALYSIS_PERIOD).start_date == "2024-03-04"  # the log's own
    assert "Procesanalyse" in text(mistyped)


# ------------------------------------------------------------------------------ in the browser


@pytest.mark.e2e
@pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")
def test_the_page_keeps_its_view_across_a_language_switch_in_the_browser(
    store: LogStore,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    from tests.test_dashboard_e2e import text_of, wait_for  # noqa: PLC0415

    app = create_app(store)
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    browser.set_window_size(1440, 2200)
    browser.get(base + "/analysis?log=months&start=2024-03-01&end=2024-04-30&units=A")

    def period(b: Any) -> list[str]:
        found = b.find_elements(
            By.CSS_SELECTOR, ".dash-datepicker-start-date, .dash-datepicker-end-date"
        )
        return [str(i.get_attribute("value")) for i in found]

    def ticks(b: Any) -> list[str]:
        return [str(t.text) for t in b.find_elements(By.CSS_SELECTOR, ".xtick text")]

    summary = "Sager: 10 · varianter: 1 · periode: 01.03.2024 – 30.04.2024"
    assert wait_for(browser, lambda b: text_of(b, ids.ANALYSIS_SUMMARY) == summary)
    assert period(browser) == ["01.03.2024", "30.04.2024"]
    # Each month with its cases; both partial (the data starts 4 March and ends 5 April).
    assert wait_for(browser, lambda b: "03.20245 sager(delvis)" in "".join(ticks(b)))
    folder = tmp_path_factory.mktemp("analysis-screenshots")
    browser.save_screenshot(str(folder / "procesanalyse.png"))

    browser.find_element(By.ID, f"{ids.SHELL_LANGUAGE}-en").click()
    english = "Cases: 10 · variants: 1 · period: 2024-03-01 – 2024-04-30"
    assert wait_for(browser, lambda b: text_of(b, ids.ANALYSIS_SUMMARY) == english)
    assert period(browser) == ["2024-03-01", "2024-04-30"]
    assert "units=A" in browser.current_url and "log=months" in browser.current_url
    units = browser.find_element(By.ID, ids.ANALYSIS_ORG_UNITS_FIELD).text
    assert "A" in units.split("\n")
