"""The app database's one migration mechanism: a fresh file and a file written by older code end with the
same schema, a second run changes nothing, and two runners starting at once apply each migration once."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from concurrency import run_together
from runtime.appdb.migrations import Migration, add_column, migrate
from runtime.conversations import ConversationStore
from runtime.inbox import Inbox
from runtime.outbox import Outbox
from shopdesk.inbox_search import SearchIndex
from shopdesk.macros import MacroStore
from shopdesk.workspace import WorkspaceStore
from tools.sqlite import open_db

# A file as older releases left it: every table of the time, none of the columns added since (the inbox's
# channel and started checkpoint, the outbox's sending columns, the conversation's risk flags, the message's
# attachments), and the workspace versioned in its own ws_meta table.
_OLD_FILE = """
CREATE TABLE inbox (id INTEGER PRIMARY KEY AUTOINCREMENT, platform TEXT NOT NULL, delivery_id TEXT NOT NULL,
  conversation_key TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'queued', attempts INTEGER
  NOT NULL DEFAULT 0, available_at TEXT NOT NULL, claimed_by TEXT, lease_until TEXT, last_error TEXT,
  UNIQUE (platform, delivery_id));
CREATE INDEX ix_inbox_status ON inbox(status, available_at);
CREATE INDEX ix_inbox_conversation ON inbox(conversation_key, id);
CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT UNIQUE NOT NULL, conversation_id
  TEXT NOT NULL, platform TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'queued', created_at
  TEXT NOT NULL);
CREATE TABLE conversations (key TEXT PRIMARY KEY, platform TEXT NOT NULL, customer_identity TEXT NOT NULL,
  customer_id TEXT, subject TEXT, order_hint TEXT, reply_route TEXT NOT NULL DEFAULT '{}', status TEXT NOT NULL,
  intent TEXT, urgency TEXT, priority TEXT, deadline TEXT, waiting_since TEXT, last_message_at TEXT NOT NULL,
  first_response_s REAL, route TEXT, reasons TEXT, trace TEXT, updated_at TEXT NOT NULL);
CREATE INDEX ix_conv_deadline ON conversations(status, deadline);
CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT NOT NULL, direction TEXT NOT
  NULL, author TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL, platform_message_id TEXT, source TEXT UNIQUE);
CREATE INDEX ix_messages_conv ON messages(conversation_key, id);
CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT, actor TEXT NOT NULL, action TEXT
  NOT NULL, detail TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX ix_audit_conv ON audit(conversation_key, id);
CREATE TABLE context_events (platform TEXT NOT NULL, delivery_id TEXT NOT NULL, kind TEXT NOT NULL, topic TEXT
  NOT NULL, order_id TEXT, status TEXT, data TEXT NOT NULL, received_at TEXT NOT NULL,
  PRIMARY KEY (platform, delivery_id));
CREATE INDEX ix_context_order ON context_events(order_id);
CREATE TABLE ws_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO ws_meta VALUES ('schema', '1');
CREATE TABLE ws_assignments (conversation_key TEXT PRIMARY KEY, assignee TEXT NOT NULL, assigned_by TEXT NOT NULL,
  assigned_at TEXT NOT NULL);
CREATE INDEX ix_ws_assignee ON ws_assignments(assignee);
CREATE TABLE ws_presence (viewer TEXT PRIMARY KEY, user_name TEXT NOT NULL, conversation_key TEXT NOT NULL,
  activity TEXT NOT NULL, seen_at REAL NOT NULL);
CREATE INDEX ix_ws_presence_conv ON ws_presence(conversation_key, seen_at);
CREATE TABLE ws_notes (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT NOT NULL, author TEXT NOT NULL,
  text TEXT NOT NULL, at TEXT NOT NULL);
CREATE INDEX ix_ws_notes_conv ON ws_notes(conversation_key, id);
CREATE TABLE ws_tags (conversation_key TEXT NOT NULL, tag TEXT NOT NULL, added_by TEXT NOT NULL, added_at TEXT
  NOT NULL, PRIMARY KEY (conversation_key, tag));
CREATE INDEX ix_ws_tags_tag ON ws_tags(tag, conversation_key);
CREATE TABLE macros (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE, body TEXT NOT
  NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL);
CREATE TABLE macro_defaults (seeded_at TEXT NOT NULL);
CREATE TABLE ws_search_docs (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_key TEXT NOT NULL UNIQUE, version
  TEXT NOT NULL, body TEXT NOT NULL);
INSERT INTO inbox (platform, delivery_id, conversation_key, payload, available_at) VALUES ('ebay', 'd1', 'ebay:x',
  '{}', '2026-01-01T00:00:00+00:00');
INSERT INTO outbox (idempotency_key, conversation_id, platform, payload, created_at) VALUES ('k1', 'ebay:x', 'ebay',
  '{}', '2026-01-01T00:00:00+00:00');
INSERT INTO messages (conversation_key, direction, author, text, at, source) VALUES ('ebay:x', 'in', 'customer',
  'hello', '2026-01-01T00:00:00+00:00', 's1');
