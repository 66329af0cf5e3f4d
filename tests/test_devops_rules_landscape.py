"""The example SAFe rules (docs/examples/rules.yaml) on the extracted Azure DevOps log of the
simulated landscape find exactly the misuse the manifest planted, per service area."""

from __future__ import annotations

from pathlib import Path

from mining import check_rules, read_rules, summarize_rule_results
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
