"""Opening a new SQLite file from several connections at once: SQLite refuses the WAL switch at once
("database is locked", no busy wait) to all but one, so `open_db` must wait that out, as a worker and the
console starting together on a fresh install would otherwise crash."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from concurrency import run_together
from tools.sqlite import open_db


def test_connections_opening_a_new_file_together_all_succeed_in_wal_mode(tmp_path: Path) -> None:
    for attempt in range(40):  # the race is lost by one in several tries on two cores: try it many times
        path = tmp_path / f"fresh-{attempt}.db"
        modes: list[str] = []

        def open_together() -> None:
            db = open_db(path)
            try:
                modes.append(db.execute("PRAGMA journal_mode").fetchone()[0])
            finally:
                db.close()

        errors = run_together(open_together, 4)
        assert errors == []
        assert modes == ["wal"] * 4


def test_a_file_locked_for_longer_than_the_busy_wait_fails_with_the_lock_error(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The retry is bounded: a file another process holds exclusively is reported, not waited on forever."""
    monkeypatch.setattr("tools.sqlite._BUSY_SECONDS", 0.3)
    path = tmp_path / "held.db"
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("CREATE TABLE t (n INTEGER)")
        holder.execute("BEGIN EXCLUSIVE")
        try:
            open_db(path)
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        else:
            raise AssertionError("a file held exclusively cannot be switched to WAL")
    finally:
        holder.close()
