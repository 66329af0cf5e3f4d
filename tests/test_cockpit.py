"""The directors' cockpit (services/cockpit.py, models/cockpit.py, models/actual_costs.py):
a tiny case with hand-computed figures, every error of the actual-costs file, and both seed
cases on the simulated KIT landscape against ``kitflow case evaluate`` and ``measure_case``.

The tiny case: budget years 2023-2025, 1 ÅV = 500.000 kr. = 1.000 hours, so 1 hour saved is
0,5 t.kr. and 0,001 ÅV. Its robot saves 1 hour per successful transaction (60 manual minutes,
no residual): 50 a month January-September 2024 and 100 a month October-December 2024, then
200 a month January-March 2025.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import polars as pl
import pytest

from models.actual_costs import (
    ActualCosts,
    check_cost_years,
    compute_costs_by_year,
    parse_actual_costs,
    read_actual_costs,
)
from models.business_case import PriceIndex
from models.datafolder import DataFolder, default_database_url
from models.errors import InputError
from models.followup import Month
from models.realisation import find_last_complete_month
from services.benefits import load_case_inputs, measure_case
from services.cockpit import (
    CaseOverview,
    SourceCoverage,
    build_case_overview,
    build_overviews,
    find_business_cases,
)
from tests.cli_support import run
from tests.conftest import KitLandscape

CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"
SEEDS = (CASES / "automation-solutions.yaml", CASES / "cross-cutting-task-management.yaml")
NO_COVERAGE: tuple[SourceCoverage, ...] = ()

TINY_CASE = """\
title: Lille robot
administration: Økonomiforvaltningen
price_level_year: 2023
budget_years: [2023, 2024, 2025]
lines:
  - label: Tidsbesparelse
    styringsomraade: Service
    kind: permanent_change
    amounts_tkr: {2024: -500, 2025: -1.000}
  - label: Driftsomkostninger
    styringsomraade: Service
    kind: operating_cost
    amounts_tkr: {2024: 100, 2025: 100}
  - label: Udvikling
    styringsomraade: Anlæg
    kind: implementation_cost
    amounts_tkr: {2023: 800}
aarsvaerk:
  kroner_per_aarsvaerk: 500.000
  hours_per_aarsvaerk: 1.000
follow_up:
  - target: Gevinsten realiseres
    measure: kørselsdata
    responsible: FU
    deadline: Udgangen af 2024
  - target: Robotten bruges
    measure: kørselsdata
    responsible: FU
    deadline: Udgangen af 2024
  - target: Ikke bundet
    measure: ingen
    responsible: FU
    deadline: Udgangen af 2024
"""

TINY_BINDINGS = """\
case: lille-robot.yaml
solutions:
  - name: Lille robot
    go_live: 2024-01-01
    robot_process: P
    manual_minutes: 60
    residual_minutes: 0
targets:
  - {follow_up: 1, metric: realised_savings, threshold: 90}
  - {follow_up: 2, metric: robot_usage}
"""

MONTHLY_TRANSACTIONS = {
    **{(2024, month): 50 for month in range(1, 10)},
    **{(2024, month): 100 for month in (10, 11, 12)},
    **{(2025, month): 200 for month in (1, 2, 3)},
}


@pytest.fixture
def tiny(tmp_path: Path) -> DataFolder:
    """A data folder holding the tiny case, its bindings and its robot's transactions."""
    data = DataFolder(tmp_path / "data", default_database_url(tmp_path / "data"))
    data.business_cases().mkdir(parents=True)
    (data.business_cases() / "lille-robot.yaml").write_text(TINY_CASE, "utf-8")
    (data.business_cases() / "lille-robot.followup.yaml").write_text(TINY_BINDINGS, "utf-8")
    starts = [
        dt.datetime(year, month, 1 + n % 28, 10, tzinfo=dt.UTC)
        for (year, month), count in MONTHLY_TRANSACTIONS.items()
        for n in range(count)
    ]
    data.robot_transactions().parent.mkdir(parents=True)
    pl.DataFrame(
        {
            "start": starts,
            "end": [start + dt.timedelta(minutes=5) for start in starts],
            "status": ["success"] * len(starts),
            "reference": [f"R{n}" for n in range(len(starts))],
            "process_name": ["P"] * len(starts),
        }
    ).write_parquet(data.robot_transactions())
    return data


