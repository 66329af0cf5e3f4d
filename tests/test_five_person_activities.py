"""The 5-person rule per activity: the process map (Procesoverblik), ``kitflow dfg`` and
``kitflow bottlenecks --level activity`` merge the activities naming fewer than 5 people.

Hand-made log, cases 1-5 on 4-8 March 2024, case i (0-4):

    a at 08:00 by p<i>, x at 09:00 by q<min(i, 3)>, y at 11:00 by p<i>

a and y name 5 people, x 4 (q0-q3). The log ``xz`` adds z at 12:00 by r0 in case 1: x and z
then name 5 people together and merge into one activity; in ``x`` alone they are 4 and are
left out with their arcs. ``nobody`` has no resource column.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from app.dashboard.pages import process_map
from extractors.files import ReadOptions
from mining import OTHER_ACTIVITIES, WITHHELD_GROUP, discover_dfg, merge_small_activities
from models.store import LogStore
from services.imports import import_log
from tests.cli_support import run

OTHER_DA = "Øvrige aktiviteter (under 5 personer)"
RULE_DA = "(5-personers-reglen; en robot eller systemkonto tæller som én person)."


def log_csv(*, z: bool = False, resource: bool = True) -> str:
    lines = ["case_id,activity,timestamp" + (",resource" if resource else "")]

    def event(case: int, activity: str, hour: int, person: str) -> str:
        moment = f"2024-03-{4 + case:02d}T{hour:02d}:00:00Z"
        return f"{case + 1},{activity},{moment}" + (f",{person}" if resource else "")

    for i in range(5):
        lines += [event(i, "a", 8, f"p{i}"), event(i, "x", 9, f"q{min(i, 3)}")]
        lines += [event(i, "y", 11, f"p{i}")]
        if z and i == 0:
            lines += [event(i, "z", 12, "r0")]
    return "\n".join(lines) + "\n"


def frame(csv: str) -> pl.DataFrame:
    return pl.read_csv(csv.encode(), try_parse_dates=True)


def arcs(dfg: pl.DataFrame) -> list[tuple[str, str, int, float]]:
    rows = dfg.sort(["source", "target"]).iter_rows(named=True)
    return [(r["source"], r["target"], r["frequency"], r["mean_duration_s"]) for r in rows]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LogStore]:
    store = LogStore(tmp_path / "data")
    logs = {"x": log_csv(), "xz": log_csv(z=True), "nobody": log_csv(resource=False)}
    for name, content in logs.items():
        path = tmp_path / f"{name}.csv"
        path.write_text(content, encoding="utf-8")
        import_log(store, path, name=name, options=ReadOptions())
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(store.data_dir))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    yield store
    store.catalog.dispose()


# --- mining.merge_small_activities -------------------------------------------------------------


def test_an_activity_of_4_people_merged_with_another_into_5_is_one_activity() -> None:
    merged = merge_small_activities(frame(log_csv(z=True)))
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 5, False)
    events = merged.frame.collect()
    assert events["activity"].to_list()[:4] == ["a", OTHER_ACTIVITIES, "y", OTHER_ACTIVITIES]
    # The arcs into and out of x and z re-pointed to the merged activity; a→y is not invented.
    assert arcs(discover_dfg(events)) == [
        (OTHER_ACTIVITIES, "y", 5, 7200.0),
        ("a", OTHER_ACTIVITIES, 5, 3600.0),
        ("y", OTHER_ACTIVITIES, 1, 3600.0),
    ]


def test_an_activity_of_4_people_alone_is_withheld() -> None:
    merged = merge_small_activities(frame(log_csv()))
    assert (merged.merged, merged.other_people, merged.withheld) == (1, 4, True)
    labels = merged.frame.collect()["activity"].unique().sort().to_list()
    assert labels == [WITHHELD_GROUP, "a", "y"]


def test_a_log_without_people_is_unchanged() -> None:
    events = frame(log_csv(resource=False))
    merged = merge_small_activities(events)
    assert (merged.merged, merged.people_known) == (0, False)
    assert merged.frame.collect().equals(events)


def test_null_people_do_not_count_and_an_account_counts_as_one() -> None:
    events = frame(log_csv()).with_columns(
        pl.when(pl.col("activity") == "y")
        .then(None)
        .otherwise(pl.col("resource"))
        .alias("resource")
    )
    merged = merge_small_activities(events)
    # y names no person (0) and x 4, together 4 people (q0-q3): both left out.
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 4, True)


# --- Procesoverblik ----------------------------------------------------------------------------


def test_the_map_shows_the_merged_activity(store: LogStore) -> None:
    view = process_map.render_map(store, "xz", 100, "da")
    assert view.message is None
    assert view.summary == (
        "Viser 3 af 4 aktiviteter og 3 af 3 overgange · 2 aktiviteter med under 5 personer er "
        f"slået sammen til «{OTHER_DA}» {RULE_DA}"
    )
    edges = {(e["data"]["source"], e["data"]["target"]): e["data"]["label"]
             for e in view.elements if "source" in e["data"]}  # fmt: skip
    assert edges == {("a", OTHER_DA): "5", (OTHER_DA, "y"): "5", ("y", OTHER_DA): "1"}
    nodes = {
        e["data"]["id"]: e["data"]["count"] for e in view.elements if "source" not in e["data"]
    }
    assert nodes == {OTHER_DA: 6, "a": 5, "y": 5}


def test_the_map_leaves_out_an_activity_of_4_people(store: LogStore) -> None:
    # x names 4 people even alone: left out with its arcs, and a→y is not invented.
    view = process_map.render_map(store, "x", 100, "en")
    assert view.elements == []
    assert view.message is not None
    assert view.message.children == (
        "The log x has no arcs. 1 activities with fewer than 5 people (even together) are left "
        "out with their arcs (the 5-person rule; a robot or a system account counts as one "
        "person)."
    )


def test_the_map_of_a_log_without_people_is_unchanged_and_says_so(store: LogStore) -> None:
    view = process_map.render_map(store, "nobody", 100, "da")
    assert view.summary == (
        "Viser 3 af 3 aktiviteter og 2 af 2 overgange · Loggen har ingen kolonne med personer, "
        "så 5-personers-reglen kan ikke tælles her."
    )


# --- kitflow dfg and bottlenecks --level activity -------------------------------------------


def test_cli_dfg_merges_the_small_activities(store: LogStore) -> None:
    graph = json.loads(run("dfg", "xz", "--json"))
    assert [(r["source"], r["target"], r["frequency"]) for r in graph] == [
        (OTHER_ACTIVITIES, "y", 5),
        ("a", OTHER_ACTIVITIES, 5),
        ("y", OTHER_ACTIVITIES, 1),
    ]
    shown = run("dfg", "xz")
    assert "2 aktiviteter med under 5 personer er slået sammen" in shown
    assert json.loads(run("dfg", "x", "--json")) == []
    assert "1 aktiviteter med under 5 personer (også samlet) er udeladt" in run("dfg", "x")
    unchanged = json.loads(run("dfg", "nobody", "--json"))
    assert [(r["source"], r["target"]) for r in unchanged] == [("a", "x"), ("x", "y")]


def test_cli_bottlenecks_per_activity_merge_the_small_activities(store: LogStore) -> None:
    ranked = json.loads(run("bottlenecks", "xz", "--level", "activity", "--json"))
    assert [(r["activity"], r["rank"], r["frequency"], r["mean_wait_s"]) for r in ranked] == [
        ("y", 1, 5, 7200.0),
        (OTHER_ACTIVITIES, 2, 6, 3600.0),
    ]
    shown = run("bottlenecks", "xz", "--level", "activity")
    assert f"2 aktiviteter med under 5 personer er slået sammen til «{OTHER_DA}»" in shown
    ranked = json.loads(run("bottlenecks", "x", "--level", "activity", "--json"))
    assert [(r["activity"], r["rank"], r["frequency"]) for r in ranked] == [("y", 1, 5)]
