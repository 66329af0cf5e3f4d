"""Reading a secret (a token, a PAT, a password, the pseudonymisation key) from its file.

A secret file that its group or other users may read is refused rather than used: whoever can
read the token can read the source system as KIT Flow does, and whoever can read the key can
recompute every pseudonym. The message names the file, its mode and the fix (``chmod 600``).
Only POSIX systems have these permission bits; elsewhere the check is left to the system.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from extractors.errors import FatalError

_GROUP_OR_OTHERS = 0o077


def check_private(path: Path, *, what: str) -> None:
    """Refuse ``path`` (holding the ``what``) when anyone but its owner may use it."""
    if os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)  # the file a link points at, as it is read
    if mode & _GROUP_OR_OTHERS:
        raise FatalError(
            f"the {what} file {path} may be read or changed by users other than its owner "
            f"(mode {mode:03o}); a secret must be readable by its owner only, so it is not "
            f"used. Fix: chmod 600 {path}"
        )


def read_secret_file(path: Path, *, what: str) -> str:
    """The text of the secret file ``path`` without surrounding blanks, once it is private."""
    check_private(path, what=what)
    return path.read_text("utf-8").strip()
