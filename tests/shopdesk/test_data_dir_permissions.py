"""The data dir holds customers' messages, orders and addresses: readable by the service's own user only."""

from __future__ import annotations

import stat
from pathlib import Path

from shopdesk.settings import Settings


def test_a_new_data_dir_is_owner_only(tmp_path: Path) -> None:
    made = Settings(_env_file=None, data_dir=tmp_path / "new" / ".shopdesk").ensure_data_dir()  # type: ignore[call-arg]
    assert stat.S_IMODE(made.stat().st_mode) == 0o700


def test_an_existing_open_data_dir_is_tightened(tmp_path: Path) -> None:
    open_dir = tmp_path / ".shopdesk"
    open_dir.mkdir(mode=0o755)
    open_dir.chmod(0o755)
    Settings(_env_file=None, data_dir=open_dir).ensure_data_dir()  # type: ignore[call-arg]
    assert stat.S_IMODE(open_dir.stat().st_mode) == 0o700
