"""The 5-person rule in the views still missing it: ``kitflow stats`` (whole log, period, org
units), ``kitflow dfg`` (the map of a whole log, as Procesoverblik) and the figures per month
(the bottleneck and handover trends of *Procesanalyse*, ``kitflow bottlenecks --by month``).

One hand-made log: March 2024 has 5 cases by 5 people, April 4 cases by 4 of them, so every
figure of March is shown and every figure of April withheld.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from app.cli import cli
from app.dashboard.analysis_data import AnalysisFilters, load_analysis
from app.dashboard.pages import analysis
from extractors.files import ReadOptions
from mining import drop_small_months, find_small_months
from models.store import LogStore
from services.imports import import_log
from tests.cli_support import runner
from tests.test_dashboard import text

MARCH, APRIL = dt.date(2024, 3, 1), dt.date(2024, 4, 1)


def months_csv(*, april_people: int = 4, resource: bool = True) -> str:
    """Cases 1-5 on 4-8 March by e0-e4, cases 6.. on 1-4 April by e0-e<april_people - 1>:
    a at unit A 08:00, b at unit B 09:00, the same person; case 1 also c at unit C 10:00."""
    lines = ["case_id,activity,timestamp,org_unit" + (",resource" if resource else "")]

    def event(case: int, activity: str, moment: str, unit: str, person: int) -> str:
        return f"{case},{activity},{moment},{unit}" + (f",e{person}" if resource else "")

    for i in range(5):
        day = f"2024-03-{4 + i:02d}"
        lines += [event(i + 1, "a", f"{day}T08:00:00Z", "A", i)]
        lines += [event(i + 1, "b", f"{day}T09:00:00Z", "B", i)]
    lines += [event(1, "c", "2024-03-04T10:00:00Z", "C", 0)]
    for i in range(april_people):
        day = f"2024-04-{1 + i:02d}"
        lines += [event(i + 6, "a", f"{day}T08:00:00Z", "A", i)]
        lines += [event(i + 6, "b", f"{day}T09:00:00Z", "B", i)]
    return "\n".join(lines) + "\n"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LogStore]:
    """``months`` (March 5 people, April 4), ``april5`` (April 5 people too), ``four`` (4
    people in all) and ``nobody`` (no resource column); the CLI reads this store."""
    store = LogStore(tmp_path / "data")
    logs = {
        "months": months_csv(),
        "april5": months_csv(april_people=5),
        "four": "\n".join(months_csv().splitlines()[:1] + months_csv().splitlines()[-8:]) + "\n",
        "nobody": months_csv(resource=False),
    }
    for name, content in logs.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(content, encoding="utf-8")
        import_log(store, path, name=name, options=ReadOptions())
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(store.data_dir))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    yield store
    store.catalog.dispose()


def stats(*args: str) -> dict[str, object]:
    result = runner.invoke(cli, ["stats", *args, "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    figures = json.loads(result.stdout)
    return {k: figures[k] for k in ("cases", "events", "activities", "variants", "start", "end")}


def refused(*args: str) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code != 0 and result.exception is not None
    assert result.stdout == ""
    return str(result.exception)


# --- kitflow stats ----------------------------------------------------------------------------


def test_stats_of_a_period_of_5_people_are_shown(store: LogStore) -> None:
    march = ("--since", "2024-03-01", "--until", "2024-03-31")
    assert stats("months", *march) == {
        "cases": 5,
        "events": 11,
        "activities": 3,
        "variants": 2,
        "start": "2024-03-04T08:00:00+00:00",
        "end": "2024-03-08T09:00:00+00:00",
    }
    april = ("--since", "2024-04-01", "--until", "2024-04-30")
    assert stats("april5", *april)["cases"] == 5


def test_stats_of_a_period_of_4_people_are_withheld(store: LogStore) -> None:
    april = ("--since", "2024-04-01", "--until", "2024-04-30")
    for args in (("stats", "months", *april), ("stats", "months", *april, "--json")):
        message = refused(*args)
        assert "shows fewer than 5 people, so it is withheld (the 5-person rule)" in message
        assert "widen the period" in message


def test_stats_of_an_org_unit_of_1_person_are_withheld(store: LogStore) -> None:
    # Case 1 touches C: the view holds e0 only (C's own work is e0's).
    assert "fewer than 5 people" in refused("stats", "months", "--org-unit", "C")
    assert stats("months", "--org-unit", "A")["cases"] == 9


def test_stats_and_map_of_a_whole_log_of_4_people_are_withheld(store: LogStore) -> None:
    for command in ("stats", "dfg"):
        message = refused(command, "four")
        assert "the log four shows fewer than 5 people, so its figures are withheld" in message
    assert stats("months")["cases"] == 9
    assert runner.invoke(cli, ["dfg", "months"]).exit_code == 0


def test_stats_of_a_log_without_people_are_shown_and_say_so(store: LogStore) -> None:
    april = ("--since", "2024-04-01", "--until", "2024-04-30")
    assert stats("nobody", *april)["cases"] == 4
    result = runner.invoke(cli, ["stats", "nobody", *april])
    assert result.exit_code == 0
    assert "names no people, so the 5-person rule cannot count them" in result.stdout
    assert "cannot count" not in runner.invoke(cli, ["stats", "months"]).stdout


# --- figures per month ------------------------------------------------------------------------


def test_the_months_of_fewer_than_5_people(store: LogStore) -> None:
    for of in ("event", "case"):
        assert find_small_months(store.scan("months"), of=of) == [APRIL]
        assert find_small_months(store.scan("april5"), of=of) == []
        assert find_small_months(store.scan("nobody"), of=of) == []


def test_procesanalyse_trends_leave_out_a_month_of_4_people(store: LogStore) -> None:
    data = load_analysis(store, "months", AnalysisFilters())
    assert data.bottleneck_trend["month"].unique().to_list() == [MARCH]
    assert data.bottleneck_months_withheld == 1
    assert data.handovers is not None
    assert data.handovers.trend.select("month", "cases").rows() == [(MARCH, 5)]
    assert data.handovers.months_withheld == 1
    shown = load_analysis(store, "april5", AnalysisFilters())
    assert shown.bottleneck_trend["month"].unique().sort().to_list() == [MARCH, APRIL]
    assert shown.handovers is not None
    assert shown.handovers.trend.select("month", "cases").rows() == [(MARCH, 5), (APRIL, 5)]
    assert (shown.bottleneck_months_withheld, shown.handovers.months_withheld) == (0, 0)


def test_procesanalyse_says_how_many_months_are_left_out(store: LogStore) -> None:
    danish = text(analysis.render_analysis(store, "months", AnalysisFilters(), "da").sections)
    assert danish.count("1 måneder med under 5 personer er udeladt (5-personers-reglen).") == 2
    english = text(analysis.render_analysis(store, "months", AnalysisFilters(), "en").sections)
    assert "1 months with fewer than 5 people are left out (the 5-person rule)." in english
    shown = text(analysis.render_analysis(store, "april5", AnalysisFilters(), "da").sections)
    assert "måneder med under 5 personer" not in shown


def test_cli_bottlenecks_by_month_leave_out_a_month_of_4_people(store: LogStore) -> None:
    def months(log: str) -> list[str]:
        result = runner.invoke(cli, ["bottlenecks", log, "--by", "month", "--json"])
        assert result.exit_code == 0, result.output
        return sorted({row["month"] for row in json.loads(result.stdout)})

    assert months("months") == ["2024-03-01"]
    assert months("april5") == ["2024-03-01", "2024-04-01"]
    result = runner.invoke(cli, ["bottlenecks", "months", "--by", "month"])
    assert "1 måneder med under 5 personer er udeladt (5-personers-reglen)." in result.stdout


def test_drop_small_months_keeps_the_other_rows() -> None:
    frame = pl.DataFrame({"month": [MARCH, APRIL, MARCH], "x": [1, 2, 3]})
    assert drop_small_months(frame, [APRIL])["x"].to_list() == [1, 3]
    assert drop_small_months(frame, []).equals(frame)
