"""The demo console password (issue 20, first run): made once, kept 0600 under the data dir, reused, never logged."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from shopdesk import serve
from shopdesk.demo_login import PASSWORD_FILE, demo_login
from shopdesk.settings import Settings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_made_once_stored_owner_only_and_reused(tmp_path: Path) -> None:
    first = demo_login(tmp_path / "data")
    assert first.created and first.user == "demo" and len(first.password) >= 20
    assert first.path == tmp_path / "data" / PASSWORD_FILE and mode(first.path) == 0o600
    assert first.path.read_text().strip() == first.password
    again = demo_login(tmp_path / "data")
    assert not again.created and again.password == first.password
    assert first.password not in repr(first) and first.password not in repr(again)


def test_wider_permissions_are_tightened_and_a_bad_file_is_explained(tmp_path: Path) -> None:
    made = demo_login(tmp_path)
    os.chmod(made.path, 0o644)
    assert demo_login(tmp_path).password == made.password and mode(made.path) == 0o600
    made.path.write_text("")  # a start that stopped while writing it: a new one is made
    remade = demo_login(tmp_path)
    assert remade.created and remade.password != made.password and mode(remade.path) == 0o600
    remade.path.write_text("short:pw\n")
    with pytest.raises(ValueError, match="delete it"):
        demo_login(tmp_path)
    remade.path.unlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("x" * 30)
    remade.path.symlink_to(elsewhere)  # planted: neither followed to read nor written through
    with pytest.raises(ValueError, match="cannot read the demo password"):
        demo_login(tmp_path)
    assert elsewhere.read_text() == "x" * 30


def test_printed_once_then_only_its_path_and_never_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    with_user, login = serve.with_demo_user(settings)
    assert login is not None and with_user.console_users == f"demo:{login.password}:admin"
    first = serve.console_line("http://127.0.0.1:8000", login)
    assert f"log in as demo / {login.password}" in first and str(login.path) in first
    again_settings, again = serve.with_demo_user(settings)
    assert again is not None and again_settings.console_users == with_user.console_users
    later = serve.console_line("http://127.0.0.1:8000", again)
    assert login.password not in later and f"password stored in {login.path}" in later
    assert login.password not in caplog.text
    # configured users: no demo user and no password file
    own = Settings(_env_file=None, data_dir=tmp_path / "own", console_users="ana:pw1")  # type: ignore[call-arg]
    assert serve.with_demo_user(own) == (own, None) and not (tmp_path / "own" / PASSWORD_FILE).exists()
    assert serve.console_line("http://h", None) == "Console: http://h/"