def _tiny_overview(
    data: DataFolder, as_of: dt.date, costs: ActualCosts | None = None
) -> CaseOverview:
    inputs = load_case_inputs(data.business_cases() / "lille-robot.yaml", data)
    return build_case_overview(inputs, as_of=as_of, costs=costs, coverage=NO_COVERAGE)


def _d(text: str) -> Decimal:
    return Decimal(text)


def _ds(*values: int | str | None) -> tuple[Decimal | None, ...]:
    return tuple(None if value is None else Decimal(value) for value in values)


# --- The tiny case ---------------------------------------------------------------------------


def test_year_figures_at_the_end_of_2024(tiny: DataFolder) -> None:
    overview = _tiny_overview(tiny, dt.date(2024, 12, 31))
    y2023, y2024, y2025 = overview.years
    # 2023: nothing expected, nothing saved ("-"); the 800 of development is the only effect.
    assert (y2023.budget_savings_tkr, y2023.realised_savings_tkr, y2023.forecast_savings_tkr) == (
        _ds(0, None, None)
    )
    assert (y2023.budget_costs_tkr, y2023.cumulative_budget_tkr) == _ds(800, 800)
    # 2024: 9 × 50 + 3 × 100 = 750 hours = 375,0 t.kr. = 0,75 ÅV against 500 t.kr. = 1,00 ÅV.
    assert y2024.budget_savings_tkr == 500
    assert y2024.budget_savings_aav == _d("1.00")
    assert y2024.realised_savings_tkr == _d("375.0")
    assert y2024.realised_savings_aav == _d("0.75")
    assert y2024.realisation_pct == 75.0
    assert (y2024.forecast_savings_tkr, y2024.forecast) == (_d("375.0"), False)
    assert y2024.budget_costs_tkr == 100
    assert y2024.actual_costs_tkr is None
    assert y2024.cumulative_budget_tkr == 400  # 800 + 100 − 500
    assert y2024.cumulative_forecast_tkr == _d("525.0")  # 800 + 100 − 375
    # 2025 is after the date: none realised (the 2025 data are not used), forecast at the run
    # rate of October-December 2024: 100 hours × 12 = 600 t.kr. = 1,20 ÅV.
    assert (y2025.realised_savings_tkr, y2025.realised_savings_aav) == (None, None)
    assert (y2025.forecast_savings_tkr, y2025.forecast_savings_aav) == (_d("600.0"), _d("1.20"))
    assert y2025.forecast
    assert y2025.budget_savings_aav == _d("2.00")
    assert y2025.cumulative_budget_tkr == -500  # 400 + 100 − 1.000
    assert y2025.cumulative_forecast_tkr == _d("25.0")  # 525 + 100 − 600


def test_this_year_to_date_and_payback_at_the_end_of_2024(tiny: DataFolder) -> None:
    overview = _tiny_overview(tiny, dt.date(2024, 12, 31))
    assert (overview.expected_this_year_tkr, overview.realised_this_year_tkr) == _ds(500, 375)
    assert (overview.expected_to_date_tkr, overview.realised_to_date_tkr) == _ds(500, 375)
    assert (overview.expected_to_date_aav, overview.realised_to_date_aav) == _ds(1, "0.75")
    assert overview.realisation_to_date_pct == 75.0
    # Budget: 800, 400, −500 → below zero in the third year from 2023.
    assert (overview.payback_budget_years, overview.break_even_budget_year) == (3, 2025)
    # Forecast: 800, 525, 25 → never below zero in the budget years.
    assert (overview.payback_forecast_years, overview.break_even_forecast_year) == (None, None)
    assert (overview.title, overview.price_level_year) == ("Lille robot", 2023)
    assert (overview.hours_per_aav, overview.kroner_per_aav) == _ds(1000, 500000)


