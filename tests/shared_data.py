"""Access to the real public logs in ../shared/data, which are never copied into the repository.

A test that needs one skips with the reason when ../shared is absent on a developer's machine,
and fails in CI (where ``CI`` is set), so that a missing file can never turn CI green.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def shared_file(relative: str) -> Path:
    """The path of ``relative`` under ../shared/data, or skip/fail as described above."""
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"real log {path} is missing (../shared must sit beside the repository)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
