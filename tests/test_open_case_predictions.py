"""Predictions for open cases (issue #16): prefixes and features on a hand-made log with exact
values, no leakage from events after the prediction moment, the time split, the measures and
baselines, training and storing with a card, the CLI's JSON, and the pages (the stuck worklist's
prediction columns, Procesoverblik's *Åbne sager*) in headless Chromium on the landscape."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pytest
from selenium.webdriver.common.by import By
from typer.testing import CliRunner

from app.cli import cli
from app.dashboard import create_app, ids
from app.dashboard.open_cases import render_open_cases
from models.ml_open_cases import (
    PrefixSpec,
    build_event_states,
    build_grid_moments,
    build_prefixes,
    build_spec,
    find_case_attributes,
    find_end_activities,
    find_open_prefixes,
    label_sla,
    mean_of_prefix_baseline,
    score_next_activity,
    score_sla,
    split_by_time,
)
from models.store import LogStore
from services import (
    ReadOptions,
    find_stuck,
    import_log,
    predict_open_cases,
    train_open_case_model,
)
from tests.conftest import KitLandscape
from tests.test_dashboard_e2e import wait_for

UTC = dt.UTC

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:selenium.*")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def small_log(extra: list[tuple[str, str, str, str | None]] = ()) -> pl.DataFrame:  # type: ignore[assignment]
    """Two cases on Monday 8 January 2024 (UTC; Copenhagen is UTC+1 then)."""
    rows = [
        ("c1", "Created", "2024-01-08T08:00:00", "A"),
        ("c1", "Work", "2024-01-08T10:00:00", "A"),
        ("c1", "Closed", "2024-01-08T14:00:00", "A"),
        ("c2", "Created", "2024-01-08T09:00:00", "B"),
        ("c2", "Work", "2024-01-08T09:30:00", "B"),
        ("c2", "Wait", "2024-01-08T11:00:00", None),
        ("c2", "Closed", "2024-01-09T09:00:00", "B"),
        *extra,
    ]
    frame = pl.DataFrame(
        {
            "case_id": [r[0] for r in rows],
            "activity": [r[1] for r in rows],
            "timestamp": [at(r[2]) for r in rows],
            "org_unit": [r[3] for r in rows],
            "resource": ["p1"] * len(rows),
            "case:priority": ["1" if r[0] == "c1" else "2" for r in rows],
        }
    )
    return frame.sort("case_id", "timestamp").with_columns(
        pl.col("activity").cast(pl.Categorical),
        pl.int_range(pl.len(), dtype=pl.UInt64).alias("event_order"),
    )


SPEC = PrefixSpec(
    end_activities=("Closed",),
    counted=("Created", "Work", "Closed"),
    case_attributes=("case:priority",),
    sla="hours",
    sla_hours=10.0,
)
NOON = at("2024-01-08T12:00:00")


def test_the_features_of_an_open_case_at_a_moment_are_exact() -> None:
    rows = find_open_prefixes(build_event_states(small_log(), SPEC), as_of=NOON)
    got = rows.select(
        "case_id", "prefix_length", "last_activity", "org_unit", "elapsed_h", "idle_h",
        "last_gap_h", "hour", "weekday", "last_hour", "count:Created", "count:Work",
        "count:Closed", "count:(other)", "case:priority",
    ).rows()  # fmt: skip
    assert got == [
        ("c1", 2, "Work", "A", 4.0, 2.0, 2.0, 13.0, 1.0, 11.0, 1.0, 1.0, 0.0, 0.0, "1"),
        ("c2", 3, "Wait", "B", 3.0, 1.0, 1.5, 13.0, 1.0, 12.0, 1.0, 1.0, 0.0, 1.0, "2"),
    ]
    # the look-ahead columns are empty for an open case
    assert rows["remaining_h"].null_count() == 2
    assert rows["next_activity"].null_count() == 2


def test_events_after_the_prediction_moment_change_no_feature() -> None:
    later = small_log().with_columns(
        # c1 closes earlier and under another name, c2's closing moves a day on
        pl.when(pl.col("timestamp") > NOON)
        .then(pl.col("timestamp") + dt.timedelta(days=1))
        .otherwise(pl.col("timestamp"))
        .alias("timestamp"),
    )
    changed = small_log(
        [
            ("c1", "Escalated", "2024-01-08T12:30:00", "C"),
            ("c2", "Work", "2024-01-08T13:00:00", "C"),
        ]
    )
    features = [*SPEC.categorical, *SPEC.numeric, "case_id", "moment"]
    before = find_open_prefixes(build_event_states(small_log(), SPEC), as_of=NOON)
    for other in (later, changed):
        after = find_open_prefixes(build_event_states(other, SPEC), as_of=NOON)
        assert after.select(features).equals(before.select(features))


def test_grid_moments_prefixes_and_targets_are_exact() -> None:
    states = build_event_states(small_log(), SPEC)
    moments = build_grid_moments(states, step=dt.timedelta(hours=3), origin=at("2024-01-08T00:00"))
    assert moments.filter(pl.col("case_id") == "c1")["moment"].to_list() == [
        at("2024-01-08T09:00"),
        at("2024-01-08T12:00"),
    ]
    assert moments.filter(pl.col("case_id") == "c2").height == 8  # 12:00 ... next day 09:00
    rows = label_sla(build_prefixes(states, moments), SPEC)
    c1 = rows.filter(pl.col("case_id") == "c1")
    assert c1.select("prefix_length", "remaining_h", "next_activity", "sla_state").rows() == [
        (1, 5.0, "Work", "open"),
        (2, 2.0, "Closed", "open"),
    ]
    assert c1["sla_breach"].to_list() == [0.0, 0.0]  # 6 hours: within 10
    c2 = rows.filter(pl.col("case_id") == "c2")
    # at 09:00 next day the closing event is not yet in the prefix (strictly before)
    assert c2["remaining_h"].to_list() == [21.0, 18.0, 15.0, 12.0, 9.0, 6.0, 3.0, 0.0]
    # more than 10 hours after 09:00: breached from 21:00 on, known then (no prediction)
    assert c2["sla_state"].to_list() == ["open"] * 3 + ["breached"] * 5
    assert c2["sla_breach"].to_list() == [1.0] * 3 + [None] * 5


def test_end_activities_and_case_attributes_from_the_data() -> None:
    log = small_log()
    assert find_end_activities(log) == ("Closed",)
    assert find_end_activities(log, known=("Wait", "Gone")) == ("Wait",)
    assert find_case_attributes(log) == ()  # two values for two cases: not fewer than half
    many = pl.concat([log.with_columns(pl.col("case_id") + str(i)) for i in range(3)])
    assert find_case_attributes(many.with_columns(pl.col("resource").alias("case:owner"))) == (
        "case:priority",
    )
    spec = build_spec(log, sla_hours=None)
    assert (spec.end_activities, spec.sla) == (("Closed",), "none")
    sla_log = log.with_columns(pl.col("activity").cast(pl.String).replace("Work", "SLA started"))
    assert build_spec(sla_log).sla == "task_sla"


def test_the_baselines_and_measures_are_exact() -> None:
    train = pl.DataFrame(
        {
            "last_activity": ["a", "a", "b", "b", "b"],
            "prefix_length": [1, 2, 1, 2, 2],
            "remaining_h": [10.0, 20.0, 3.0, 6.0, 9.0],
            "next_activity": ["b", "b", "c", "c", "c"],
        }
    )
    test = pl.DataFrame(
        {
            "last_activity": ["a", "b", "z"],
            "prefix_length": [1, 2, 3],
            "remaining_h": [12.0, 4.0, 0.0],
            "next_activity": ["b", "d", "c"],
        }
    )
    assert mean_of_prefix_baseline(train, test, by="last_activity").tolist() == [15.0, 6.0, 9.6]
    assert mean_of_prefix_baseline(train, test, by="prefix_length").tolist() == [6.5, 35 / 3, 9.6]
    ranked = np.array([["b", "c", "d"], ["c", "d", "b"], ["c", "b", "d"]])
    scores = score_next_activity(train, test, ranked)
    assert (scores.top1, scores.top3) == (2 / 3, 1.0)
    assert scores.baseline_top1 == 1 / 3  # always "c" (3 of 5 in training)
    # a -> "b" right, b -> "c" wrong, z (unseen) -> the overall "c" right
    assert scores.baseline_last_activity_top1 == 2 / 3
    sla = score_sla(0.5, np.array([0.9, 0.25, 0.75]), np.array([1.0, 0.0, 0.0]))
    assert sla.brier == pytest.approx((0.01 + 0.0625 + 0.5625) / 3)
    assert sla.baseline_brier == pytest.approx(0.25)
    assert sla.breach_rate == pytest.approx(1 / 3)
    assert [(round(low, 1), mean, rate, n) for low, mean, rate, n in sla.reliability] == [
        (0.2, 0.25, 0.0, 1),
        (0.7, 0.75, 0.0, 1),
        (0.9, 0.9, 1.0, 1),
    ]


def test_the_split_keeps_cases_apart_by_their_start() -> None:
    log = synthetic_log(120, open_cases=0)
    states = build_event_states(log, build_spec(log, sla_hours=30.0))
    split = split_by_time(states, test_share=0.2, target_rows=2_000)
    assert split.split_at == at("2024-01-01T00:00") + dt.timedelta(hours=6 * 96)
    assert split.step == dt.timedelta(minutes=72)  # (40 cases x 40 h + 80 x 10 h) / 2,000
    assert set(split.train["case_id"]).isdisjoint(set(split.test["case_id"]))
    assert split.train["case_start"].max() < split.split_at  # type: ignore[operator]
    assert split.test["case_start"].min() >= split.split_at  # type: ignore[operator]
    assert (split.train["case_id"].n_unique(), split.test["case_id"].n_unique()) == (96, 24)
    # 2,400 case hours over 50 moments would be 48 hours apart: the step stops at a day, and
    # the training side's moments are a seeded sample of 50 (the same each time)
    sampled = split_by_time(states, test_share=0.2, target_rows=50)
    assert sampled.step == dt.timedelta(days=1)
    assert (sampled.train.height, sampled.test.height) == (50, 16)
    again = split_by_time(states, test_share=0.2, target_rows=50)
    assert again.train.select("case_id", "moment").equals(sampled.train.select("case_id", "moment"))


# ------------------------------------------------------------------ training, storing, the CLI


def synthetic_log(cases: int, *, open_cases: int) -> pl.DataFrame:
    """A case every 6 hours from 1 January 2024: Created, (Review every third case), Work,
    Closed; third cases take 40 hours, the others 10; the last ``open_cases`` stop after
    Work. Ten people, two org units."""
    rows = []
    for i in range(cases):
        start = at("2024-01-01T00:00") + dt.timedelta(hours=6 * i)
        slow = i % 3 == 0
        steps = [("Created", 0.0)]
        steps += [("Review", 8.0), ("Work", 20.0), ("Closed", 40.0)] if slow else [
            ("Work", 4.0), ("Closed", 10.0)]  # fmt: skip
        if i >= cases - open_cases:
            steps = steps[:-1]
        for activity, hours in steps:
            rows.append(
                (f"k{i:04d}", activity, start + dt.timedelta(hours=hours), f"e{i % 10}",
                 "Slow" if slow else "Fast", "high" if slow else "low")
            )  # fmt: skip
    return pl.DataFrame(
        rows, schema=["case_id", "activity", "timestamp", "resource", "org_unit", "case:kind"],
        orient="row",
    ).with_columns(
        pl.col("activity").cast(pl.Categorical),
        pl.col("timestamp").dt.replace_time_zone("UTC"),
        pl.int_range(pl.len(), dtype=pl.UInt64).alias("event_order"),
    )  # fmt: skip


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LogStore, dict]]:  # type: ignore[type-arg]
    root = tmp_path_factory.mktemp("open-cases")
    patch = pytest.MonkeyPatch()
    patch.setenv("KITFLOW_MODEL_KEY_FILE", str(root / "keys" / "model.key"))
    patch.setenv("KITFLOW_DATA_DIR", str(root / "data"))
    patch.delenv("KITFLOW_DATABASE_URL", raising=False)
    store = LogStore(root / "data")
    csv = root / "synthetic.csv"
    synthetic_log(240, open_cases=3).with_columns(
        pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    ).drop("event_order").write_csv(csv)
    import_log(store, csv, name="synthetic", options=ReadOptions(keep_columns=("case:kind",)))
    model, _, _ = train_open_case_model(store, "synthetic", sla_hours=30.0)
    yield store, model.card
    store.catalog.dispose()
    patch.undo()


def test_training_stores_a_signed_model_with_its_card_in_the_catalog(
    trained: tuple[LogStore, dict],  # type: ignore[type-arg]
) -> None:
    store, card = trained
    assert card["task"].startswith("predict remaining time, SLA breach risk and next activity")
    assert card["end_activities"] == ["Closed"]
    assert card["sla"] == {"mode": "hours", "hours": 30.0}
    assert "resource" not in card["features"] and "case:kind" in card["features"]
    data = card["data"]
    assert data["split_at"] == "2024-02-18T00:00:00+00:00"  # case 192 of 240 starts then
    # cases 0-191 started before the split, 192-239 after it (the last 3 are open: untested)
    assert data["train_cases"] == 192 and data["test_cases"] == 45
    metrics = card["metrics"]
    # the kind of case decides everything here: the model is (nearly) exact, the baselines not
    assert metrics["next_activity"]["top1"] == 1.0
    assert metrics["next_activity"]["baseline_last_activity_top1"] < 1.0
    assert metrics["remaining"]["mae_h"] < metrics["remaining"]["baseline_last_activity_mae_h"]
    assert metrics["sla"]["brier"] < metrics["sla"]["baseline_brier"]
    cards = store.catalog.model_cards()
    assert [(c.name, c.version) for c in cards] == [("open-cases-synthetic", 1)]
    assert json.loads(cards[0].card)["trained_at"] == card["trained_at"]


def test_the_cli_lists_the_open_cases_as_json(
    trained: tuple[LogStore, dict],  # type: ignore[type-arg]
) -> None:
    result = CliRunner().invoke(cli, ["predict", "cases", "synthetic", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["open_cases"] == 3 and answer["withheld"] is False
    # just after the last event: k0234 (slow, from 28 Feb 12:00) closed 40 hours on
    assert answer["as_of"] == "2024-03-01T04:00:00.000001+00:00"
    rows = {r["case_id"]: r for r in answer["cases"]}
    assert sorted(rows) == ["k0237", "k0238", "k0239"]
    # k0237 is slow (from 29 Feb 06:00: Review at +8 h, Work at +20 h, Closed due at +40 h)
    assert rows["k0237"]["last_activity"] == "Work"
    assert rows["k0237"]["elapsed_h"] == pytest.approx(22.0, abs=1e-6)
    assert rows["k0237"]["next_activity"] == "Closed"
    assert rows["k0239"]["next_activity"] == "Closed"
    assert all(r["sla_state"] in ("open", "breached") for r in rows.values())
    evaluated = CliRunner().invoke(cli, ["predict", "cases-evaluate", "synthetic", "--json"])
    assert evaluated.exit_code == 0, evaluated.output
    trained_card = trained[1]
    assert json.loads(evaluated.output)["metrics"] == json.loads(
        json.dumps(trained_card["metrics"])
    )


def test_predictions_for_chosen_cases_at_an_earlier_moment(
    trained: tuple[LogStore, dict],  # type: ignore[type-arg]
) -> None:
    store, _ = trained
    moment = at("2024-01-01T05:00")  # k0000 (slow) opened at 00:00, nothing else yet
    answer = predict_open_cases(store, "synthetic", as_of=moment, cases=["k0000", "k0001"])
    assert answer.cases.select("case_id", "last_activity", "elapsed_h", "idle_h").rows() == [
        ("k0000", "Created", 5.0, 5.0)
    ]


def test_bad_input_is_refused_with_a_message(
    trained: tuple[LogStore, dict],  # type: ignore[type-arg]
) -> None:
    result = CliRunner().invoke(cli, ["predict", "cases", "synthetic", "--as-of", "tomorrow"])
    assert "is not an ISO date-time" in str(result.exception)
    result = CliRunner().invoke(cli, ["predict", "cases", "nosuchlog"])
    assert "no stored log is named 'nosuchlog'" in str(result.exception)
    result = CliRunner().invoke(cli, ["predict", "cases-train", "synthetic", "--sla-hours", "0"])
    assert "must be a number of hours above 0" in str(result.exception)


def test_a_log_of_fewer_than_5_people_lists_no_open_case(tmp_path: Path) -> None:
    patch = pytest.MonkeyPatch()
    patch.setenv("KITFLOW_MODEL_KEY_FILE", str(tmp_path / "keys" / "model.key"))
    try:
        store = LogStore(tmp_path / "data")
        csv = tmp_path / "few.csv"
        synthetic_log(120, open_cases=2).with_columns(
            pl.col("timestamp").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            pl.format("p{}", pl.col("case_id").str.slice(-1).cast(pl.Int64) % 3).alias("resource"),
        ).drop("event_order").write_csv(csv)
        import_log(store, csv, name="few", options=ReadOptions())
        train_open_case_model(store, "few")
        answer = predict_open_cases(store, "few")
        assert answer.withheld and answer.cases.is_empty()
        panel = render_open_cases(store, "few", "da")
        assert [p.children for p in panel] == [
            "Loggen nævner færre end 5 personer, så dens åbne sager vises ikke."
        ]
        assert [p.children for p in render_open_cases(store, "other", "en")] == [
            "No prediction model for other yet. An analyst trains one with "
            "'kitflow predict cases-train other' (add --sla-hours H for an SLA in hours)."
        ]
        store.catalog.dispose()
    finally:
        patch.undo()


# ------------------------------------------------------------------------------ the pages

ORDERS = "servicenow-orders"
CASES = Path(__file__).resolve().parent.parent / "data" / "business_cases"


@pytest.fixture(scope="module")
def landscape_dir(
    kit_landscape: KitLandscape, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The landscape's data folder, copied, with the committed business cases (as the demo
    has them) and a model for the orders (SLA: 72 hours; 8,000 moments, to be quick)."""
    root = tmp_path_factory.mktemp("open-cases-landscape")
    shutil.copytree(kit_landscape.data_dir, root / "data")
    shutil.copytree(CASES, root / "data" / "business_cases")
    patch = pytest.MonkeyPatch()
    patch.setenv("KITFLOW_MODEL_KEY_FILE", str(root / "keys" / "model.key"))
    store = LogStore(root / "data")
    train_open_case_model(store, ORDERS, sla_hours=72.0, target_rows=8_000)
    store.catalog.dispose()
    yield root / "data"
    patch.undo()