def test_mid_year_counts_complete_months_and_the_run_rate_then(tiny: DataFolder) -> None:
    overview = _tiny_overview(tiny, dt.date(2024, 6, 30))
    y2024, y2025 = overview.years[1:]
    # January-June: 300 hours = 150,0 t.kr.; run rate April-June 50 hours a month.
    assert y2024.realised_savings_tkr == _d("150.0")
    assert y2024.realisation_pct == 30.0
    assert (y2024.forecast_savings_tkr, y2024.forecast) == (_d("300.0"), True)  # 300 + 6 × 50
    assert y2025.forecast_savings_tkr == _d("300.0")  # 12 × 50
    # To date: half of 2024's 500 t.kr. was expected by the end of June.
    assert (overview.expected_to_date_tkr, overview.expected_to_date_aav) == _ds(250, "0.50")
    assert overview.realised_to_date_tkr == _d("150.0")
    assert overview.realisation_to_date_pct == 60.0
    assert overview.expected_this_year_tkr == 500  # the whole year the case promises


def test_a_day_short_of_a_month_end_leaves_that_month_out(tiny: DataFolder) -> None:
    assert find_last_complete_month(dt.date(2024, 6, 29)) == dt.date(2024, 5, 1)
    assert find_last_complete_month(dt.date(2024, 6, 30)) == dt.date(2024, 6, 1)
    assert find_last_complete_month(dt.date(2024, 1, 15)) == dt.date(2023, 12, 1)
    overview = _tiny_overview(tiny, dt.date(2024, 6, 29))
    assert overview.years[1].realised_savings_tkr == _d("125.0")  # January-May: 250 hours
    assert overview.expected_to_date_tkr == _d("208.3")  # 500 × 5 / 12, half-up


def test_data_ending_before_the_date_is_noted_and_forecast(tiny: DataFolder) -> None:
    reach = SourceCoverage(
        "robots", dt.datetime(2024, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 3, 31, tzinfo=dt.UTC), 1
    )
    inputs = load_case_inputs(tiny.business_cases() / "lille-robot.yaml", tiny)
    overview = build_case_overview(inputs, as_of=dt.date(2025, 6, 30), coverage=(reach,))
    y2025 = overview.years[2]
    assert y2025.realised_savings_tkr == _d("300.0")  # January-March 2025: 600 hours
    assert y2025.forecast_savings_tkr == _d("1200.0")  # 600 + 9 × 200
    keys = [note.key for note in overview.notes]
    assert keys == ["note.as_of_past_data", "note.measured_through", "note.costs_not_stated"]
    assert overview.notes[0].values == {
        "as_of": dt.date(2025, 6, 30), "last": dt.date(2025, 3, 31),
    }  # fmt: skip
    assert overview.notes[1].values == {"month": Month(dt.date(2025, 3, 1))}
    assert overview.notes[2].values == {"file": "lille-robot.costs.csv"}


def test_status_counts_and_the_rows_needing_attention(tiny: DataFolder) -> None:
    overview = _tiny_overview(tiny, dt.date(2024, 12, 31))
    # Row 1: 75 % of the year's hours against 90 %; row 2: used every month; row 3: unbound.
    assert dict(overview.status_counts) == {
        "met": 1, "on track": 0, "at risk": 1, "missed": 0, "no data": 1,
    }  # fmt: skip
    assert overview.attention == (1, 3)


