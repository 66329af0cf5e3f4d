"""Handovers and rule checks of a log stored in partitions, computed one partition at a time and
merged (mining.partitioned): every figure, row and order equals the one-file computation, the
5-person rule's merges and withholdings decided over all partitions included."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import app.cli_conformance
import app.cli_mining
from mining import (
    WITHHELD_GROUP,
    PartitionedLog,
    Performer,
    PrivacyError,
    Rule,
    check_partitioned_rules,
    check_rules,
    compute_handovers,
    compute_handovers_per_case,
    compute_partitioned_handovers,
    find_ping_pong,
    merge_partitioned_small_groups,
    merge_small_groups,
    summarize_rule_results,
)
from mining.rules import build_rule
from models.eventlog import CanonicalLog
from models.schema import (
    ACTIVITY,
    CASE,
    EVENT_ORDER,
    ORG_UNIT,
    RESOURCE,
    empty_quarantine,
)
from models.store import LogStore
from services.storing import store_canonical_log
from tests.conftest import KitLandscape
from tests.test_partitioned_mining import FLAT_LANDSCAPE_LOGS, _cli_json, _partitioned
from tests.test_partitioned_mining import _log as _flat_log

T0 = dt.datetime(2024, 3, 1, 8, 0, tzinfo=dt.UTC)
Row = tuple[str, str, int, str | None, str | None]

# Twelve cases, eight people, four org units. Drift (p1-p5) and Service (p1-p3, p6, p7) show 5
# people; Jura (p8) and Løn (p4, p5) fewer, and only 3 together: withheld. c4's people go
# p2 → p1 → p2 → p1 (3 handovers, 2 ping-pongs); c9 and c11 have an event without a person or
# without a unit; c12 is the only case started in April (2 people: that month is withheld).
HAND_MADE: list[Row] = [
    ("c1", "Register", 0, "p1", "Drift"),
    ("c1", "Check", 10, "p6", "Service"),
    ("c1", "Close", 30, "p2", "Drift"),
    ("c2", "Register", 5, "p3", "Service"),
    ("c2", "Check", 5, "p3", "Drift"),
    ("c2", "Close", 65, "p8", "Jura"),
    ("c3", "Register", 0, "p4", "Løn"),
    ("c3", "Check", 40, "p5", "Løn"),
    ("c3", "Audit", 50, "p7", "Service"),
    ("c3", "Close", 55, "p4", "Drift"),
    ("c4", "Register", 20, "p2", "Service"),
    ("c4", "Check", 120, "p1", "Drift"),
    ("c4", "Close", 121, "p2", "Service"),
    ("c4", "Reopen", 130, "p1", "Service"),
    ("c5", "Register", 7, "p5", "Drift"),
    ("c6", "Register", 1, "p6", "Service"),
    ("c6", "Close", 2, "p6", "Service"),
    ("c7", "Register", 3, "p4", "Drift"),
    ("c7", "Close", 3, "p5", "Løn"),
    ("c8", "Close", 9, "p8", "Jura"),
    ("c8", "Register", 9, "p1", "Drift"),
    ("c9", "Check", 4, None, "Service"),
    ("c9", "Close", 5, "p7", "Service"),
    ("c10", "Register", 0, "p3", "Drift"),
    ("c10", "Close", 1440, "p6", "Service"),
    ("c11", "Register", 0, "p1", "Drift"),
    ("c11", "Check", 50, "p4", None),
    ("c11", "Close", 60, "p2", "Drift"),
    ("c12", "Register", 57600, "p5", "Drift"),
    ("c12", "Close", 57700, "p6", "Service"),
]
# p6's Service events moved to Jura: Service (4 people), Jura (2) and Løn (2) are all small,
# and 8 people together: merged into one group, not withheld.
MERGED: list[Row] = [
    (case, activity, at, who, "Jura" if (who, unit) == ("p6", "Service") else unit)
    for case, activity, at, who, unit in HAND_MADE
]
RULES_YAML = [
    {"id": "four-eyes", "kind": "four_eyes", "first": "Register", "second": "Close"},
    {"id": "fast", "kind": "response_within", "source": "Register", "target": "Close"},
    {
        "id": "checked",
        "kind": "required_between",
        "source": "Register",
        "target": "Close",
        "via": "Check",
    },
    {"id": "unit-known", "kind": "attribute_present", "column": ORG_UNIT},
]


def _log(rows: list[Row]) -> pl.DataFrame:
    """A canonical log of (case, activity, minutes after T0, resource, org unit) rows, sorted
    as stored."""
    events = _flat_log([(case, activity, at, who) for case, activity, at, who, _ in rows])
    units = pl.DataFrame(
        {EVENT_ORDER: range(len(rows)), ORG_UNIT: [row[4] for row in rows]},
        schema={EVENT_ORDER: pl.UInt64, ORG_UNIT: pl.String},
    )
    return events.join(units, on=EVENT_ORDER, how="left", maintain_order="left")


def _rules(within_days: float = 0.5) -> tuple[Rule, ...]:
    items = [dict(item) for item in RULES_YAML]
    items[1]["within_days"] = within_days
    return tuple(build_rule(item) for item in items)


def _assert_same_handovers(events: pl.DataFrame, log: PartitionedLog, level: Performer) -> None:
    """The merged handovers of ``log`` equal those of ``events`` in one file, after the
    5-person merge of org units (as ``kitflow handovers`` computes them)."""
    if level == "org_unit":
        groups, merged = merge_partitioned_small_groups(log, by=ORG_UNIT)
        single = merge_small_groups(events, by=ORG_UNIT)
        figures = ("merged", "other_people", "withheld", "people_known")
        assert [getattr(merged, f) for f in figures] == [getattr(single, f) for f in figures]
        assert_frame_equal(merged.frame.collect(), single.frame.collect(), check_row_order=False)
        one_file = single.frame.collect()
    else:
        groups, one_file = None, events
    found = compute_partitioned_handovers(log, level=level, groups=groups)
    assert_frame_equal(found.matrix, compute_handovers(one_file, level=level), check_exact=True)
    assert_frame_equal(found.ping_pong, find_ping_pong(one_file, level=level), check_exact=True)
    per_case = compute_handovers_per_case(one_file, level=level)
    assert (found.cases, found.handovers, found.ping_pongs) == (
        per_case.height,
        per_case["handovers"].sum(),
        per_case["ping_pongs"].sum(),
    )


def _assert_same_rules(events: pl.DataFrame, log: PartitionedLog, rules: tuple[Rule, ...]) -> None:
    found, single = check_partitioned_rules(log, rules), check_rules(events, rules)
    assert_frame_equal(found, single, check_exact=True)
    for level in ("rule", "org_unit", "month"):
        assert_frame_equal(
            summarize_rule_results(found, level=level),
            summarize_rule_results(single, level=level),
            check_exact=True,
        )


def _partition_people(log: PartitionedLog) -> list[int]:
    return [
        lazy.select(pl.col(RESOURCE).drop_nulls().n_unique()).collect().item()
        for lazy in log.partitions()
    ]


@pytest.mark.parametrize("rows", [HAND_MADE, MERGED], ids=["withheld", "merged"])
def test_hand_made_handovers_and_rules_equal_the_one_file_ones(
    tmp_path: Path, rows: list[Row]
) -> None:
    events = _log(rows)
    for partitions in (3, 1, 16):
        log = _partitioned(events, tmp_path / str(partitions), partitions)
        for level in ("org_unit", "resource"):
            _assert_same_handovers(events, log, level)
        _assert_same_rules(events, log, _rules())
        _assert_same_rules(events, log, ())
    # In 16 partitions none shows 5 people: the rule counts them over the whole log.
    assert max(_partition_people(_partitioned(events, tmp_path / "again", 16))) < 5


def test_the_hand_made_figures_are_the_hand_computed_ones(tmp_path: Path) -> None:
    log = _partitioned(_log(HAND_MADE), tmp_path)
    groups, merged = merge_partitioned_small_groups(log, by=ORG_UNIT)
    assert (groups.small, groups.label) == (("Jura", "Løn"), WITHHELD_GROUP)
    assert (merged.merged, merged.other_people, merged.withheld) == (2, 3, True)
    units = compute_partitioned_handovers(log, level="org_unit", groups=groups)
    assert units.matrix.select("source", "target", "handovers", "cases").rows() == [
        ("Drift", "Service", 4, 4),
        ("Service", "Drift", 4, 4),
        ("Drift", WITHHELD_GROUP, 2, 2),
        (WITHHELD_GROUP, "Drift", 1, 1),
        (WITHHELD_GROUP, "Service", 1, 1),
    ]
    assert units.matrix["share"].to_list() == [4 / 12, 4 / 12, 2 / 12, 1 / 12, 1 / 12]
    people = compute_partitioned_handovers(log, level="resource")
    # c4: p2 → p1 → p2 → p1, three handovers and two ping-pongs (p2-p1-p2 and p1-p2-p1).
    c4 = people.matrix.filter(pl.col("source").is_in(["p1", "p2"]), pl.col("target") != "p4")
    assert c4.select("source", "target", "handovers", "cases").rows() == [
        ("p1", "p2", 1, 1),
        ("p1", "p6", 1, 1),
        ("p2", "p1", 2, 1),
    ]
    assert people.ping_pong.rows() == [("p1", "p2", 1, 1), ("p2", "p1", 1, 1)]
    assert (people.cases, people.handovers, people.ping_pongs) == (12, 15, 2)
    _, merged_units = merge_partitioned_small_groups(
        _partitioned(_log(MERGED), tmp_path / "merged"), by=ORG_UNIT
    )
    assert (merged_units.merged, merged_units.other_people, merged_units.withheld) == (3, 8, False)
    results = check_partitioned_rules(log, _rules())
    assert set(results[ORG_UNIT].to_list()) == {"Drift", "Service", WITHHELD_GROUP}
    # c12 alone started in April (2 people): its month is withheld, in the summary left out.
    assert results.filter(pl.col(CASE) == "c12")["month"].unique().to_list() == [WITHHELD_GROUP]
    months = summarize_rule_results(results, level="month")
    assert months.filter(pl.col("rule") == "unit-known").rows() == [
        ("unit-known", "2024-03", 11, 1, 1, 100 * 10 / 11)
    ]


def test_fewer_than_5_resources_in_the_whole_log_are_withheld(tmp_path: Path) -> None:
    few = [
        (c, a, t, {"p5": "p1", "p6": "p2", "p7": "p3", "p8": "p4"}.get(w or "", w), u)
        for c, a, t, w, u in HAND_MADE
    ]
    events = _log(few)
    log = _partitioned(events, tmp_path)
    with pytest.raises(PrivacyError, match="holds 4 resource"):
        compute_handovers(events, level="resource")
    with pytest.raises(PrivacyError, match="holds 4 resource"):
        compute_partitioned_handovers(log, level="resource")
    with pytest.raises(PrivacyError, match="below the privacy rule"):
        compute_partitioned_handovers(
            _partitioned(_log(HAND_MADE), tmp_path / "all"), level="resource", min_group_size=3
        )


def _landscape_rules(events: pl.DataFrame) -> tuple[Rule, ...]:
    """The hand-made rules on the log's own three most frequent activities."""
    counts = events.get_column(ACTIVITY).cast(pl.String).value_counts(sort=True)
    first, second, third = counts.get_column(ACTIVITY).head(3).to_list()
    items: list[dict[str, Any]] = [
        {"id": "four-eyes", "kind": "four_eyes", "first": first, "second": second},
        {
            "id": "fast",
            "kind": "response_within",
            "source": first,
            "target": second,
            "within_days": 2,
        },
        {
            "id": "between",
            "kind": "required_between",
            "source": first,
            "target": second,
            "via": third,
        },
        {"id": "someone", "kind": "attribute_present", "column": RESOURCE},
    ]
    return tuple(build_rule(item) for item in items)


