"""The directors' overviews are kept per as-of date and version of the files they read, shared
by the server's threads: a kept overview is exactly what a fresh build gives, a changed file
builds afresh, and twenty requests for one new date build it once (services.build_cache.BuildCache,
app.dashboard.cockpit_data). No timing is asserted: builds are counted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl
import pytest
from plotly.io.json import to_json_plotly

from app.dashboard.cockpit_data import (
    WARM_ENV,
    CockpitView,
    _warmed,
    load_cockpit,
    load_view,
    month_ends,
    start_warming,
    warm_month_ends,
)
from app.dashboard.pages import followup, overview, realisation
from models.datafolder import DataFolder
from services.build_cache import BuildCache
from services.cockpit import OVERVIEWS, build_overviews, clear_overview_cache
from services.followup import MEASUREMENTS
from tests.conftest import KitLandscape
from tests.test_benefits_cache import _copy as copy_landscape

# Inside one month, its last day, a year end, the data's last day and a day past the data.
DATES = (
    dt.date(2024, 6, 14),
    dt.date(2024, 6, 15),
    dt.date(2024, 6, 30),
    dt.date(2024, 12, 31),
    dt.date(2026, 1, 1),
    dt.date(2026, 3, 9),
)


def same(a: object, b: object) -> bool:
    """Exact equality, field by field, with tables compared by their values."""
    if isinstance(a, pl.DataFrame | pl.Series):
        return type(a) is type(b) and a.equals(b)  # type: ignore[arg-type]
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(
            same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a)
        )
    if isinstance(a, tuple | list):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, Mapping):
        return (
            isinstance(b, Mapping) and list(a) == list(b) and all(same(a[key], b[key]) for key in a)
        )
    return a == b or (a != a and b != b)  # NaN is NaN here  # noqa: PLR0124


def rendered(view: CockpitView) -> str:
    """The three directors' pages built from ``view``, as the browser receives them."""
    cases = [o.case_path.stem for o in view.cockpit.overviews]
    pages = [
        overview.build_page(view, "da"),
        followup.build_page(view, followup.Choice("en", as_of=view.cockpit.as_of)),
        *(realisation.build_page(view, "da", case, ()) for case in cases),
    ]
    text = to_json_plotly(pages)
    assert isinstance(text, str)
    return text


@pytest.fixture
def data(kit_landscape: KitLandscape, tmp_path: Path) -> DataFolder:
    """A data folder of our own: the landscape and the committed cases."""
    return copy_landscape(kit_landscape, tmp_path)


def test_a_kept_overview_is_what_a_fresh_build_gives(data: DataFolder) -> None:
    clear_overview_cache()
    for day in DATES:
        kept = load_cockpit(data, day)
        again = load_cockpit(data, day)
        fresh = build_overviews(data, as_of=day)
        assert again.overviews is kept.overviews
        assert len(fresh) == 2
        assert same(kept.overviews, fresh), day
        assert rendered(CockpitView(kept)) == rendered(
            CockpitView(dataclasses.replace(kept, overviews=fresh))
        ), day
    # Two days of one month are judged each on its own day.
    june = [load_cockpit(data, day).overviews for day in DATES[:2]]
    assert [o.as_of for o in june[0]] == [DATES[0]] * 2
    assert [o.as_of for o in june[1]] == [DATES[1]] * 2