def test_tabel_1_is_the_cases_with_budget_realised_and_forecast_rows(tiny: DataFolder) -> None:
    table = _tiny_overview(tiny, dt.date(2024, 12, 31)).tables[0]
    assert table.key == "tabel_1"
    cells = {row.label: row.cells_tkr for row in table.rows}
    assert cells["Samlet økonomisk påvirkning"] == _ds(800, -400, -900)
    assert cells["Akkumuleret, totaløkonomi"] == _ds(800, 400, -500)
    assert cells["Varig effektivisering i casen"] == _ds(None, -500, -1000)
    assert cells["Varig effektivisering, realiseret"] == (None, _d("-375.0"), None)
    assert cells["Varig effektivisering, realiseret og fremskrevet"] == (
        None, _d("-375.0"), _d("-600.0"),
    )  # fmt: skip
    assert cells["Omkostninger i casen"] == _ds(800, 100, 100)
    assert cells["Omkostninger, faktiske"] == (None, None, None)
    assert cells["Akkumuleret, realiseret og fremskrevet"] == _ds(800, 525, 25)


# --- Actual costs ----------------------------------------------------------------------------


def test_actual_costs_change_the_forecast_payback(tiny: DataFolder) -> None:
    costs = parse_actual_costs(
        "year;kind;amount_tkr;note\n2023;implementation;300;development\n"
        "2023;implementation;200;consultants\n2025;operating;1.000;after the date: not counted\n",
        source="lille-robot.costs.csv",
    )
    overview = _tiny_overview(tiny, dt.date(2024, 12, 31), costs)
    assert [y.actual_costs_tkr for y in overview.years] == [500, None, None]
    # 500 spent instead of 800: 500, 500 + 100 − 375 = 225, 225 + 100 − 600 = −275.
    assert [y.cumulative_forecast_tkr for y in overview.years] == [500, 225, -275]
    assert [y.cumulative_budget_tkr for y in overview.years] == [800, 400, -500]
    assert (overview.payback_forecast_years, overview.break_even_forecast_year) == (3, 2025)
    assert overview.notes[-1].key == "note.costs_as_stated"
    assert overview.tables[0].row("Omkostninger, faktiske").cells_tkr == _ds(500, None, None)


def test_actual_costs_are_converted_to_the_cases_price_level() -> None:
    costs = parse_actual_costs(
        'year,kind,amount_tkr\n2023,operating,10\n2024,operating,"52,0"\n2024,implementation,52\n',
        source="x.costs.csv",
    )
    index = PriceIndex({2023: Decimal(100), 2024: Decimal(104)}, "pl.csv")
    converted = compute_costs_by_year(
        costs, through_year=2024, price_level_year=2023, price_index=index
    )
    assert converted == {2023: 10, 2024: 100}  # 104 × 100 / 104
    stated = compute_costs_by_year(costs, through_year=2023, price_level_year=2023)
    assert stated == {2023: 10}
    with pytest.raises(InputError, match=r"pl\.csv: there is no p/l index for 2022"):
        compute_costs_by_year(costs, through_year=2024, price_level_year=2022, price_index=index)


