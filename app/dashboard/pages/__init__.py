"""One module per page.

Each page module has ``PATH``, ``build_layout(store, language, ...)`` (testable without a server),
``page_layout(**query)`` (what Dash Pages calls) and ``register(app, store)``, which registers the
page and wires its callbacks.
"""

from __future__ import annotations

from collections.abc import Callable

import dash
from dash.development.base_component import Component


def register_page(
    module: str, *, path: str, name: str, order: int, layout: Callable[..., Component]
) -> None:
    """Register a page with Dash Pages (typed; Dash's own function is not)."""
    dash.register_page(  # type: ignore[no-untyped-call]
        module, path=path, name=name, title=f"KIT Flow · {name}", order=order, layout=layout
    )
