"""The one migration mechanism of the app database: each repository declares ordered migrations, one table
(`schema_migrations`) records which ran.

Hand-written rather than Alembic or yoyo: the stores share one connection behind one lock per process
(`tools.sqlite.shared_db`), and those libraries want SQLAlchemy or a connection of their own. A component's
first migration is the CREATE TABLE IF NOT EXISTS it always ran and later ones add columns only when
missing, so a file written before this table existed is adopted: every step runs once more, harmlessly,
and is recorded. Statements are run one at a time (never `executescript`, which commits) inside one
IMMEDIATE transaction, so two processes starting at once apply each migration once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tools.sqlite import immediate

Step = str | Callable[[sqlite3.Connection], None]
"""One SQL statement, or a function for what SQL cannot say idempotently (add a column if missing)."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    steps: tuple[Step, ...]


def add_column(table: str, column: str, declaration: str) -> Step:
    """A step adding `column` unless the table has it (databases made before the column existed)."""

    def step(db: sqlite3.Connection) -> None:
        if column not in {r[1] for r in db.execute(f"PRAGMA table_info({table})")}:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    step.__name__ = f"add_column({table}.{column})"
    return step


_LEDGER = ("CREATE TABLE IF NOT EXISTS schema_migrations (component TEXT NOT NULL, version INTEGER NOT NULL, "
           "name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (component, version))")


def _applied(db: sqlite3.Connection, component: str) -> set[int]:
    rows = db.execute("SELECT version FROM schema_migrations WHERE component = ?", (component,))
    return {r[0] for r in rows}


def migrate(db: sqlite3.Connection, lock: threading.RLock | threading.Lock, component: str,
            migrations: Sequence[Migration]) -> int:
    """Apply `component`'s missing migrations in order, all in one transaction; returns the highest version
    found already applied (0 for none)."""
    versions = [m.version for m in migrations]
    if versions != sorted(set(versions)) or (versions and versions[0] < 1):
        raise ValueError(f"{component}: migration versions must start at 1 or more and increase: {versions}")
    with lock:  # the common case, nothing to do, takes no write lock
        try:
            applied = _applied(db, component)
        except sqlite3.OperationalError:  # no ledger yet
            applied = set()
    if applied >= set(versions):
        return max(applied, default=0)
    with immediate(db, lock) as tx:
        tx.execute(_LEDGER)
        applied = _applied(tx, component)  # another process may have applied them meanwhile
        for migration in migrations:
            if migration.version in applied:
                continue
            for step in migration.steps:
                if isinstance(step, str):
                    tx.execute(step)
                else:
                    step(tx)
            tx.execute("INSERT INTO schema_migrations (component, version, name, applied_at) VALUES (?, ?, ?, ?)",
                       (component, migration.version, migration.name, datetime.now(UTC).isoformat()))
    return max(applied, default=0)