def test_a_changed_file_builds_afresh(data: DataFolder) -> None:
    day = dt.date(2025, 6, 30)
    first = load_cockpit(data, day).overviews
    # Half the audit trail, rewritten in place: fewer handling times measured.
    audit = data.staged_table("servicenow", "sys_audit")
    table = pl.read_parquet(audit)
    table.head(table.height // 2).write_parquet(audit)
    second = load_cockpit(data, day).overviews
    assert second is not first
    assert not same(second, first)
    assert same(second, build_overviews(data, as_of=day))
    # A case file changed: its new title shows.
    case = data.business_cases() / "automation-solutions.yaml"
    text = case.read_text("utf-8")
    title = next(line for line in text.splitlines() if line.startswith("title:"))
    case.write_text(text.replace(title, "title: Ny titel"), "utf-8")
    third = load_cockpit(data, day).overviews
    assert [o.title for o in third if o.case_path == case] == ["Ny titel"]
    assert same(third, build_overviews(data, as_of=day))


def test_twenty_requests_for_one_new_date_build_it_once(data: DataFolder) -> None:
    day = dt.date(2025, 3, 31)
    before = OVERVIEWS.builds
    start = threading.Barrier(20)

    def ask(_: int) -> object:
        start.wait()
        return load_cockpit(data, day).overviews

    with ThreadPoolExecutor(max_workers=20) as pool:
        found = list(pool.map(ask, range(20)))
    assert OVERVIEWS.builds == before + 1
    assert all(o is found[0] for o in found)
    assert same(found[0], build_overviews(data, as_of=day))


def test_every_day_of_a_month_shares_its_measurement(data: DataFolder) -> None:
    """A new as-of day inside a month measured before builds its overviews (the judgements
    read the day) but not the measurement, which reads only the complete months."""
    clear_overview_cache()
    load_cockpit(data, dt.date(2025, 5, 14))
    measured = MEASUREMENTS.builds
    later = load_cockpit(data, dt.date(2025, 5, 20))
    assert MEASUREMENTS.builds == measured
    clear_overview_cache()
    fresh = build_overviews(data, as_of=dt.date(2025, 5, 20))
    assert same(later.overviews, fresh)


def test_the_month_ends_are_built_ahead(data: DataFolder) -> None:
    coverage = load_cockpit(data).coverage
    ends = month_ends(coverage)
    assert ends[:3] == (dt.date(2026, 1, 1), dt.date(2025, 12, 31), dt.date(2025, 11, 30))
    assert ends[-1] == dt.date(2023, 1, 31)
    assert all(a > b for a, b in itertools.pairwise(ends))
    warm_month_ends(data, limit=3).join()
    before = OVERVIEWS.builds
    for day in ends[:3]:
        load_cockpit(data, day)
    assert OVERVIEWS.builds == before


def test_the_pages_build_the_month_ends_ahead_only_when_asked(
    data: DataFolder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(WARM_ENV, raising=False)
    assert start_warming(data) is None
    load_view(data, "da", None, message_id="m")
    assert not any(folder == data for folder, _ in _warmed)
    monkeypatch.setenv(WARM_ENV, "1")
    clear_overview_cache()
    before = OVERVIEWS.builds
    started = threading.active_count()
    load_view(data, "da", None, message_id="m")  # starts the warming once
    assert start_warming(data) is None
    assert threading.active_count() <= started + 1
    for thread in threading.enumerate():
        if thread.name == "kitflow-warm-overviews":
            thread.join()
    # The data's last day and the month ends from December 2025 back to January 2023.
    assert OVERVIEWS.builds == before + 37


def test_a_build_cache_keeps_the_latest_entries() -> None:
    cache: BuildCache[int, str] = BuildCache(2)
    assert cache.get(1, lambda: "a") == "a"
    assert cache.get(2, lambda: "b") == "b"
    assert cache.get(1, lambda: "not again") == "a"  # 1 is now the latest used
    assert cache.get(3, lambda: "c") == "c"  # forgets 2
    assert 2 not in cache and 1 in cache and 3 in cache
    assert len(cache) == 2
    assert cache.builds == 3


def test_a_failed_build_is_not_kept() -> None:
    cache: BuildCache[str, int] = BuildCache(4)

    def fail() -> int:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        cache.get("k", fail)
    assert cache.get("k", lambda: 7) == 7
    assert cache.builds == 2


def test_concurrent_requests_for_one_key_wait_for_one_build() -> None:
    cache: BuildCache[str, object] = BuildCache(4)
    release = threading.Event()
    started = threading.Event()

    def build() -> object:
        started.set()
        release.wait(timeout=30)
        return object()

    with ThreadPoolExecutor(max_workers=20) as pool:
        first = pool.submit(cache.get, "k", build)
        started.wait(timeout=30)
        waiting = [pool.submit(cache.get, "k", build) for _ in range(19)]
        other = pool.submit(cache.get, "other", lambda: "free")
        assert other.result(timeout=30) == "free"  # another key is not held up
        release.set()
        values = [first.result(timeout=30), *(w.result(timeout=30) for w in waiting)]
    assert all(v is values[0] for v in values)
    assert cache.builds == 2