def test_the_costs_file_reads_danish_numbers_comments_and_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "case.costs.csv"
    path.write_text(
        "\ufeffYear;Kind;Amount_tkr;Note\n# spent so far\n\n2024;Implementation;1.500,5;a; b\n"
        "2024;operating;12,5\n",
        "utf-8",
    )
    with pytest.raises(InputError, match="line 4: 5 cells"):
        read_actual_costs(path)
    path.write_text(
        '\ufeffYear;Kind;Amount_tkr;Note\n# spent so far\n\n2024;Implementation;1.500,5;"a; b"\n'
        "2024;operating;12,5\n",
        "utf-8",
    )
    costs = read_actual_costs(path)
    assert [(c.year, c.kind, c.amount_tkr, c.note, c.line) for c in costs.lines] == [
        (2024, "implementation", _d("1500.5"), "a; b", 4),
        (2024, "operating", _d("12.5"), "", 5),
    ]
    assert compute_costs_by_year(costs, through_year=2024, price_level_year=2024) == {
        2024: _d("1513.0")
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "x.costs.csv: the file has no header. Fix: make the first line"),
        ("year;kind;amount\n", "x.costs.csv, line 1: the header is 'year;kind;amount', not"),
        (
            "year;kind;amount_tkr;note\n2024;operating\n",
            "x.costs.csv, line 2: 2 cells (2024;operating), expected 4",
        ),
        (
            "year,kind,amount_tkr\n2024,operating,12,5\n",
            "x.costs.csv, line 2: 4 cells (2024,operating,12,5), expected 3 (year;kind;amount_tkr)."
            " Fix: write one amount per line, e.g. 2024;implementation;1.500;invoice 17; with "
            'commas between cells a decimal comma must be quoted ("12,5")',
        ),
        (
            "year;kind;amount_tkr\n24;operating;12\n",
            "x.costs.csv, line 2: the year is '24', not a year. Fix: write a four-digit year",
        ),
        (
            "year;kind;amount_tkr\n2024;drift;12\n",
            "x.costs.csv, line 2: the kind is 'drift', not implementation or operating. Fix: "
            "write implementation",
        ),
        (
            "year;kind;amount_tkr\n\n2024;operating;-12\n",
            "x.costs.csv, line 3: the amount is '-12', a negative number. Fix: costs are positive",
        ),
        (
            "year;kind;amount_tkr\n2024;operating;12.5\n",
            "x.costs.csv, line 2: the amount is '12.5', which is ambiguous: a dot separates "
            "thousands here. Fix: write 12,5 for a decimal number",
        ),
        (
            "year;kind;amount_tkr\n2024;operating;12 kr\n",
            "x.costs.csv, line 2: the amount is '12 kr', not a number. Fix: write the amount",
        ),
        (
            "year;kind;amount_tkr\n2024;operating;\n",
            "x.costs.csv, line 2: the amount is empty, not a number. Fix: write the amount",
        ),
    ],
)
def test_every_error_names_the_file_line_value_and_fix(text: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        parse_actual_costs(text, source="x.costs.csv")
    assert message in str(error.value)


def test_a_cost_outside_the_budget_years_is_refused_with_its_line() -> None:
    costs = parse_actual_costs("year;kind;amount_tkr\n2024;operating;1\n2030;operating;1\n",
                               source="x.costs.csv")  # fmt: skip
    with pytest.raises(InputError) as error:
        check_cost_years(costs, (2023, 2024, 2025))
    assert str(error.value) == (
        "x.costs.csv, line 3: the year 2030 is not a budget year of the case (2023–2025). "
        "Fix: state the cost in one of those years, or remove the line."
    )


def test_a_costs_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.costs.csv"
    path.write_bytes("year;kind;amount_tkr;note\n2024;operating;1;Ærø\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"x\.costs\.csv: not UTF-8 text .* Fix: save the file"):
        read_actual_costs(path)


# --- Cases in the data folder and the CLI ----------------------------------------------------


def test_the_cases_with_bindings_are_the_ones_shown(tiny: DataFolder) -> None:
    (tiny.business_cases() / "draft.yaml").write_text(TINY_CASE, "utf-8")
    assert find_business_cases(tiny) == (tiny.business_cases() / "lille-robot.yaml",)


def test_the_cockpit_command_prints_the_figures_and_json(
    tiny: DataFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tiny.root))
    (tiny.business_cases() / "lille-robot.costs.csv").write_text(
        "year;kind;amount_tkr;note\n2023;implementation;500;\n", "utf-8"
    )
    text = run("cockpit", "--as-of", "2024-12-31")
    assert "Lille robot · pr. 31.12.2024 · 1.000 kr. 2023 p/l" in text
    assert "1 ÅV = 500.000 kr. = 1.000 timer" in text
    assert "Tilbagebetalingstid: 3 år (i 2025) i casen; 3 år (i 2025) med målte og" in text
    assert "Opfølgning: 1 i risiko · 1 ingen data · 1 opfyldt; kræver handling: nr. 1, 3" in text
    assert "│ 2024, 1.000 kr.     │   500,0 │      375,0 │    375,0 │        75 % │" in text
    document = json.loads(run("cockpit", "--as-of", "2024-12-31", "--json"))
    assert document["as_of"] == "2024-12-31"
    (case,) = document["cases"]
    assert case["years"][1]["realised_savings_tkr"] == "375.0"
    assert case["years"][0]["actual_costs_tkr"] == "500"
    assert case["payback_forecast_years"] == 3
    assert case["status_counts"] == {"met": 1, "on track": 0, "at risk": 1, "missed": 0,
                                     "no data": 1}  # fmt: skip
    assert case["followup"]["targets"][0]["status"] == "at risk"
    assert case["notes"][-1]["key"] == "note.costs_as_stated"


def test_build_overviews_reads_the_costs_beside_each_case(tiny: DataFolder) -> None:
    (tiny.business_cases() / "lille-robot.costs.csv").write_text(
        "year;kind;amount_tkr\n2023;implementation;500\n", "utf-8"
    )
    (overview,) = build_overviews(tiny, as_of=dt.date(2024, 12, 31))
    assert overview.payback_forecast_years == 3


# --- Both seed cases on the simulated landscape ----------------------------------------------


@pytest.mark.parametrize("case", SEEDS, ids=lambda p: p.stem)
def test_seed_budget_figures_are_case_evaluates_tabel_1(
    case: Path, kit_landscape: KitLandscape
) -> None:
    inputs = load_case_inputs(case, kit_landscape.data_dir)
    overview = build_case_overview(inputs, as_of=dt.date(2024, 12, 31), coverage=NO_COVERAGE)
    evaluated = json.loads(run("case", "evaluate", str(case), "--json"))
    tabel_1 = next(t for t in evaluated["tables"] if t["key"] == "tabel_1")
    printed = [
        (row["label"], [row["cells_tkr"][str(y)] for y in evaluated["budget_years"]])
        for row in tabel_1["rows"]
    ]
    ours = [(row.label, [_number(c) for c in row.cells_tkr]) for row in overview.tables[0].rows]
    assert ours[: len(printed)] == printed
    years = evaluated["years"]
    assert [y.year for y in overview.years] == [y["year"] for y in years]
    assert [_number(y.budget_savings_tkr) for y in overview.years] == [
        -y["permanent_savings_tkr"] for y in years
    ]
    assert [_number(y.budget_savings_aav) for y in overview.years] == [
        y["savings_aarsvaerk"] for y in years
    ]
    assert [_number(y.cumulative_budget_tkr) for y in overview.years] == [
        y["cumulative_total_tkr"] for y in years
    ]
    assert overview.payback_budget_years == evaluated["payback"]["totaloekonomi_years"]


@pytest.mark.parametrize("case", SEEDS, ids=lambda p: p.stem)
def test_seed_realised_figures_are_measured_hours_times_kroner_per_aav(
    case: Path, kit_landscape: KitLandscape
) -> None:
    inputs = load_case_inputs(case, kit_landscape.data_dir)
    measured = measure_case(inputs)
    overview = build_case_overview(inputs, as_of=dt.date(2024, 12, 31), coverage=NO_COVERAGE)
    per_aav = inputs.case.aarsvaerk
    for figures in overview.years:
        hours = sum(
            y.primary_hours or 0.0
            for s in measured.solutions
            for y in s.years
            if y.year == figures.year
        )
        if figures.year > 2024 or (hours == 0 and figures.budget_savings_tkr == 0):
            assert figures.realised_savings_tkr is None
            continue
        exact = Decimal(repr(hours)) / per_aav.hours_per_aarsvaerk
        kroner = exact * per_aav.kroner_per_aarsvaerk / 1000
        assert figures.realised_savings_aav == _half_up(exact, "0.01"), figures.year
        assert figures.realised_savings_tkr == _half_up(kroner, "0.1"), figures.year
    assert overview.realised_to_date_tkr > 0


def _half_up(value: Decimal, places: str) -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
