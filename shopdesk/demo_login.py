"""The demo console login of `make run`: one admin whose password is made once and kept under the data dir.

Why: a password made anew on every start is lost with the terminal that showed it, and the person trying the
demo is locked out of their own console. So it is generated once (`secrets`), written to
`<data dir>/console-demo-password` readable by its owner only (0600, created exclusively so two starts cannot
race), printed once when it is made, and afterwards only its path is shown. It never goes to a log. Delete
the file to get a new one; set SHOPDESK_CONSOLE_USERS to use real accounts instead.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

DEMO_USER = "demo"
PASSWORD_FILE = "console-demo-password"
MIN_CHARS, MAX_CHARS = 12, 128
FORBIDDEN = frozenset(":,") | frozenset(" \t\r\n")
"""SHOPDESK_CONSOLE_USERS separates entries with ',' and fields with ':'."""


@dataclass(frozen=True)
class DemoLogin:
    user: str
    password: str = field(repr=False)
    path: Path
    created: bool
    """True when this start made the password (the only time it is printed)."""


def demo_login(data_dir: Path) -> DemoLogin:
    """The demo admin's password: read from the data dir, or made and stored there the first time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / PASSWORD_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        password = _read(path)
        if password is not None:
            return DemoLogin(DEMO_USER, password, path, created=False)
        path.unlink()  # left empty by a start that stopped while writing it: make a new one
        return demo_login(data_dir)
    password = secrets.token_urlsafe(18)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    os.chmod(path, 0o600)
    return DemoLogin(DEMO_USER, password, path, created=True)


def _read(path: Path) -> str | None:
    """The stored password (None when the file is empty); its permissions are tightened to 0600 if wider."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))  # a symlink planted there is refused
    except OSError as exc:
        raise ValueError(f"cannot read the demo password at {path} ({exc.strerror}): delete it and start again "
                         "to get a new one") from None
    with os.fdopen(fd, "r", encoding="utf-8") as handle:
        if stat.S_IMODE(os.fstat(handle.fileno()).st_mode) & 0o077:
            os.chmod(path, 0o600)
        password = handle.read(MAX_CHARS + 2).strip()
    if not password:
        return None
    if not MIN_CHARS <= len(password) <= MAX_CHARS or FORBIDDEN & set(password):
        raise ValueError(f"{path} does not hold a usable demo password ({MIN_CHARS}-{MAX_CHARS} characters, no "
                         "spaces, ':' or ','): delete it and start again to get a new one")
    return password
