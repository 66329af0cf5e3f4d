"""Every callback's components are in the layout Dash validates callbacks against.

Dash builds that layout from every page's layout (called as on an empty store) at the first
request, and the browser refuses a callback whose input or output is missing from it ("ID not
found in layout", a console error on every page). A page whose components appear only with data
(a stored model, a chosen log) must keep them in its layout, hidden."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from dash.development.base_component import Component

from app.dashboard import create_app
from models.store import LogStore
from tests.conftest import KitLandscape
from tests.test_benefits_cache import _copy as copy_landscape


@pytest.fixture
def landscape_store(kit_landscape: KitLandscape, tmp_path: Path) -> Iterator[LogStore]:
    """The demo landscape's data with its business cases (and no trained model): the pages as
    `make run` serves them."""
    store = LogStore(copy_landscape(kit_landscape, tmp_path).root)
    yield store
    store.catalog.dispose()


def _ids(component: Any) -> set[str]:
    """Every string id in a component tree."""
    found: set[str] = set()
    if isinstance(component, Component):
        if isinstance(getattr(component, "id", None), str):
            found.add(component.id)
        for name in ("children", *getattr(component, "_prop_names", ())):
            value = getattr(component, name, None)
            if isinstance(value, Component | list | tuple):
                found |= _ids(value)
    elif isinstance(component, list | tuple):
        for child in component:
            found |= _ids(child)
    return found


def _callback_ids(callback_map: dict[str, Any]) -> set[str]:
    """The plain (not pattern-matching) ids every callback reads or writes."""
    ids: set[str] = set()
    for key, spec in callback_map.items():
        outputs = key.strip(".").split("...")
        ids |= {o.rsplit(".", 1)[0] for o in outputs}
        ids |= {item["id"] for item in (*spec.get("inputs", ()), *spec.get("state", ()))}
    return {i for i in ids if i and not i.startswith("{")}


def test_every_callback_finds_its_components_in_the_validation_layout(
    landscape_store: LogStore, sign_in: Callable[..., Any]
) -> None:
    app = create_app(landscape_store)
    client = sign_in(app.server.test_client())
    assert client.get("/").status_code == 200
    present = _ids(app.validation_layout)
    missing = sorted(_callback_ids(app.callback_map) - present)
    assert missing == []


def test_an_empty_data_folder_keeps_every_callbacks_components(
    tmp_path: Path, sign_in: Callable[..., Any]
) -> None:
    """A fresh installation (no logs, no business cases, no model): the pages render their
    empty states, and their callbacks' components must still be in the validation layout."""
    store = LogStore(tmp_path / "empty")
    try:
        app = create_app(store)
        client = sign_in(app.server.test_client())
        assert client.get("/").status_code == 200
        missing = sorted(_callback_ids(app.callback_map) - _ids(app.validation_layout))
    finally:
        store.catalog.dispose()
    assert missing == []
