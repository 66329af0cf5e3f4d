"""Each package is used from another layer through its ``__init__`` and the names in its
``__all__``; each ``__all__`` is unique and importable.

``models`` is the domain vocabulary every layer shares: its modules are imported directly (one
module per concept: ``models.store``, ``models.errors``, ...), so the rule covers the layers that
sit on top of it: ``services``, ``mining``, ``extractors`` (and each source's sub-package) and
``simulator``.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("app", "services", "mining", "models", "extractors", "simulator")
FACADE_LAYERS = ("services", "mining", "extractors", "simulator")
FACADES = (
    "services",
    "services.ingestion",
    "mining",
    "extractors",
    "extractors.azure_devops",
    "extractors.files",
    "extractors.robots",
    "extractors.servicenow",
    "extractors.time_registration",
    "simulator",
)


def _cross_layer_imports() -> list[tuple[str, int, str, str]]:
    """(file, line, module, name) of every ``from X import name`` into another layer."""
    found = []
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                    continue
                top = node.module.split(".")[0]
                if top in FACADE_LAYERS and top != layer:
                    where = str(path.relative_to(ROOT))
                    found += [(where, node.lineno, node.module, a.name) for a in node.names]
    return found


def test_other_layers_import_a_package_only_through_its_facade() -> None:
    wrong = [
        f"{where}:{line} imports {module}.{name}; import it from a package facade "
        f"({', '.join(FACADES)}) whose __all__ names it"
        for where, line, module, name in _cross_layer_imports()
        if module not in FACADES or name not in importlib.import_module(module).__all__
    ]
    assert wrong == []


@pytest.mark.parametrize("facade", FACADES)
def test_every_facade_all_is_unique_and_importable(facade: str) -> None:
    # Its order is ruff's (RUF022: constants, classes, then functions), checked by 'make lint'.
    package = importlib.import_module(facade)
    names = list(package.__all__)
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(package, name)]
    assert missing == []
