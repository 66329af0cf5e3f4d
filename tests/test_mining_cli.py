"""The analysis commands (variants, bottlenecks, handovers, compare) on a store in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from app.cli_mining import register
from extractors.files import ColumnMapping, ReadOptions
from models.errors import InputError, LogNotFoundError
from models.store import LogStore
from services.imports import import_log
from tests.shared_data import shared_file
from tests.test_mining_tiny import tiny_rows

runner = CliRunner()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    """A Typer app with the commands, on a store holding the running example and the tiny log."""
    data = tmp_path / "data"
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(data))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    store = LogStore(data)
    import_log(
        store,
        shared_file("pm4py-examples/running-example.xes"),
        name="running",
        options=ReadOptions(),
    )
    csv = tmp_path / "tiny.csv"
    pl.DataFrame(tiny_rows()).with_columns(
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    ).write_csv(csv)
    mapping = ColumnMapping("case_id", "activity", "timestamp", None, None, "org_unit")
    import_log(store, csv, name="tiny", options=ReadOptions(columns=mapping))
    cli = typer.Typer()
    register(cli)
    return cli


def run(app: typer.Typer, *args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def run_json(app: typer.Typer, *args: str) -> object:
    return json.loads(run(app, *args, "--json"))


def test_variants_json_and_danish_table(app: typer.Typer) -> None:
    shown = run_json(app, "variants", "tiny")
    assert isinstance(shown, dict)
    assert shown["variants"] == 3
    assert [(v["variant"], v["cases"], v["share"]) for v in shown["shown"]] == [
        (["A", "B", "C", "D"], 2, 0.5),
        (["A", "B", "B", "C", "D"], 1, 0.25),
        (["A", "C", "B", "D"], 1, 0.25),
    ]
    text = run(app, "variants", "tiny", "--top", "1")
    assert "50,0 %" in text and "A → B → C → D" in text and "3 varianter i alt." in text
    assert run_json(app, "variants", "running", "--top", "2")["variants"] == 6  # type: ignore[index]


def test_bottlenecks_json(app: typer.Typer) -> None:
    ranked = run_json(app, "bottlenecks", "tiny", "--level", "activity")
    assert isinstance(ranked, list)
    assert [(r["activity"], r["rank"], r["total_wait_s"]) for r in ranked] == [
        ("D", 1, 8400.0),
        ("C", 2, 4800.0),
        ("B", 3, 2400.0),
    ]
    monthly = run_json(app, "bottlenecks", "tiny", "--by", "month", "--top", "1")
    assert monthly == [
        {
            "month": "2024-03-01",
            "source": "C",
            "target": "D",
            "rank": 1,
            "frequency": 3,
            "mean_wait_s": 2400.0,
            "median_wait_s": 1800.0,
            "total_wait_s": 7200.0,
            "wait_share": 7200.0 / 15600.0,
        }
    ]
    assert "2,0 t" in run(app, "bottlenecks", "tiny", "--top", "1")


def test_handovers_json_and_text(app: typer.Typer) -> None:
    result = run_json(app, "handovers", "tiny")
    assert isinstance(result, dict)
    assert (result["cases"], result["handovers"], result["ping_pongs"]) == (4, 8, 3)
    assert result["mean_handovers_per_case"] == 2.0
    assert result["matrix"][0] == {
        "source": "u1",
        "target": "u2",
        "handovers": 4,
        "cases": 3,
        "share": 0.5,
        "merged": False,
    }
    assert "8 overdragelser i 4 sager (2,00 pr. sag), 3 ping-pong." in run(app, "handovers", "tiny")
    # The running example has six resources: enough people for the privacy rule.
    people = run_json(app, "handovers", "running", "--level", "resource")
    assert people["handovers"] > 0  # type: ignore[index]


def test_compare_json(app: typer.Typer) -> None:
    result = run_json(app, "compare", "tiny", "--at", "2024-03-06", "--resamples", "200")
    assert isinstance(result, dict)
    assert result["at"] == "2024-03-06T00:00:00+01:00"
    assert (result["before"], result["after"], result["difference"]) == (3150.0, 4650.0, 1500.0)
    assert (result["cases_before"], result["cases_after"]) == (2, 2)
    text = run(app, "compare", "tiny", "--at", "2024-03-06", "--measure", "events")
    assert "før:   4,00 (2 sager)" in text and "efter: 4,50 (2 sager)" in text


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("bottlenecks", "tiny", "--level", "case"), InputError, "--level 'case' is not one of"),
        (("compare", "tiny", "--at", "6/3/2024"), InputError, "is not a date"),
        (("compare", "tiny", "--at", "2024-03-06", "--measure", "x"), InputError, "--measure"),
        (("handovers", "tiny", "--level", "resource"), InputError, "no resource column"),
        (("variants", "nope"), LogNotFoundError, "no stored log is named 'nope'"),
        (("variants", "tiny", "--top", "0"), InputError, "must be 1 or more"),
    ],
)
def test_errors_say_what_to_fix(
    app: typer.Typer, args: tuple[str, ...], error: type[Exception], message: str
) -> None:
    result = runner.invoke(app, list(args))
    assert isinstance(result.exception, error)
    assert message in str(result.exception)
    assert result.stdout == ""


def test_compare_in_working_hours(app: typer.Typer) -> None:
    # Every tiny case lies inside office hours: working time equals calendar time.
    text = run(app, "compare", "tiny", "--at", "2024-03-06", "--working-time", "--resamples", "50")
    assert "før:   0,9 arb.t (2 sager)" in text and "forskel: 0,4 arb.t" in text