def danish(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def expected_cells(row: dict[str, object]) -> list[str]:
    """The prediction cells as a Danish reader writes them."""
    state, risk = row["sla_state"], row["sla_risk"]
    sla = {"breached": "brudt", "met": "overholdt", "none": "ingen SLA"}.get(str(state))
    return [
        danish(float(row["remaining_h"]) / 24, 1),  # type: ignore[arg-type]
        sla or f"{danish(100 * float(risk), 0)} %",  # type: ignore[arg-type]
        f"{row['next_activity']} ({danish(100 * float(row['next_probability']), 0)} %)",  # type: ignore[arg-type]
    ]


def rows_of(browser: Any, table_id: str) -> list[list[str]]:
    rows = browser.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
    return [[str(td.text) for td in row.find_elements(By.TAG_NAME, "td")] for row in rows]


@pytest.mark.e2e
def test_the_pages_show_the_predictions_of_open_cases(
    landscape_dir: Path,
    live_server: Callable[[Any], str],
    browser: Any,
    sign_in: Callable[..., Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    shots = tmp_path_factory.mktemp("open-cases-screenshots")
    store = LogStore(landscape_dir)
    app = create_app(store)
    base = live_server(app)
    sign_in(browser, "analyst", base_url=base, app=app)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1440, "height": 2400, "deviceScaleFactor": 1, "mobile": False},
    )
    expected = predict_open_cases(store, ORDERS)
    assert not expected.withheld and expected.cases.height > 0
    # Procesoverblik: the panel lists the open cases, the longest expected remaining time first
    browser.get(f"{base}/process-map?log={ORDERS}")
    rows = wait_for(browser, lambda b: rows_of(b, ids.MAP_OPEN_CASES_TABLE))
    first = expected.cases.head(len(rows)).to_dicts()
    assert [r[0] for r in rows] == [r["case_id"] for r in first]
    assert [r[4:7] for r in rows] == [expected_cells(r) for r in first]
    assert [r[1] for r in rows] == [r["last_activity"] for r in first]
    summary = browser.find_element(By.ID, ids.MAP_OPEN_CASES_NOTE).text
    assert summary.startswith(f"{expected.cases.height} åbne sager pr. ")
    browser.execute_script(
        "document.getElementById(arguments[0]).scrollIntoView()", ids.MAP_OPEN_CASES
    )
    browser.save_screenshot(str(shots / "procesoverblik-aabne-sager.png"))
    # Fastlåste sager: the waiting cases with their predictions as of the list's moment
    browser.get(f"{base}/stuck?log={ORDERS}")
    rows = wait_for(browser, lambda b: rows_of(b, f"{ids.STUCK_TABLE}-table"))
    report = find_stuck(store, ORDERS)
    stuck = predict_open_cases(
        store, ORDERS, as_of=report.as_of, cases=report.cases["case_id"].to_list()
    )
    by_id = {r["case_id"]: r for r in stuck.cases.to_dicts()}
    assert [r[0] for r in rows] == report.cases["case_id"].to_list()
    assert [r[6:9] for r in rows] == [expected_cells(by_id[r[0]]) for r in rows]
    headings = browser.find_elements(By.CSS_SELECTOR, f"#{ids.STUCK_TABLE}-table th")
    assert [h.text for h in headings][6:] == [
        "FORVENTET RESTID (DAGE)", "RISIKO FOR SLA-BRUD", "FORVENTET NÆSTE HÆNDELSE",
    ]  # fmt: skip
    browser.save_screenshot(str(shots / "fastlaaste-sager.png"))
    severe = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == []
    store.catalog.dispose()


def test_the_model_list_names_the_open_case_models_in_json_only(
    trained: tuple[LogStore, dict],  # type: ignore[type-arg]
) -> None:
    listed = CliRunner().invoke(cli, ["predict", "list", "--json"])
    assert [c["name"] for c in json.loads(listed.output)] == ["open-cases-synthetic"]
    table = CliRunner().invoke(cli, ["predict", "list"])  # the assistant's table: not these
    assert table.exit_code == 0, table.output
    assert "open-cases" not in table.output
