"""The durable inbox: every inbound message stored once, then claimed by one worker at a time.

Deduplicates on (platform, delivery id), so a marketplace retrying a webhook never creates a second
message. Workers claim with a lease: messages of one conversation are handed out strictly one at a time
and in arrival order, different conversations in parallel; a worker that dies simply lets its lease
expire and the message is claimed again (the graph's checkpoints and the store's write ledger make the
second run safe). Failures retry with backoff and end as visible dead letters, never silently dropped.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from agent.schemas import InboundMessage
from runtime.appdb.migrations import Migration, add_column
from runtime.appdb.repository import HeldRepository

Status = Literal["queued", "claimed", "done", "dead"]


class InboxItem(BaseModel):
    id: int
    platform: str
    delivery_id: str
    conversation_key: str
    message: InboundMessage
    status: Status
    attempts: int
    available_at: datetime
    claimed_by: str | None = None
    lease_until: datetime | None = None
    last_error: str | None = None
    channel: dict[str, Any] = Field(default_factory=dict, description="subject, order hint, reply route.")
    started_checkpoint: str | None = Field(default=None, description="The thread's checkpoint before the run.")


_COLUMNS = "id, platform, delivery_id, conversation_key, payload, status, attempts, available_at, claimed_by, " \
           "lease_until, last_error, channel, started_checkpoint"


def _row(row: tuple) -> InboxItem:  # type: ignore[type-arg]
    return InboxItem(
        id=row[0], platform=row[1], delivery_id=row[2], conversation_key=row[3],
        message=InboundMessage.model_validate_json(row[4]), status=row[5], attempts=row[6],
        available_at=datetime.fromisoformat(row[7]), claimed_by=row[8],
        lease_until=datetime.fromisoformat(row[9]) if row[9] else None, last_error=row[10],
        channel=json.loads(row[11] or "{}"), started_checkpoint=row[12],
    )


class Inbox(HeldRepository):
    COMPONENT = "inbox"
    MIGRATIONS = (
        Migration(1, "inbox table", (
            """CREATE TABLE IF NOT EXISTS inbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT, platform TEXT NOT NULL, delivery_id TEXT NOT NULL,
                conversation_key TEXT NOT NULL, payload TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'queued',
                attempts INTEGER NOT NULL DEFAULT 0, available_at TEXT NOT NULL, claimed_by TEXT,
                lease_until TEXT, last_error TEXT, UNIQUE (platform, delivery_id))""",
            "CREATE INDEX IF NOT EXISTS ix_inbox_status ON inbox(status, available_at)",
            "CREATE INDEX IF NOT EXISTS ix_inbox_conversation ON inbox(conversation_key, id)",
        )),
        Migration(2, "channel and started checkpoint", (
            add_column("inbox", "channel", "TEXT"),
            add_column("inbox", "started_checkpoint", "TEXT"),
        )),
    )

    def __init__(self, path: Path | str, *, max_attempts: int = 5, base_delay_s: float = 5.0) -> None:
        super().__init__(path)
        self.max_attempts = max_attempts
        self.base_delay_s = base_delay_s

    def put(self, message: InboundMessage, *, delivery_id: str, conversation_key: str,
            channel: dict[str, Any] | None = None, available_at: datetime | None = None) -> tuple[InboxItem, bool]:
        """Store a message once; (item, True) when new, (the existing item, False) for a retried delivery.

        `available_at` is when it may be claimed: the arrival time (default: the message's time, which
        callers have clamped); order among a conversation's messages is by id, i.e. arrival, never by a
        platform's clock."""
        ready = message.received_at
        if available_at is not None and ready.tzinfo is not None:
            ready = min(ready, available_at).astimezone(UTC)
        with self._tx() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO inbox (platform, delivery_id, conversation_key, payload, available_at, channel) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (message.platform, delivery_id, conversation_key, message.model_dump_json(),
                 ready.isoformat(), json.dumps(channel or {})),
            )
            row = db.execute(f"SELECT {_COLUMNS} FROM inbox WHERE platform = ? AND delivery_id = ?",
                             (message.platform, delivery_id)).fetchone()
        return _row(row), cursor.rowcount == 1

    def claim(self, worker: str, now: datetime, lease_s: float = 120.0) -> InboxItem | None:
        """The oldest available message whose conversation has nothing earlier pending or in flight."""
        with self._tx() as db:
            row = db.execute(
                f"""SELECT {_COLUMNS} FROM inbox AS i
                    WHERE (i.status = 'queued' AND i.available_at <= :now
                           OR i.status = 'claimed' AND i.lease_until <= :now)
                      AND NOT EXISTS (
                          SELECT 1 FROM inbox AS e WHERE e.conversation_key = i.conversation_key AND e.id < i.id
                            AND e.status IN ('queued', 'claimed'))
                    ORDER BY i.id LIMIT 1""",
                {"now": now.isoformat()},
            ).fetchone()
            if row is None:
                return None
            lease = (now + timedelta(seconds=lease_s)).isoformat()
            db.execute("UPDATE inbox SET status = 'claimed', claimed_by = ?, lease_until = ?, attempts = attempts + 1 "
                       "WHERE id = ?", (worker, lease, row[0]))
            return _row(db.execute(f"SELECT {_COLUMNS} FROM inbox WHERE id = ?", (row[0],)).fetchone())

    def mark_started(self, item_id: int, worker: str, checkpoint: str) -> None:
        """Remember the thread's checkpoint before the run, so a successor can tell 'never ran' from 'crashed'."""
        with self._tx() as db:
            db.execute("UPDATE inbox SET started_checkpoint = ? WHERE id = ? AND claimed_by = ?",
                       (checkpoint, item_id, worker))

    def get(self, item_id: int) -> InboxItem | None:
        row = self._db.execute(f"SELECT {_COLUMNS} FROM inbox WHERE id = ?", (item_id,)).fetchone()
        return _row(row) if row else None

    def requeue(self, item_id: int, now: datetime) -> InboxItem | None:
        """A person sends a dead letter back for another try (attempts start over)."""
        with self._tx() as db:
            db.execute("UPDATE inbox SET status = 'queued', attempts = 0, available_at = ?, claimed_by = NULL "
                       "WHERE id = ? AND status = 'dead'", (now.isoformat(), item_id))
        return self.get(item_id)

    def counts(self) -> dict[str, int]:
        return dict(self._db.execute("SELECT status, COUNT(*) FROM inbox GROUP BY status").fetchall())

    def complete(self, item_id: int, worker: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE inbox SET status = 'done', lease_until = NULL WHERE id = ? AND claimed_by = ?",
                       (item_id, worker))

    def fail(self, item_id: int, worker: str, error: str, now: datetime) -> InboxItem:
        """Retry later with exponential backoff, or keep it as a dead letter after max_attempts."""
        with self._tx() as db:
            attempts = db.execute("SELECT attempts FROM inbox WHERE id = ?", (item_id,)).fetchone()[0]
            if attempts >= self.max_attempts:
                db.execute("UPDATE inbox SET status = 'dead', last_error = ?, lease_until = NULL "
                           "WHERE id = ? AND claimed_by = ?", (error[:2000], item_id, worker))
            else:
                later = now + timedelta(seconds=self.base_delay_s * 2 ** (attempts - 1))
                db.execute("UPDATE inbox SET status = 'queued', last_error = ?, available_at = ?, lease_until = NULL "
                           "WHERE id = ? AND claimed_by = ?", (error[:2000], later.isoformat(), item_id, worker))
            return _row(db.execute(f"SELECT {_COLUMNS} FROM inbox WHERE id = ?", (item_id,)).fetchone())

    def items(self, status: Status | None = None, limit: int | None = None) -> list[InboxItem]:
        sql = f"SELECT {_COLUMNS} FROM inbox" + (" WHERE status = ?" if status else "") + " ORDER BY id"
        rows = list(self._db.execute(sql, (status,) if status else ()))
        return [_row(r) for r in (rows[-limit:] if limit else rows)]

