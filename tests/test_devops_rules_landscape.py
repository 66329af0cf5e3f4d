"""The example SAFe rules (docs/examples/rules.yaml) on the extracted Azure DevOps log of the
simulated landscape find exactly the misuse the manifest planted, per service area; the
follow-up's rule rates on the staged tables agree with them there."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from mining import check_rules, compute_devops_rule_rates, read_rules, summarize_rule_results
from models.store import LogStore
from tests.conftest import KitLandscape

RULES = Path(__file__).resolve().parents[1] / "docs" / "examples" / "rules.yaml"
# The manifest's measure for each rule of the example.
PLANTED = {
    "feature-has-epic": ("features", "features_without_epic"),
    "new-closed-via-active": ("closed_items", "closed_without_active"),
    "no-work-at-project-root": ("work_items", "iteration_at_root"),
}


def test_the_safe_rules_find_the_planted_misuse_per_service_area(
    kit_landscape: KitLandscape,
) -> None:
    events = LogStore(kit_landscape.data_dir).read("azure-devops")
    summary = summarize_rule_results(check_rules(events, read_rules(RULES)), level="org_unit")
    manifest = kit_landscape.manifest
    # The log's org unit is the area path below the project root; the manifest names areas.
    area_of = {
        a["ado_area_path"].split("\\")[1]: a["name"]
        for a in manifest["organisation"]["service_areas"]
    }
    planted = manifest["effects"]["devops_misuse"]["by_service_area"]
    for rule, (_total, broken) in PLANTED.items():
        found = {
            area_of[unit]: violating
            for unit, violating in summary.filter(summary["rule"] == rule)
            .select("org_unit", "violating_cases")
            .iter_rows()
            if unit in area_of
        }
        assert found == {area: counts[broken] for area, counts in planted.items()}, rule


def test_the_follow_up_rule_rates_agree_with_the_rules_file_on_the_landscape(
    kit_landscape: KitLandscape,
) -> None:
    """The two read the rules a little differently (mining/devops_practice.py says how); on
    the landscape's planted misuse they must give the same share per service area."""
    store = LogStore(kit_landscape.data_dir)
    workitems, revisions = (
        pl.read_parquet(store.data.staged_table("azure-devops", table))
        for table in ("workitems", "revisions")
    )
    rates = compute_devops_rule_rates(workitems, revisions)
    rules = tuple(r for r in read_rules(RULES) if r.id in PLANTED)
    results = check_rules(store.read("azure-devops"), rules)
    breaking = results.filter("applies").group_by("case_id").agg((~pl.col("passed")).any())
    planned = workitems.filter(pl.col("work_item_type").is_in(["Feature", "User Story"])).select(
        pl.col("id").cast(pl.String).alias("case_id"),
        pl.col("area_path").str.split("\\").list.last().alias("service_area"),
    )
    by_rules = (
        planned.join(breaking, on="case_id", how="left")
        .group_by("service_area")
        .agg(pl.len().alias("items"), (pl.col("passed").fill_null(False).mean() * 100))
        .sort("service_area")
    )
    assert rates.rows() == by_rules.rows()
    assert (rates["breaking_pct"] > 0).any()  # the landscape plants misuse
