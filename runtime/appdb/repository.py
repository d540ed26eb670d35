"""How a store of the app database gets its connection and lock and brings its tables up to date.

A repository names its component and declares its migrations (`runtime/appdb/migrations.py`); building it
applies the missing ones. Every repository shares the file's one connection and lock (`tools.sqlite.shared_db`):
a `HeldRepository` (inbox, outbox, conversations) holds it from construction to `close()`, a `Repository`
(the team's workspace, macros, search) takes it per call and so has no lifecycle of its own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from threading import RLock
from typing import ClassVar

from runtime.appdb.migrations import Migration, migrate
from tools.sqlite import immediate, release_db, shared_db


@contextmanager
def app_db(path: Path | str) -> Iterator[tuple[sqlite3.Connection, RLock]]:
    """The app database's shared connection and its lock, held for one block only."""
    db, lock = shared_db(path)
    try:
        yield db, lock
    finally:
        release_db(path)


class Repository:
    """A component's tables in the app database, reached through the shared connection taken per call."""

    COMPONENT: ClassVar[str]
    MIGRATIONS: ClassVar[tuple[Migration, ...]]

    def __init__(self, path: Path | str) -> None:
        self._path = path
        with self._conn() as (db, lock):
            migrate(db, lock, self.COMPONENT, self.MIGRATIONS)

    @contextmanager
    def _conn(self) -> Iterator[tuple[sqlite3.Connection, RLock]]:
        with app_db(self._path) as conn:
            yield conn

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT on the shared connection (`tools.sqlite.immediate`)."""
        with self._conn() as (db, lock), immediate(db, lock) as tx:
            yield tx

    def _read(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple]:  # type: ignore[type-arg]
        with self._conn() as (db, lock), lock:
            return db.execute(sql, args).fetchall()


class HeldRepository(Repository):
    """A repository that holds the shared connection from construction until `close()` (the pipeline's stores,
    which the service opens once and reads often)."""

    def __init__(self, path: Path | str) -> None:
        self._db, self._lock = shared_db(path)
        super().__init__(path)

    @contextmanager
    def _conn(self) -> Iterator[tuple[sqlite3.Connection, RLock]]:
        yield self._db, self._lock

    def close(self) -> None:
        release_db(self._path)