@pytest.mark.parametrize("name", FLAT_LANDSCAPE_LOGS)
def test_the_landscape_logs_in_3_partitions(
    kit_landscape: KitLandscape, tmp_path: Path, name: str
) -> None:
    events = LogStore(kit_landscape.data_dir).read(name)
    log = _partitioned(events, tmp_path)
    for level in ("org_unit", "resource"):
        if (ORG_UNIT if level == "org_unit" else RESOURCE) in events.columns:
            _assert_same_handovers(events, log, level)
    _assert_same_rules(events, log, _landscape_rules(events))


def test_the_cli_computes_a_partitioned_log_per_partition(
    kit_landscape: KitLandscape, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITFLOW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("KITFLOW_DATABASE_URL", raising=False)
    events = LogStore(kit_landscape.data_dir).read("servicenow-incidents")
    store = LogStore(tmp_path / "data")
    origin: dict[str, Any] = {"source_path": "copy", "source_format": "parquet", "replace": False}
    for name, partitions in (("one", None), ("parts", 3)):
        log = CanonicalLog(events=events, quarantine=empty_quarantine())
        store_canonical_log(store, log, name=name, partitions=partitions, **origin)
    rules_file = tmp_path / "rules.yaml"
    rules = _landscape_rules(events)
    rules_file.write_text(
        json.dumps(
            {
                "rules": [
                    {k: v for k, v in vars(rule).items() if k in ("id", "kind", "first", "second")}
                    for rule in rules
                    if rule.kind == "four_eyes"
                ]
            }
        ),
        encoding="utf-8",
    )
    calls: list[str] = []
    for module, function in (
        (app.cli_mining, "compute_partitioned_handovers"),
        (app.cli_conformance, "check_partitioned_rules"),
    ):
        original = getattr(module, function)

        def spy(*args: Any, _name: str = function, _original: Any = original, **kw: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kw)

        monkeypatch.setattr(module, function, spy)
    commands = [
        ["handovers", "{}"],
        ["handovers", "{}", "--level", "resource"],
        ["rules", "{}", "--rules", str(rules_file), "--by", "org_unit", "--cases"],
        ["rules", "{}", "--rules", str(rules_file), "--by", "month"],
    ]
    for command in commands:
        one = _cli_json([part.format("one") for part in command])
        parts = _cli_json([part.format("parts") for part in command])
        assert (parts | {"log": "one"} if "log" in parts else parts) == one
    assert calls == [
        "compute_partitioned_handovers",
        "compute_partitioned_handovers",
        "check_partitioned_rules",
        "check_partitioned_rules",
    ]
    # A filtered view of a partitioned log is filtered partition by partition (whole cases, one
    # case in one partition) and merged: the same as the one-file view.
    calls.clear()
    since = ["--since", "2024-01-01"]
    assert _cli_json(["handovers", "parts", *since]) == _cli_json(["handovers", "one", *since])
    assert calls == ["compute_partitioned_handovers"]