INSERT INTO ws_notes (conversation_key, author, text, at) VALUES ('ebay:x', 'ana', 'kept', '2026-01-01');
"""


def _open_all(path: Path) -> None:
    """Every repository of the app database, as the service builds them."""
    inbox, outbox, conversations = Inbox(path), Outbox(path), ConversationStore(path)
    try:
        workspace = WorkspaceStore(path)
        MacroStore(path)
        SearchIndex(path, conversations, workspace, lambda: None, fts=False)
    finally:
        inbox.close(), outbox.close(), conversations.close()


def _schema(path: Path) -> dict[str, Any]:
    """Each table's columns and each index's columns and condition: what the stores' SQL depends on."""
    with sqlite3.connect(path) as db:
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE "
                                           "'sqlite_%' AND name != 'schema_migrations' ORDER BY name")]
        schema: dict[str, Any] = {}
        for table in tables:
            indexes = {i[1]: (i[2], i[4], [c[2] for c in db.execute(f"PRAGMA index_info('{i[1]}')")])
                       for i in db.execute(f"PRAGMA index_list('{table}')") if not i[1].startswith("sqlite_")}
            schema[table] = (list(db.execute(f"PRAGMA table_info('{table}')")), indexes)
        return schema


def _ledger(path: Path) -> list[tuple[str, int, str]]:
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT component, version, name FROM schema_migrations ORDER BY component, version"))


def test_a_file_of_older_code_is_adopted_and_ends_with_the_schema_of_a_fresh_one(tmp_path: Path) -> None:
    fresh, old = tmp_path / "fresh.db", tmp_path / "old.db"
    _open_all(fresh)
    with sqlite3.connect(old) as db:
        db.executescript(_OLD_FILE)
    _open_all(old)
    assert _schema(old) == _schema(fresh)
    assert "ws_meta" not in _schema(old)  # the workspace's own version table is gone: one ledger for all
    assert _ledger(old) == _ledger(fresh)
    assert {c for c, _, _ in _ledger(fresh)} == {"inbox", "outbox", "conversations", "workspace", "macros", "search"}
    with sqlite3.connect(old) as db:  # the rows are kept, the added columns hold their defaults
        assert db.execute("SELECT delivery_id, channel, started_checkpoint FROM inbox").fetchall() == [
            ("d1", None, None)]
        assert db.execute("SELECT idempotency_key, attempts, lease_until FROM outbox").fetchall() == [("k1", 0, None)]
        assert db.execute("SELECT text, attachments, attachments_pending FROM messages").fetchall() == [
            ("hello", "[]", 0)]
        assert db.execute("SELECT text FROM ws_notes").fetchall() == [("kept",)]


def test_running_again_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    _open_all(path)
    with sqlite3.connect(path) as db:
        before = db.execute("SELECT * FROM schema_migrations ORDER BY component, version").fetchall()
    schema = _schema(path)
    _open_all(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT * FROM schema_migrations ORDER BY component, version").fetchall() == before
    assert _schema(path) == schema


def _counted(table: str) -> tuple[Migration, ...]:
    """Migrations whose second step is not idempotent: a migration applied twice leaves two rows."""
    return (
        Migration(1, "create", (f"CREATE TABLE IF NOT EXISTS {table} (n INTEGER)",)),
        Migration(2, "count", (lambda db: time.sleep(0.2), f"INSERT INTO {table} VALUES (1)")),
        Migration(3, "column", (add_column(table, "note", "TEXT"),)),
    )


def test_the_runner_records_each_migration_once_and_reports_what_it_found(tmp_path: Path) -> None:
    db, lock = open_db(tmp_path / "app.db"), threading.RLock()
    try:
        assert migrate(db, lock, "demo", _counted("demo")) == 0
        assert migrate(db, lock, "demo", _counted("demo")) == 3  # already current: nothing to do
        assert db.execute("SELECT COUNT(*) FROM demo").fetchone()[0] == 1
        assert [r[0] for r in db.execute("SELECT name FROM pragma_table_info('demo')")] == ["n", "note"]
        rows = db.execute("SELECT component, version, name, applied_at FROM schema_migrations").fetchall()
        assert [r[:3] for r in rows] == [("demo", 1, "create"), ("demo", 2, "count"), ("demo", 3, "column")]
        assert all(r[3] for r in rows)
        assert migrate(db, lock, "other", _counted("other")[:1]) == 0  # components are versioned apart
    finally:
        db.close()


def test_a_migration_that_fails_leaves_nothing_recorded(tmp_path: Path) -> None:
    db, lock = open_db(tmp_path / "app.db"), threading.RLock()
    broken = (*_counted("demo")[:2], Migration(3, "broken", ("ALTER TABLE missing ADD COLUMN x TEXT",)))
    try:
        with pytest.raises(sqlite3.OperationalError):
            migrate(db, lock, "demo", broken)
        assert not db.execute("SELECT 1 FROM sqlite_master WHERE name IN ('demo', 'schema_migrations')").fetchone()
        assert migrate(db, lock, "demo", _counted("demo")) == 0
    finally:
        db.close()


def test_versions_must_increase(tmp_path: Path) -> None:
    db, lock = open_db(tmp_path / "app.db"), threading.RLock()
    try:
        with pytest.raises(ValueError, match="increase"):
            migrate(db, lock, "demo", (Migration(2, "b", ()), Migration(1, "a", ())))
    finally:
        db.close()


def test_two_runners_starting_at_once_apply_each_migration_once(tmp_path: Path) -> None:
    """Two connections of their own (as two processes have), released together: SQLite's write lock lets one
    apply the migrations while the other waits, then finds them applied."""
    path = tmp_path / "app.db"
    found: list[int] = []

    def run() -> None:  # opening the new file is part of the race too (both switch it to WAL at once)
        db = open_db(path)
        try:
            found.append(migrate(db, threading.RLock(), "demo", _counted("demo")))
        finally:
            db.close()

    errors = run_together(run, 2)
    assert errors == []
    assert sorted(found) == [0, 3]
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM demo").fetchone()[0] == 1
        assert db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == 3
