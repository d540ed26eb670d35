"""The one way shopdesk opens its SQLite files and runs a write transaction.

Autocommit connections in WAL mode (readers never block the writer), shared across threads behind a
lock, and IMMEDIATE transactions so a read-check-write is atomic across worker processes too.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


_BUSY_SECONDS = 30.0


def open_db(path: Path | str) -> sqlite3.Connection:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=_BUSY_SECONDS)
    try:
        _use_wal(db)
        db.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        db.close()
        raise
    return db


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch the file to WAL, waiting out another connection that is switching it at the same moment.

    SQLite does not call the busy handler for this pragma: two processes opening a new file together
    (a worker and the console started at once) get "database is locked" at once. Retried with a short
    backoff for as long as any other statement would wait.
    """
    deadline, pause = time.monotonic() + _BUSY_SECONDS, 0.005
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.25)


_shared: dict[str, tuple[sqlite3.Connection, threading.RLock, int]] = {}
_shared_guard = threading.Lock()


def shared_db(path: Path | str) -> tuple[sqlite3.Connection, threading.RLock]:
    """One connection and one lock per file per process, for the stores that share the app database.

    The inbox, the outbox and the conversations live in one file; with a connection each, three threads of
    one process would compete for SQLite's single write lock through busy-waiting (and a waiter can starve).
    One connection behind one lock serialises them in process; other processes still coordinate through
    SQLite's own locking. Release with `release_db`.
    """
    key = str(Path(path).resolve())
    with _shared_guard:
        if key in _shared:
            db, lock, refs = _shared[key]
            _shared[key] = (db, lock, refs + 1)
            return db, lock
        db, lock = open_db(path), threading.RLock()
        _shared[key] = (db, lock, 1)
        return db, lock


def release_db(path: Path | str) -> None:
    key = str(Path(path).resolve())
    with _shared_guard:
        if key not in _shared:
            return
        db, lock, refs = _shared[key]
        if refs > 1:
            _shared[key] = (db, lock, refs - 1)
            return
        del _shared[key]
    db.close()


@contextmanager
def immediate(db: sqlite3.Connection, lock: threading.RLock | threading.Lock) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception (a failed COMMIT included)."""
    with lock:
        if db.in_transaction:  # only possible if an earlier transaction leaked: never build on it
            db.execute("ROLLBACK")
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
