"""Running an extraction in a child process and killing it mid-page, for the resume tests."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_extraction(
    script: str, args: Sequence[str], data: Path, env: Mapping[str, str]
) -> subprocess.Popen[str]:
    """``python -c script args...`` with the data folder ``data`` and ``env`` set, on the
    default SQLite catalog; it prints a line per stored page and "done" at the end."""
    environment = {**os.environ, **env, "KITFLOW_DATA_DIR": str(data)}
    environment.pop("KITFLOW_DATABASE_URL", None)
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdout=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=ROOT,
    )


def kill_after(child: subprocess.Popen[str], pages: int, rng: random.Random) -> bool:
    """Let ``child`` store about ``pages`` pages, then SIGKILL it somewhere in the next one.
    Returns whether it was killed before it finished."""
    assert child.stdout is not None
    for _ in range(pages):
        line = child.stdout.readline()
        if not line or line.startswith("done"):
            child.wait()
            return False
    time.sleep(rng.uniform(0, 0.02))
    child.send_signal(signal.SIGKILL)
    child.wait()
    return child.returncode == -signal.SIGKILL
